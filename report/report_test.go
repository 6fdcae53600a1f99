package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sampleSnapshot() *snapshot.Snapshot {
	loc, _ := time.LoadLocation("Europe/Stockholm")
	due := time.Date(2026, 8, 1, 0, 0, 0, 0, loc)
	return &snapshot.Snapshot{
		At: time.Date(2026, 7, 16, 12, 0, 0, 0, loc),
		Plan: snapshot.PlanInfo{Name: "acme-2026-h2", Goal: "thought_leadership", Timezone: "Europe/Stockholm",
			Start: "2026-07-01", End: "2026-12-31",
			StartTime: time.Date(2026, 7, 1, 0, 0, 0, 0, loc), EndTime: time.Date(2027, 1, 1, 0, 0, 0, 0, loc)},
		KPIs: []snapshot.KPIState{
			{
				KPI: &snapshot.KPI{Name: "blog_articles", Channel: "blog", Account: "https://blog.acme.example/feed.xml", Metric: "posts", Count: vocab.Growth, Milestones: []vocab.Milestone{{Due: due, Target: 8}}},
				Evaluation: plan.Evaluation{Status: vocab.Behind, HasValue: true, Value: 2, Expected: 3.9, HasTarget: true, Target: 8, Due: due,
					HasProgress: true, Progress: 2 / 3.9, HasPace: true, Forecast: 4.25},
			},
			{
				KPI:        &snapshot.KPI{Name: "new_relationships", Channel: "offline", Account: "default", Metric: "relationships", Count: vocab.Growth, Milestones: []vocab.Milestone{{Due: due, Target: 5}}},
				Evaluation: plan.Evaluation{Status: vocab.NoData, Expected: 2.4, HasTarget: true, Target: 5, Due: due},
			},
			{
				KPI:        &snapshot.KPI{Name: "odd|name_with *markup* and\na line", Channel: "offline", Account: "default", Metric: "relationships", Count: vocab.Growth, Milestones: []vocab.Milestone{{Due: due, Target: 5}}},
				Evaluation: plan.Evaluation{Status: vocab.OnTrack, HasValue: true, Value: 2, Expected: 2, HasTarget: true, Target: 5, Due: due, HasProgress: true, Progress: 1},
			},
			{
				KPI:        &snapshot.KPI{Name: "youtube_subscribers", Channel: "youtube", Account: "UCHiddenSubs000000000000", Metric: "subscribers", Count: vocab.Total, Milestones: []vocab.Milestone{{Due: due, Target: 1200}}},
				Evaluation: plan.Evaluation{Status: vocab.NoData, Expected: 1100, HasTarget: true, Target: 1200, Due: due},
				Hidden:     "hidden by the account",
			},
			{
				KPI:        &snapshot.KPI{Name: "share_of_voice", Channel: "bluesky", Account: "acme.bsky.social", Metric: "followers", Count: vocab.Total, Milestones: []vocab.Milestone{{Due: due, Target: 0.25}}},
				Evaluation: plan.Evaluation{Status: vocab.OnTrack, HasValue: true, Value: 0.2, Expected: 0.2, HasTarget: true, Target: 0.25, Due: due, HasProgress: true, Progress: 1},
				Versus: &snapshot.Versus{Compare: vocab.Share,
					Own: snapshot.Standing{Account: "acme.bsky.social", HasValue: true, Value: 2000, HasPace: true, DailyGrowth: 14.29},
					Rivals: []snapshot.Standing{{Account: "rival.bsky.social", HasValue: true, Value: 5000, HasPace: true, DailyGrowth: 7.1},
						{Account: "other.bsky.social", HasValue: true, Value: 3000}}},
			},
			{
				KPI:              &snapshot.KPI{Name: "engagement", Channel: "bluesky", Account: "acme.bsky.social", Metric: "engagement_per_post", Count: vocab.Total, Milestones: []vocab.Milestone{{Due: due, Target: 40}}},
				Evaluation:       plan.Evaluation{Status: vocab.Behind, HasValue: true, Value: 25, Expected: 33, HasTarget: true, Target: 40, Due: due, HasProgress: true, Progress: 25.0 / 33},
				HasPostsInWindow: true,
				PostsInWindow:    12,
			},
		},
	}
}

func TestGolden(t *testing.T) {
	doc := Build(sampleSnapshot())
	for _, tt := range []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"report.json", func(b *bytes.Buffer) error { return WriteJSON(b, doc) }},
		{"report.csv", func(b *bytes.Buffer) error { return WriteCSV(b, doc) }},
		{"report.txt", func(b *bytes.Buffer) error { return WriteTable(b, doc, false) }},
		{"report.md", func(b *bytes.Buffer) error { return WriteMarkdown(b, doc) }},
	} {
		t.Run(tt.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.file)
			if *update {
				os.WriteFile(golden, b.Bytes(), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs from the golden file:\n%s", tt.file, b.String())
			}
		})
	}
}

func TestColorOnlyOnRequest(t *testing.T) {
	var plain, color bytes.Buffer
	doc := Build(sampleSnapshot())
	WriteTable(&plain, doc, false)
	WriteTable(&color, doc, true)
	if bytes.Contains(plain.Bytes(), []byte("\x1b[")) || !bytes.Contains(color.Bytes(), []byte("\x1b[33mbehind")) {
		t.Error("color must show on a terminal only")
	}
}

