package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
)

const hostilePlan = `plan: {name: p, goal: seo, start: 2026-07-01, end: 2026-12-31}
channels:
  yt:
    type: youtube
    credentials: {api_key: "${KPI_TEST_KEY:-a-key-of-ours}"}
    accounts: [UCgen1]
    accounts_file: accounts.txt
kpis:
  - {name: subs, channel: yt, account: UCgen1, metric: subscribers, milestones: [{due: 2026-12-31, target: 1000}]}
`

// loadIn writes the plan and the accounts file into a folder and loads it,
// giving up (a failure) if loading blocks.
func loadIn(t *testing.T, plan string, accounts func(path string)) error {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "plan.yml"), []byte(plan), 0o600); err != nil {
		t.Fatal(err)
	}
	accounts(filepath.Join(dir, "accounts.txt"))
	done := make(chan error, 1)
	go func() {
		_, err := config.LoadFile(filepath.Join(dir, "plan.yml"), collectors.Types())
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""))
		}
		return nil
	case <-time.After(20 * time.Second):
		t.Fatal("loading the config blocked")
		return nil
	}
}

func writeFile(content string) func(string) {
	return func(path string) {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			panic(err)
		}
	}
}

// What would take a replica's /metrics down (text that is not UTF-8, a name
// with control characters) or be cut without a word (a file over the cap)
// is refused when the config loads, at its file and line; a file that is
// not a regular file is refused without reading it.
func TestHostileConfigs(t *testing.T) {
	t.Setenv("KPI_TEST_LATIN1", "Malm\xf6")
	tests := []struct {
		name     string
		plan     string
		accounts func(string)
		want     []string
	}{
		{"a Latin-1 accounts file", hostilePlan, writeFile("UCgen2\nMalm\xf6\n"), []string{"accounts.txt:2: channels.yt.accounts: line 2 is not UTF-8 text"}},
		{"a Latin-1 plan", strings.Replace(hostilePlan, "UCgen1]", "UCgen1, Malm\xf6]", 1), writeFile("UCgen2\n"), []string{"plan.yml:6: this line is not UTF-8 text"}},
		{"a Latin-1 variable", strings.Replace(hostilePlan, "UCgen1]", "UCgen1, \"${KPI_TEST_LATIN1}\"]", 1), writeFile("UCgen2\n"), []string{"plan.yml:6: ", "not UTF-8 text"}},
		{"a Latin-1 variable in a secret", strings.Replace(hostilePlan, "KPI_TEST_KEY:-a-key-of-ours", "KPI_TEST_LATIN1", 1), writeFile("UCgen2\n"), []string{"plan.yml:5: ", "not UTF-8 text"}},
		{"an accounts file over the cap", hostilePlan, func(path string) {
			f, err := os.Create(path)
			if err != nil {
				panic(err)
			}
			defer f.Close()
			if err := f.Truncate(config.MaxFileSize + 1); err != nil {
				panic(err)
			}
		}, []string{"plan.yml:7: channels.yt.accounts_file: ", "more than the 33554432"}},
		{"an accounts file that is a FIFO", hostilePlan, func(path string) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				panic(err)
			}
		}, []string{"plan.yml:7: channels.yt.accounts_file: ", "not a regular file"}},
		{"a secret file that is a FIFO", strings.Replace(hostilePlan, `{api_key: "${KPI_TEST_KEY:-a-key-of-ours}"}`, "{api_key_file: accounts.txt}", 1), func(path string) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				panic(err)
			}
		}, []string{"plan.yml:5: channels.yt.credentials.api_key_file: ", "not a regular file"}},
		{"a KPI name with a newline", strings.Replace(hostilePlan, "{name: subs,", `{name: "subs\n  - {name: evil}",`, 1), writeFile("UCgen2\n"), []string{"plan.yml:9: kpi ", "not printable text"}},
		{"a KPI name with ESC", strings.Replace(hostilePlan, "{name: subs,", `{name: "subs\e[31m",`, 1), writeFile("UCgen2\n"), []string{"plan.yml:9: ", "not printable text", "U+001B"}},
		{"a plan name with BEL", strings.Replace(hostilePlan, "{name: p,", `{name: "p\a",`, 1), writeFile("UCgen2\n"), []string{"plan.yml:1: plan.name", "not printable text", "U+0007"}},
		{"a channel name with a tab", strings.Replace(strings.Replace(hostilePlan, "  yt:", "  \"y\\tt\":", 1), "channel: yt", `channel: "y\tt"`, 1), writeFile("UCgen2\n"), []string{"plan.yml:3: channels", "not printable text"}},
		{"an account with ESC in the file", hostilePlan, writeFile("UCgen2\nUC\x1b]0;owned\x07\n"), []string{"accounts.txt:2: channels.yt.accounts", "not printable text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadIn(t, tt.plan, tt.accounts)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error does not say %q:\n%s", w, err)
				}
			}
			if strings.Contains(err.Error(), "\xf6") || strings.ContainsAny(err.Error(), "\x1b\x07") || len(err.Error()) > 1000 {
				t.Errorf("the error carries the raw text or is long:\n%q", err)
			}
		})
	}
}

// A KPI on an unknown account among 200,000 names a few and the count.
func TestUnknownAccountAmongMany(t *testing.T) {
	var b strings.Builder
	for i := range 200_000 {
		fmt.Fprintf(&b, "UCgen%d\n", i+2)
	}
	err := loadIn(t, strings.Replace(hostilePlan, "account: UCgen1,", "account: UCnope,", 1), writeFile(b.String()))
	if err == nil || !strings.Contains(err.Error(), `account "UCnope" is not among channel yt's 200001 accounts (UCgen1, UCgen2, UCgen3, … and 199998 more)`) || len(err.Error()) > 1000 {
		t.Errorf("%.2000s", err)
	}
}
