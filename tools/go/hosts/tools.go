//go:build tools

// Package tools pins the Pulumi language hosts for Python, Node.js and Go.
// They are nested modules of github.com/pulumi/pulumi with no version tags
// of their own: the pseudo-version names the commit of the CLI release
// v3.192.0, and pkg/sdk stay at that release because the hosts do not
// build against newer ones. The language protocol lets a newer CLI run
// them.
package tools

import (
	_ "github.com/pulumi/pulumi/sdk/go/pulumi-language-go/v3"
	_ "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3"
	_ "github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3"
)
