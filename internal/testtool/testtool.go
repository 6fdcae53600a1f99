// Package testtool finds the programs tests drive (Chromium, curl, wget,
// Python): a test without one is skipped, except in CI, where .ci/run
// installs them all and a missing one fails the test.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// Path is the path of the program name, which Debian's package pkg
// installs.
func Path(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; .ci/run installs Debian's %s package", name, pkg)
		}
		t.Skipf("%s is not installed (apt-get install %s)", name, pkg)
	}
	return path
}
