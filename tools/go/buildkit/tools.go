//go:build tools

// Package tools pins buildkitd, the BuildKit daemon the tests run as remote
// builders. Its own go.mod has an exclude block, so `go install` refuses
// it; building its main package from this module works.
package tools

import (
	_ "github.com/moby/buildkit/cmd/buildkitd"
)
