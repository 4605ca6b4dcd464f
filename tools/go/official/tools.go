//go:build tools

// Package tools pins the official provider, pulumi/pulumi-docker-build,
// built here only to measure this provider against it side by side
// (benches/side_by_side.rs) and to deploy a real stack that the migration
// test then switches to this provider.
package tools

import (
	_ "github.com/pulumi/pulumi-docker-build/provider/cmd/pulumi-resource-docker-build"
)
