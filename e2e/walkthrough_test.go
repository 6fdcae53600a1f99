package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

// The README's walk-through runs as written and prints the report it shows.
func TestREADMEWalkthrough(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "<!-- walkthrough:report -->\n```\n")
	want, _, ok2 := strings.Cut(after, "```\n<!-- /walkthrough:report -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no walkthrough:report block")
	}
	storage := filepath.Join(t.TempDir(), "walkthrough-data")
	env := append(os.Environ(), "YOUTUBE_API_KEY=your-youtube-key", "X_BEARER_TOKEN=your-x-bearer-token")
	run := func(args ...string) string {
		cmd := exec.Command(binary, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("collector %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	c := []string{"--config.file=../config/walkthrough.yml", "--storage.path=" + storage}
	run("check", c[0])
	run(append([]string{"record"}, append(c, "--channel=offline", "--metric=relationships", "--add=2", "--time=2026-07-08T16:00:00+02:00")...)...)
	run(append([]string{"record"}, append(c, "--channel=offline", "--metric=relationships", "--add=1", "--time=2026-07-21T11:30:00+02:00")...)...)
	run(append([]string{"record"}, append(c, "--channel=offline", "--metric=guest_posts", "--add=1", "--time=2026-07-28T09:00:00+02:00")...)...)
	if got := run(append([]string{"report"}, append(c, "--at=2026-07-31")...)...); got != want {
		t.Errorf("the report differs from README's:\n%s\nwant:\n%s", got, want)
	}
}

// README's SEO example runs as written and prints the report it shows.
func TestREADMESEOWalkthrough(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "<!-- seo:report -->\n```\n")
	want, _, ok2 := strings.Cut(after, "```\n<!-- /seo:report -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no seo:report block")
	}
	storage := filepath.Join(t.TempDir(), "seo-data")
	env := append(os.Environ(), "GOOGLE_SERVICE_ACCOUNT_JSON="+fakeapi.GoogleServiceAccountKey())
	run := func(args ...string) string {
		cmd := exec.Command(binary, args...)
		cmd.Dir = ".."
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("collector %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	c := []string{"--config.file=config/walkthrough-seo.yml", "--storage.path=" + storage}
	run("check", c[0])
	run(append([]string{"import"}, append(c, "--file=config/walkthrough-seo.csv")...)...)
	if got := run(append([]string{"report"}, append(c, "--at=2026-08-31")...)...); got != want {
		t.Errorf("the report differs from README's:\n%s\nwant:\n%s", got, want)
	}
}
