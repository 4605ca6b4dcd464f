//go:build tools

// Package tools pins the Pulumi CLI that the tests and the demo run. The
// CLI's own go.mod carries replace directives, so `go install` refuses it;
// building its main package from this module works.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
