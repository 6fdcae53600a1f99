package web

import (
	"strings"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// The status page's bar fills toward the next target in the KPI's
// direction: a position from 14 toward 11 at 12.7 is 43% of the way.
func TestBarFollowsTheDirection(t *testing.T) {
	up := snapshot.KPIState{Evaluation: plan.Evaluation{Target: 1200, Baseline: 1000}}
	down := snapshot.KPIState{Evaluation: plan.Evaluation{Direction: vocab.Down, Target: 11, Baseline: 14}}
	tests := []struct {
		name string
		k    snapshot.KPIState
		v    float64
		want string
	}{
		{"up: 600 of 1,200", up, 600, "50.0"},
		{"up: past the target is full", up, 1500, "100.0"},
		{"down: 12.7 on the way from 14 to 11", down, 12.7, "43.3"},
		{"down: at the baseline is empty", down, 14, "0.0"},
		{"down: worse than the baseline is empty", down, 15.2, "0.0"},
		{"down: below the target is full", down, 10.4, "100.0"},
		{"a target equal to the start", snapshot.KPIState{Evaluation: plan.Evaluation{Direction: vocab.Down, Target: 14, Baseline: 14}}, 12, "0"},
	}
	for _, tt := range tests {
		if got := toward(tt.k, tt.v); got != tt.want {
			t.Errorf("%s: width %s, want %s", tt.name, got, tt.want)
		}
	}
}

// A KPI versus rivals shows where each stands; an engagement KPI, its posts.
func TestRivalsTable(t *testing.T) {
	k := snapshot.KPIState{
		KPI:        &snapshot.KPI{Name: "share", Channel: "bluesky", Account: "acme", Metric: "followers"},
		Evaluation: plan.Evaluation{Status: vocab.OnTrack, HasValue: true, Value: 0.2, HasTarget: true, Target: 0.25},
		Versus: &snapshot.Versus{Compare: vocab.Share,
			Own:    snapshot.Standing{Account: "acme", HasValue: true, Value: 2000, HasPace: true, DailyGrowth: 14.3},
			Rivals: []snapshot.Standing{{Account: "rival-one", HasValue: true, Value: 5000, HasPace: true, DailyGrowth: 7.1}, {Account: "rival-two"}}},
		HasPostsInWindow: true,
		PostsInWindow:    12,
	}
	var b strings.Builder
	err := page.Execute(&b, pageData{Snap: &snapshot.Snapshot{}, Loc: time.UTC, Channels: []pageChannel{{ChannelState: snapshot.ChannelState{Name: "bluesky"}, KPIs: []snapshot.KPIState{k}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"share of followers against the rivals", "<td>acme (own)</td><td>2000</td><td>14.3</td>", "<td>rival-one</td><td>5000</td><td>7.1</td>", "<td>rival-two</td><td>unknown</td><td>-</td>", "over 12 posts in the window"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the page does not show %q", want)
		}
	}
}

// Each channel says when its credential ends and when its API version is
// retired, marked where the alerts would warn (7 and 30 days).
func TestCredentialAndVersionEnds(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	channels := []pageChannel{
		{ChannelState: snapshot.ChannelState{Name: "li", Scheduled: true,
			Credential: &snapshot.Credential{Ends: now.Add(40*24*time.Hour + time.Hour), What: "the refresh token"},
			APIVersion: &snapshot.APIVersion{Version: "202511", Ends: now.Add(-17 * 24 * time.Hour), Source: "LinkedIn's migrations page"}}},
		{ChannelState: snapshot.ChannelState{Name: "fb", Scheduled: true,
			Credential: &snapshot.Credential{Ends: now.Add(5 * 24 * time.Hour), What: "the access token's data access"},
			APIVersion: &snapshot.APIVersion{Version: "v27.0"}}},
		{ChannelState: snapshot.ChannelState{Name: "ig", Scheduled: true,
			Credential: &snapshot.Credential{What: "the access token", Dead: "Meta says the token is not valid"}}},
	}
	var b strings.Builder
	if err := page.Execute(&b, pageData{Snap: &snapshot.Snapshot{At: now}, Loc: time.UTC, Channels: channels}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<div class="credential muted">credential: the refresh token expires in 40 days (2027-01-12)</div>`,
		`<div class="version bad">API version 202511 was retired 17 days ago (2026-11-16; LinkedIn&#39;s migrations page)</div>`,
		`<div class="credential bad">credential: the access token&#39;s data access expires in 5 days (2026-12-08)</div>`,
		`<div class="version muted">API version v27.0: no end announced</div>`,
		`<div class="credential bad">credential: the access token no longer works: Meta says the token is not valid</div>`,
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the page does not show %s", want)
		}
	}
}