// `collector report --suggest`: for each KPI behind or projected to miss, its
// milestones with the next target replaced by what the recent pace gives by
// the due date; nothing for KPIs on track or met.
func TestSuggestions(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Stockholm")
	s := sampleSnapshot()
	due := time.Date(2026, 8, 1, 0, 0, 0, 0, loc)
	s.KPIs = []snapshot.KPIState{
		{
			KPI: &snapshot.KPI{Name: "new_relationships", Channel: "offline", Account: "default", Metric: "relationships", Count: vocab.Growth, Tolerance: 0.05, Milestones: []vocab.Milestone{{Due: due, Target: 5}, {Due: time.Date(2026, 9, 1, 0, 0, 0, 0, loc), Target: 10}}},
			Evaluation: plan.Evaluation{Status: vocab.Behind, HasValue: true, Value: 2, Expected: 2.6, HasTarget: true, Target: 5, Due: due,
				HasPace: true, DailyGrowth: 0.1, Forecast: 3.6, HasReach: true, ReachTime: time.Date(2026, 8, 15, 12, 0, 0, 0, loc), HasRequired: true, RequiredDailyGrowth: 0.2},
		},
		{
			KPI:        &snapshot.KPI{Name: "on:track", Channel: "blog", Account: "https://blog.example/feed.xml", Metric: "posts", Count: vocab.Growth, Tolerance: 0.05, Milestones: []vocab.Milestone{{Due: due, Target: 5}}},
			Evaluation: plan.Evaluation{Status: vocab.OnTrack, HasValue: true, Value: 3, HasTarget: true, Target: 5, Due: due, HasPace: true, DailyGrowth: 1, Forecast: 18},
		},
		// Lower is better: a position forecast at 11.84 falls short of 11,
		// and the pace's target is 11.9; one forecast under its target is fine.
		{
			KPI: &snapshot.KPI{Name: "position", Channel: "offline", Account: "default", Metric: "position", Count: vocab.Total, Tolerance: 0.05, Milestones: []vocab.Milestone{{Due: due, Target: 11}}},
			Evaluation: plan.Evaluation{Status: vocab.OnTrack, Direction: vocab.Down, HasValue: true, Value: 12.3, Expected: 12.2, HasTarget: true, Target: 11, Due: due,
				HasPace: true, DailyGrowth: -0.03, Forecast: 11.84, HasRequired: true, RequiredDailyGrowth: -0.08},
		},
		{
			KPI:        &snapshot.KPI{Name: "bounce", Channel: "offline", Account: "default", Metric: "bounce_rate", Count: vocab.Total, Tolerance: 0.05, Milestones: []vocab.Milestone{{Due: due, Target: 0.5}}},
			Evaluation: plan.Evaluation{Status: vocab.OnTrack, Direction: vocab.Down, HasValue: true, Value: 0.52, HasTarget: true, Target: 0.5, Due: due, HasPace: true, DailyGrowth: -0.01, Forecast: 0.4},
		},
	}
	var b bytes.Buffer
	if err := WriteSuggestions(&b, s); err != nil {
		t.Fatal(err)
	}
	compareGolden(t, "suggest.yml", b.Bytes())
	var parsed []map[string]any
	if err := yaml.Unmarshal(b.Bytes(), &parsed); err != nil || len(parsed) != 2 {
		t.Errorf("the suggestion is not YAML to paste: %v %v", err, parsed)
	}
	// Pasted into a plan's kpis, it loads.
	var indented strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		indented.WriteString("  " + line + "\n")
	}
	plan := "plan: {name: p, goal: networking, timezone: Europe/Stockholm, start: 2026-07-01, end: 2026-12-31}\n" +
		"channels: {offline: {type: manual}}\nkpis:\n" + indented.String()
	if _, err := config.Load("pasted.yml", []byte(plan), collectors.Types()); err != nil {
		t.Errorf("the suggestion pasted into a plan does not load: %v\n%s", err, plan)
	}
}

// compareGolden compares got with testdata/name (rewritten with -update).
func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file:\n%s", path, got)
	}
}

// A text cell a spreadsheet would take for a formula (=, +, -, @, a tab or a
// carriage return first) is written with a leading ', as OWASP advises for
// CSV injection; numbers stay numbers.
func TestCSVCellsAreNotFormulas(t *testing.T) {
	doc := Document{KPIs: []Row{
		{KPI: `=HYPERLINK("http://evil.example","x")`, Channel: "+chan", Account: "-acc", Metric: "@metric", Note: "\tnote", Advice: "\rplain"},
		{KPI: "plain", Channel: "c", Account: "a", Metric: "m", Value: ptr(-3)},
	}}
	var b bytes.Buffer
	if err := WriteCSV(&b, doc); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if want := `"'=HYPERLINK(""http://evil.example"",""x"")",'+chan,'-acc,'@metric,`; !strings.HasPrefix(lines[1], want) {
		t.Errorf("got %s\nwant %s…", lines[1], want)
	}
	if !strings.Contains(lines[1], ",'\tnote,") || !strings.Contains(b.String(), ",\"'\rplain\"") {
		t.Errorf("a note or advice starting with a tab or CR is not neutralized: %q", lines[1])
	}
	if !strings.HasPrefix(lines[2], "plain,c,a,m,-3,") {
		t.Errorf("a number was changed: %s", lines[2])
	}
}

func ptr(v float64) *float64 { return &v }
