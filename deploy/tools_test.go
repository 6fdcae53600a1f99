package deploy

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// need returns the path of a tool; CI must have it (.ci/run installs it),
// elsewhere the test is skipped.
func need(t *testing.T, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; .ci/run installs Debian's prometheus and prometheus-alertmanager", tool)
		}
		t.Skipf("%s is not installed (apt-get install prometheus prometheus-alertmanager)", tool)
	}
	return path
}

func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// The real tools accept every file: promtool check config, check rules and
// test rules; amtool check-config.
func TestWithTheRealTools(t *testing.T) {
	promtool := need(t, "promtool")
	run(t, "prometheus", promtool, "check", "config", "prometheus.yml")
	run(t, "prometheus", promtool, "check", "rules", "rules/kpi.yml")
	if out := run(t, "prometheus", promtool, "test", "rules", "tests/kpi_test.yml"); !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules:\n%s", out)
	}
	amtool := need(t, "amtool")
	run(t, "alertmanager", amtool, "check-config", "alertmanager.yml")
}
