package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// collector import: every row is checked first and nothing is written while
// one is bad; --skip-bad writes the good ones; the same file twice changes
// nothing; - reads standard input.
func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join("..", "backfill", "testdata", "plan.yml")
	storage := filepath.Join(dir, "data")
	run := func(stdin string, args ...string) (int, string) {
		cmd := exec.Command(binary, append([]string{"import", "--config.file=" + cfg, "--storage.path=" + storage}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return exitCode(err), string(out)
	}
	report := func() string {
		out, err := exec.Command(binary, "report", "--config.file="+cfg, "--storage.path="+storage, "--format=csv", "--at=2026-08-01").Output()
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	good := filepath.Join("..", "backfill", "testdata", "relationships_spreadsheet.csv")
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, append(bytes.Clone(data), "offline,,relationships,-1,2026-07-31\n"...), 0o600); err != nil {
		t.Fatal(err)
	}

	if code, out := run("", "--file="+bad); code != 1 || !strings.Contains(out, `bad.csv:5: value "-1" is negative`) || !strings.Contains(out, "nothing was written") {
		t.Errorf("a file with a bad row: exit %d\n%s", code, out)
	}
	if strings.Contains(report(), "rel,offline,default,relationships,4,") {
		t.Error("a file with a bad row wrote something")
	}
	if code, out := run("", "--file="+good); code != 0 || !strings.Contains(out, "3 rows read, 3 new or changed readings stored") {
		t.Errorf("the good file: exit %d\n%s", code, out)
	}
	if !strings.Contains(report(), "rel,offline,default,relationships,4,") {
		t.Errorf("the imported history does not show:\n%s", report())
	}
	if code, out := run(string(data), "--file=-"); code != 0 || !strings.Contains(out, "3 rows read, 0 new or changed readings stored") {
		t.Errorf("the same rows again, from standard input: exit %d\n%s", code, out)
	}
	if code, out := run("", "--file="+bad, "--skip-bad"); code != 0 || !strings.Contains(out, "1 bad rows skipped") || !strings.Contains(out, "bad.csv:5:") {
		t.Errorf("--skip-bad: exit %d\n%s", code, out)
	}
	// A row that runs on (a quote left open over 100 MB) stops the import at
	// its line, whatever --skip-bad says; the message quotes none of it.
	huge := "channel,account,metric,value,time\noffline,\"" + strings.Repeat("x", 100<<20)
	if code, out := run(huge, "--file=-", "--skip-bad"); code != 1 || !strings.Contains(out, "standard input:2: a row longer than") || !strings.Contains(out, "nothing was written") || len(out) > 1000 {
		t.Errorf("a row that runs on: exit %d\n%.2000s", code, out)
	}
}
