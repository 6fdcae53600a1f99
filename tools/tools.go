//go:build tools

// Package tools pins the development tools in their own module, so that their
// dependencies stay out of the collector's go.mod.
package tools

import (
	_ "github.com/golangci/golangci-lint/v2/cmd/golangci-lint"
)
