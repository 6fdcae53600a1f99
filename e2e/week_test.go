package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// README's marketer's week runs as written: the import and the suggestions
// print what its blocks show.
func TestREADMEMarketersWeek(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := func(name string) string {
		_, after, ok := strings.Cut(string(readme), "<!-- week:"+name+" -->\n```\n")
		want, _, ok2 := strings.Cut(after, "```\n<!-- /week:"+name+" -->")
		if !ok || !ok2 {
			t.Fatalf("README.md has no week:%s block", name)
		}
		return want
	}
	storage := filepath.Join(t.TempDir(), "week-data")
	env := append(os.Environ(), "YOUTUBE_API_KEY=your-youtube-key", "X_BEARER_TOKEN=your-x-bearer-token")
	run := func(args ...string) string {
		cmd := exec.Command(binary, args...)
		cmd.Dir = ".."
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("collector %s: %v", strings.Join(args, " "), err)
		}
		return string(out)
	}
	c := []string{"--config.file=config/walkthrough.yml", "--storage.path=" + storage}
	if got := run(append([]string{"import"}, append(c, "--file=config/walkthrough-relationships.csv")...)...); got != block("import") {
		t.Errorf("import printed:\n%s\nREADME shows:\n%s", got, block("import"))
	}
	if got := run(append([]string{"report"}, append(c, "--at=2026-08-10", "--suggest")...)...); got != block("suggest") {
		t.Errorf("report --suggest printed:\n%s\nREADME shows:\n%s", got, block("suggest"))
	}
}
