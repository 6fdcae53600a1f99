package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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

// The walk-through as a reader follows it today: the same recordings made
// now, without --time, the two relationships a second apart. The pace of a
// count kept by hand is its change over the last 14 days up to now, over at
// least a day: 3 in 14 days, not 3 in a second (which said "at 3200000 a
// day"), and the advice's reach day lies ahead, as far as the pace says.
func TestREADMEWalkthroughRecordedNow(t *testing.T) {
	if time.Now().Before(time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC)) {
		t.Skip("the walk-through's plan starts on 2026-07-01; recorded now, 14 days of it must have passed")
	}
	storage := filepath.Join(t.TempDir(), "walkthrough-now")
	env := append(os.Environ(), "YOUTUBE_API_KEY=your-youtube-key", "X_BEARER_TOKEN=your-x-bearer-token")
	run := func(args ...string) string {
		cmd := exec.Command(binary, args...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("collector %s: %v", strings.Join(args, " "), err)
		}
		return string(out)
	}
	c := []string{"--config.file=../config/walkthrough.yml", "--storage.path=" + storage}
	run(append([]string{"record"}, append(c, "--channel=offline", "--metric=relationships", "--add=2")...)...)
	run(append([]string{"record"}, append(c, "--channel=offline", "--metric=relationships", "--add=1")...)...)
	run(append([]string{"record"}, append(c, "--channel=offline", "--metric=guest_posts", "--add=1")...)...)
	asked := time.Now()
	var doc struct {
		At   time.Time `json:"at"`
		KPIs []struct {
			KPI    string   `json:"kpi"`
			Value  *float64 `json:"value"`
			Advice string   `json:"advice"`
		} `json:"kpis"`
	}
	if err := json.Unmarshal([]byte(run(append([]string{"report"}, append(c, "--format=json")...)...)), &doc); err != nil {
		t.Fatal(err)
	}
	stockholm, _ := time.LoadLocation("Europe/Stockholm")
	reach := regexp.MustCompile(`^at ([0-9.]+) a day it reaches ([0-9]+) on ([0-9-]+), `)
	for _, want := range []struct {
		kpi         string
		value, pace float64
		printed     string
	}{
		{"new_relationships", 3, 3.0 / 14, "0.21"},
		{"guest_posts", 1, 1.0 / 14, "0.071"},
	} {
		for _, k := range doc.KPIs {
			if k.KPI != want.kpi {
				continue
			}
			if k.Value == nil || *k.Value != want.value {
				t.Errorf("%s = %v, want %v", k.KPI, k.Value, want.value)
				continue
			}
			m := reach.FindStringSubmatch(k.Advice)
			if m == nil || m[1] != want.printed {
				t.Errorf("%s: %q, want a pace of %s a day", k.KPI, k.Advice, want.printed)
				continue
			}
			target, _ := json.Number(m[2]).Float64()
			// The day the pace reaches the target, give or take the
			// seconds between the recordings and the report.
			days := (target - want.value) / want.pace
			earliest := asked.Add(-time.Minute).Add(time.Duration(days * 24 * float64(time.Hour))).In(stockholm).Format(time.DateOnly)
			latest := doc.At.Add(time.Minute).Add(time.Duration(days * 24 * float64(time.Hour))).In(stockholm).Format(time.DateOnly)
			if m[3] != earliest && m[3] != latest {
				t.Errorf("%s: %q reaches %s on %s, want %s (%.1f days after %s)", k.KPI, k.Advice, m[2], m[3], latest, days, doc.At)
			}
			if today := doc.At.In(stockholm).Format(time.DateOnly); m[3] <= today {
				t.Errorf("%s: %q reaches %s by today, %s, while it is %v", k.KPI, k.Advice, m[2], today, want.value)
			}
		}
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
