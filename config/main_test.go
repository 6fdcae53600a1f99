package config_test

import (
	"testing"

	"go.uber.org/goleak"
)

// A large plan is parsed in parallel (pieces.go): every parse ends with the
// load, whether the file reads piecewise or falls back to being read whole.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
