// Command gen-sdk writes a package's SDKs with Pulumi's own codegen, the
// code `pulumi package gen-sdk` reaches through the language hosts.
//
// `pulumi package gen-sdk` asks each language host to generate its SDK, so
// the SDK comes from the codegen the host was built with. The hosts here
// are pinned to an older release than the CLI (see tools/go/hosts), and
// that release's Python codegen, built with Go 1.26, writes a wrong
// relative import into `config/vars.py`. This command runs the codegen
// packages of the CLI's own pkg/v3 directly instead, with the same inputs
// the hosts give them.
//
// Usage: gen-sdk -schema schema.json -version 0.1.0 -out sdk python nodejs go
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// noReferences is the loader for a schema that refers to no other package:
// any request for one is an error.
type noReferences struct{}

var errNoReferences = errors.New("the schema refers to another package; gen-sdk only generates self-contained packages")

func (noReferences) LoadPackage(string, *semver.Version) (*schema.Package, error) {
	return nil, errNoReferences
}

func (noReferences) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errNoReferences
}

func (noReferences) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errNoReferences
}

func (noReferences) LoadPackageReferenceV2(context.Context, *schema.PackageDescriptor) (schema.PackageReference, error) {
	return nil, errNoReferences
}

// generate returns the files of one language's SDK, named relative to it.
func generate(language string, pkg *schema.Package) (map[string][]byte, error) {
	switch language {
	case "python":
		return python.GeneratePackage("pulumi-language-python", pkg, nil, noReferences{})
	case "nodejs":
		return nodejs.GeneratePackage("pulumi-language-nodejs", pkg, nil, nil, false, noReferences{})
	case "go":
		return gogen.GeneratePackage("pulumi-language-go", pkg, nil)
	default:
		return nil, fmt.Errorf("unknown language %q (python, nodejs, go)", language)
	}
}

// bind reads and binds the schema, with `version` as the package version.
func bind(path, version string) (*schema.Package, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	spec.Version = version
	pkg, diags, err := schema.BindSpec(spec, noReferences{}, schema.ValidationOptions{})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %s", path, diags.Error())
	}
	return pkg, nil
}

func write(dir string, files map[string][]byte) error {
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func run() error {
	schemaPath := flag.String("schema", "schema.json", "the package schema")
	version := flag.String("version", "", "the provider version the SDKs are for")
	out := flag.String("out", "sdk", "the directory that receives one directory per language")
	flag.Parse()
	if *version == "" || flag.NArg() == 0 {
		return errors.New("usage: gen-sdk -schema schema.json -version X.Y.Z -out DIR LANGUAGE...")
	}
	for _, language := range flag.Args() {
		// Each language imports its own options into the package, so each
		// gets a freshly bound one.
		pkg, err := bind(*schemaPath, *version)
		if err != nil {
			return err
		}
		files, err := generate(language, pkg)
		if err != nil {
			return fmt.Errorf("%s: %w", language, err)
		}
		if err := write(filepath.Join(*out, language), files); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen-sdk:", err)
		os.Exit(1)
	}
}
