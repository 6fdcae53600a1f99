package config_test

import (
	"strings"
	"testing"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
)

// YouTube rounds subscriber counts above 1,000 to three significant
// figures; a target finer than that is warned about, with its line.
func TestResolutionWarnings(t *testing.T) {
	yml := `plan: {name: p, goal: seo, timezone: UTC, start: 2026-07-01, end: 2026-12-31}
channels:
  yt: {type: youtube, credentials: {api_key: k}, accounts: [UC1, UC2]}
kpis:
  - name: exact_total
    channel: yt
    account: UC1
    metric: subscribers
    milestones: [{due: 2026-09-30, target: 124000}]
  - name: fine_total
    channel: yt
    account: UC1
    metric: subscribers
    milestones:
      - {due: 2026-09-30, target: 123050}
  - name: fine_growth
    channel: yt
    account: UC2
    metric: subscribers
    count: growth
    milestones:
      - {due: 2026-09-30, target: 50}
      - {due: 2026-12-31, target: 3000}
  - name: views_are_exact
    channel: yt
    account: UC1
    metric: views
    milestones: [{due: 2026-09-30, target: 123457}]
`
	types := collectors.Types()
	cfg, err := config.Load("plan.yml", []byte(yml), types)
	if err != nil {
		t.Fatal(err)
	}
	latest := func(_, account, _ string) (float64, bool) {
		if account == "UC2" {
			return 123000, true
		}
		return 0, false
	}
	got := config.ResolutionWarnings(cfg, types, latest).Error()
	for _, want := range []string{
		"plan.yml:15: kpis.fine_total: target 123050",
		"plan.yml:22: kpis.fine_growth: target 50 (due 2026-09-30) is finer than the API shows a count of about 123000: in steps of 1000 (YouTube rounds subscriber counts above 1,000 to three significant figures)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings do not say %q:\n%s", want, got)
		}
	}
	for _, quiet := range []string{"exact_total", "views_are_exact", "target 3000"} {
		if strings.Contains(got, quiet) {
			t.Errorf("%s is warned about:\n%s", quiet, got)
		}
	}
	// Without the store, a growth target is not judged.
	if got := config.ResolutionWarnings(cfg, types, nil).Error(); strings.Contains(got, "fine_growth") {
		t.Errorf("without readings: %s", got)
	}
}
