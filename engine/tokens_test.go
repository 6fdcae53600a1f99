package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// GA4 bills tokens, not calls: the run counts what the answers say they
// consumed, against 200,000 a property a day (or quota:), the budget held
// across restarts; a run that might not fit is not started.
func TestTokenBudget(t *testing.T) {
	a := fakeapi.New()
	defer a.Close()
	dir := t.TempDir()
	load := func(quota string) *config.Config {
		yml := fmt.Sprintf(`
plan: {name: p, goal: seo, timezone: UTC, start: 2026-07-01, end: 2026-12-31}
channels:
  analytics:
    type: google_analytics
    api_url: %[1]s
    token_url: %[1]s/token
    metrics: {sessions: sessions}
    credentials: {service_account: '%[2]s'}
    accounts: ["123456789", "222222222"]
    %[3]s
kpis:
  - {name: sessions, channel: analytics, account: "123456789", metric: sessions, milestones: [{due: 2026-07-31, target: 20000}]}
`, a.URL, fakeapi.GoogleServiceAccountKey(), quota)
		return loadYAML(t, yml)
	}
	now := time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC)
	e, st := newEngine(t, dir, load(""), now)
	if rep := e.RunChannel(context.Background(), "analytics"); !rep.OK() {
		t.Fatal(rep.Errors)
	}
	ga := channel(e.Snapshot(), "analytics")
	// 7 tokens for 123456789's report, 1 for 222222222's empty one.
	if !ga.HasQuota || ga.QuotaUsed != 8 || ga.QuotaLimit != 400000 {
		t.Errorf("quota = %v of %v, want 8 of 400000 (two properties)", ga.QuotaUsed, ga.QuotaLimit)
	}
	st.Close()

	// After a restart, with a budget of 30 tokens: 8 spent, a run of two
	// reports may cost 20, so one more run fits and the next does not.
	e, st = newEngine(t, dir, load("quota: 30"), now)
	defer st.Close()
	if rep := e.RunChannel(context.Background(), "analytics"); !rep.OK() {
		t.Fatalf("second run: %v", rep.Errors)
	}
	if got := channel(e.Snapshot(), "analytics").QuotaUsed; got != 16 {
		t.Errorf("after the restart and a run: %v tokens used, want 16", got)
	}
	calls := a.Calls(fakeapi.GoogleAnalytics)
	rep := e.RunChannel(context.Background(), "analytics")
	if rep.OK() || rep.Errors[0].Reason != vocab.Quota || a.Calls(fakeapi.GoogleAnalytics) != calls {
		t.Errorf("a run that might pass the budget: %+v, %d reports asked", rep.Errors, a.Calls(fakeapi.GoogleAnalytics)-calls)
	}
}
