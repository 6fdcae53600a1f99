package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

// A collector is told which metrics the plan's KPIs read from its channel:
// Matomo's Goals.get is made only once a KPI reads conversions, and a reload
// that adds one takes effect at the next run.
func TestCollectorMakesOnlyTheCallsKPIsNeed(t *testing.T) {
	a := fakeapi.New()
	defer a.Close()
	plan := func(kpis string) string {
		return fmt.Sprintf(`
plan: {name: p, goal: seo, timezone: UTC, start: 2026-07-01, end: 2026-12-31}
channels:
  site:
    type: matomo
    api_url: %s/matomo/
    credentials: {token_auth: %s}
    accounts: ["3", "4"]
kpis:
%s`, a.URL, fakeapi.MatomoToken, kpis)
	}
	visits := "  - {name: visits, channel: site, account: \"3\", metric: visits, milestones: [{due: 2026-12-31, target: 3000}]}\n"
	conversions := "  - {name: signups, channel: site, account: \"4\", metric: conversions, milestones: [{due: 2026-12-31, target: 100}]}\n"

	now := time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
	e, st := newEngine(t, t.TempDir(), loadYAML(t, plan(visits)), now)
	defer st.Close()
	if rep := e.RunChannel(context.Background(), "site"); !rep.OK() {
		t.Fatal(rep.Errors)
	}
	if got := a.Calls(fakeapi.Matomo); got != 2 {
		t.Errorf("%d calls for a plan on visits, want 2 (VisitsSummary.get for each site)", got)
	}

	e.ApplyConfig(context.Background(), loadYAML(t, plan(visits+conversions)))
	if rep := e.RunChannel(context.Background(), "site"); !rep.OK() {
		t.Fatal(rep.Errors)
	}
	if got := a.Calls(fakeapi.Matomo) - 2; got != 4 {
		t.Errorf("%d calls once a KPI reads conversions, want 4 (VisitsSummary.get and Goals.get for each site)", got)
	}
	if k := kpi(e.Snapshot(), "signups"); !k.HasValue || k.Value != 32 {
		t.Errorf("signups = %v (known %v), want 32", k.Value, k.HasValue)
	}
}
