package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// Rivals are read with the channel's own accounts, in the same batch; a KPI
// versus rivals is the account's share of the field; a rival that fails
// leaves the share unknown for that run, never computed from the others.
func TestRivals(t *testing.T) {
	a := fakeapi.New()
	defer a.Close()
	yml := fmt.Sprintf(`
plan: {name: p, goal: brand_awareness, timezone: UTC, start: 2026-07-01, end: 2026-12-31}
channels:
  bluesky:
    type: bluesky
    api_url: %s
    accounts: [gen2000.bsky.social]
    rivals: [gen5000.bsky.social, gen3000.bsky.social]
kpis:
  - {name: share, channel: bluesky, metric: followers, versus: rivals, compare: share, milestones: [{due: 2026-09-30, target: 0.25}]}
  - {name: lead, channel: bluesky, metric: followers, versus: rivals, compare: lead, milestones: [{due: 2026-09-30, target: 0}]}
  - {name: followers, channel: bluesky, metric: followers, milestones: [{due: 2026-09-30, target: 2500}]}
`, a.URL)
	cfg := loadYAML(t, yml)
	now := time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC)
	e, st := newEngine(t, t.TempDir(), cfg, now)
	defer st.Close()
	if rep := e.RunChannel(context.Background(), "bluesky"); !rep.OK() {
		t.Fatal(rep.Errors)
	}
	if got := a.Calls(fakeapi.Bluesky); got != 1 {
		t.Errorf("%d getProfiles calls, want 1: rivals are batched with the account", got)
	}
	share := kpi(e.Snapshot(), "share")
	if !share.HasValue || !near(share.Value, 0.2) || share.Versus == nil || share.Versus.Compare != vocab.Share {
		t.Errorf("share = %v (%v), want 0.2", share.Value, share.HasValue)
	}
	if v := share.Versus; len(v.Rivals) != 2 || v.Rivals[0].Account != "gen5000.bsky.social" || v.Rivals[0].Value != 5000 || v.Own.Value != 2000 {
		t.Errorf("standings: own %+v, rivals %+v", v.Own, v.Rivals)
	}
	if lead := kpi(e.Snapshot(), "lead"); lead.Value != -3000 {
		t.Errorf("lead = %v, want -3000 (behind the best rival)", lead.Value)
	}
	var rivalValue bool
	for av, v := range e.Snapshot().Accounts.All() {
		if av.Account == "gen3000.bsky.social" && av.Metric == "followers" && v == 3000 {
			rivalValue = true
		}
	}
	if !rivalValue {
		t.Error("the rival's value is not among the account values")
	}

	// A day later a rival's API read fails: the run fails for that rival
	// alone; the share keeps its last known value and time.
	e.SetClock(func() time.Time { return now.Add(24 * time.Hour) })
	a.Fail(fakeapi.Bluesky, "rate")
	rep := e.RunChannel(context.Background(), "bluesky")
	a.Fail(fakeapi.Bluesky, "")
	if rep.OK() {
		t.Fatal("the run with the API failing succeeded")
	}
	after := kpi(e.Snapshot(), "share")
	if !after.LastObservation.Equal(share.LastObservation) || after.Value != share.Value {
		t.Errorf("after a failed run the share is %v at %v, want %v at %v", after.Value, after.LastObservation, share.Value, share.LastObservation)
	}
}

func near(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }
