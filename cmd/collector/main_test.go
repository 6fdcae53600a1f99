package main

import (
	"strings"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/engine"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/store"
)

func TestOrdinal(t *testing.T) {
	for host, want := range map[string]int{"kpi-collector-2": 2, "kpi-collector-0": 0, "kpi-collector": -1, "web": -1, "a-b-10": 10} {
		if got := ordinal(host); got != want {
			t.Errorf("ordinal(%q) = %d, want %d", host, got, want)
		}
	}
}

// A share of the container's memory outside 0 to 1 is refused before
// anything runs.
func TestAutoGOMEMLIMITRatioRefused(t *testing.T) {
	for _, ratio := range []string{"1.5", "-0.1", "NaN"} {
		if code := run([]string{"--auto-gomemlimit.ratio=" + ratio, "--config.file=" + t.TempDir() + "/missing.yml", "check"}); code != 2 {
			t.Errorf("--auto-gomemlimit.ratio=%s: exit %d, want 2", ratio, code)
		}
	}
}

// A forwarded recording is waited for longer than its owner may take to
// store and publish it.
func TestForwardOutlastsTheOwner(t *testing.T) {
	if got, owner := peerClient().Timeout, store.BusyTimeout+engine.RecordPublishWait; got <= owner {
		t.Errorf("forwarding waits %v, the owner up to %v", got, owner)
	}
}

// `collector check` says when each channel's credential (as last asked) and
// API version end, and what to do about a version that ends soon.
func TestPrintEnds(t *testing.T) {
	cfg, err := config.Load("plan.yml", []byte(`plan: {name: p, goal: seo, timezone: UTC, start: 2026-07-01, end: 2026-12-31}
channels:
  fb: {type: facebook, version: v24.0, version_end: 2026-12-20, credentials: {access_token: a-token-of-ours}, accounts: ["1"]}
  blog: {type: feed, accounts: ["https://blog.example/feed.xml"]}
kpis:
  - {name: fb, channel: fb, metric: followers, milestones: [{due: 2026-12-31, target: 10}]}
`), collectors.Types())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	checks := map[string]snapshot.Credential{"fb": *engine.CredentialOf(store.CredentialCheck{
		Checked: now.Add(-time.Hour), Ends: time.Date(2027, 1, 12, 0, 0, 0, 0, time.UTC), What: "the access token"})}
	var b strings.Builder
	printEnds(&b, cfg, checks, now)
	for _, want := range []string{
		"Credentials and API versions:\n",
		"  fb: credential: the access token expires in 39 days (2027-01-12) (asked 2026-12-03)\n",
		"  fb: API version v24.0 is retired in 16 days (2026-12-20; ",
		": set channels.fb.version to a current one",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("check prints\n%s\nwithout %q", b.String(), want)
		}
	}
	if strings.Contains(b.String(), "blog") {
		t.Errorf("a feed has neither credential nor version to end:\n%s", b.String())
	}
}
