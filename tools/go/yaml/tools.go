//go:build tools

// Package tools pins Pulumi's YAML language host at the pkg/sdk versions
// its own go.mod names (it does not build against the CLI's newer ones).
package tools

import (
	_ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
)
