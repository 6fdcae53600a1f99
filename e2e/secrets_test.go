package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Reading the plan needs no API secret: with the walk-through's ${VAR}s
// unset (and a secret file that is not there), report, record, import and
// healthcheck run; serve and once, which call the APIs, refuse to start,
// and check names every secret that is missing.
func TestSubCommandsWithoutSecrets(t *testing.T) {
	dir := t.TempDir()
	plan, err := os.ReadFile("../config/walkthrough.yml")
	if err != nil {
		t.Fatal(err)
	}
	// A channel whose secret is a file, as in a container, beside the
	// walk-through's ${VAR}s.
	plan = append(plan, []byte(`  - {name: facebook_followers, channel: facebook, metric: followers, milestones: [{due: 2026-12-31, target: 500}]}
`)...)
	plan = []byte(strings.Replace(string(plan), "\nkpis:\n", `
  facebook:
    type: facebook
    credentials: { access_token_file: /run/secrets/no-such-facebook-token }
    accounts: ["20531316728"]

kpis:
`, 1))
	configFile := filepath.Join(dir, "plan.yml")
	if err := os.WriteFile(configFile, plan, 0o600); err != nil {
		t.Fatal(err)
	}
	csv := filepath.Join("..", "config", "walkthrough-relationships.csv")
	storage := filepath.Join(dir, "data")
	ready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer ready.Close()
	run := func(args ...string) (int, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a serve that starts would run on
		defer cancel()
		cmd := exec.CommandContext(ctx, binary, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")} // no YOUTUBE_API_KEY, no X_BEARER_TOKEN
		out, err := cmd.CombinedOutput()
		return exitCode(err), string(out)
	}
	c := []string{"--config.file=" + configFile, "--storage.path=" + storage}
	with := func(cmd string, args ...string) []string { return append(append([]string{cmd}, c...), args...) }

	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"import reads the plan", with("import", "--file="+csv), 0, []string{"3 rows read, 3 new or changed readings stored"}},
		{"record reads the plan", with("record", "--channel=offline", "--metric=guest_posts", "--add=1", "--time=2026-07-28T09:00:00+02:00"), 0, []string{"offline\tdefault\tguest_posts\t1\t"}},
		{"report reads the plan", with("report", "--at=2026-07-31", "--format=csv"), 0, []string{"new_relationships,offline,default,relationships,3,", "guest_posts,offline,default,guest_posts,2,", "youtube_tutorials,youtube,"}},
		{"healthcheck asks the daemon", with("healthcheck", "--url="+ready.URL), 0, nil},
		{"check names every missing secret", with("check"), 1, []string{
			"environment variable YOUTUBE_API_KEY is not set", "environment variable X_BEARER_TOKEN is not set",
			"channels.facebook.credentials.access_token_file: cannot read /run/secrets/no-such-facebook-token"}},
		{"once needs the secrets", with("once"), 1, []string{"environment variable YOUTUBE_API_KEY is not set", "environment variable X_BEARER_TOKEN is not set"}},
		{"serve needs the secrets", with("serve", "--web.listen-address=127.0.0.1:0"), 1, []string{"YOUTUBE_API_KEY is not set", "X_BEARER_TOKEN is not set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := run(tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tt.wantCode, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("the output does not say %q:\n%s", w, out)
				}
			}
		})
	}
}
