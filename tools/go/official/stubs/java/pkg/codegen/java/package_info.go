// Package java stands in for pulumi-java's codegen package, which the Go
// module proxy here does not serve. The official provider imports it only
// for this struct, which fills the Java section of its schema's language
// metadata; nothing the side-by-side runs exercise reads it.
package java

// PackageInfo is the Java language metadata of a package schema.
type PackageInfo struct {
	BuildFiles                      string            `json:"buildFiles,omitempty"`
	GradleNexusPublishPluginVersion string            `json:"gradleNexusPublishPluginVersion,omitempty"`
	Dependencies                    map[string]string `json:"dependencies,omitempty"`
}
