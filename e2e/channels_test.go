package e2e

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/engine"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
	"github.com/kpi-collector/kpi-collector/metrics"
	"github.com/kpi-collector/kpi-collector/store"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// allChannels is a plan naming all ten channel types, every one pointed at
// the fake APIs.
func allChannels(api string) string {
	return fmt.Sprintf(`
plan: {name: every-channel, goal: brand_awareness, timezone: UTC, start: 2026-07-01, end: 2026-12-31}
channels:
  youtube:
    type: youtube
    api_url: %[1]s
    credentials: {api_key: %[2]s}
    accounts: [UC_x5XG1OV2P6uZZ5FSM9Ttw, UCHiddenSubs000000000000]
  x:
    type: twitter
    api_url: %[1]s
    credentials: {bearer_token: %[3]s}
    accounts: [XDevelopers, gen42]
  x_legacy:
    type: twitter
    api: v1.1
    api_url: %[1]s
    credentials: {bearer_token: %[3]s}
    accounts: [XDevelopers]
  facebook:
    type: facebook
    api_url: %[1]s
    credentials: {access_token: %[4]s}
    accounts: ["20531316728", "104958162837"]
  instagram:
    type: instagram
    api_url: %[1]s
    credentials: {access_token: %[4]s}
    accounts: ["17841405309211844"]
  linkedin:
    type: linkedin
    api_url: %[1]s
    credentials: {access_token: %[5]s}
    accounts: ["1234567"]
  mastodon:
    type: mastodon
    api_url: %[1]s
    accounts: [Gargron@mastodon.social]
  bluesky:
    type: bluesky
    api_url: %[1]s
    accounts: [bsky.app]
  blog:
    type: feed
    accounts: [%[1]s/feed/rss.xml]
  newsletter:
    type: http_json
    accounts: [%[1]s/json/lists/42]
    metrics: {subscribers: stats.member_count}
    credentials: {bearer_token: %[6]s}
  offline:
    type: manual
kpis:
  - {name: yt, channel: youtube, account: UC_x5XG1OV2P6uZZ5FSM9Ttw, metric: subscribers, milestones: [{due: 2026-12-31, target: 3000000}]}
  - {name: x, channel: x, account: XDevelopers, metric: followers, milestones: [{due: 2026-12-31, target: 700000}]}
  - {name: x_legacy, channel: x_legacy, metric: followers, milestones: [{due: 2026-12-31, target: 700000}]}
  - {name: fb, channel: facebook, account: "20531316728", metric: followers, milestones: [{due: 2026-12-31, target: 200000000}]}
  - {name: ig, channel: instagram, metric: followers, milestones: [{due: 2026-12-31, target: 300000}]}
  - {name: li, channel: linkedin, metric: followers, milestones: [{due: 2026-12-31, target: 250000}]}
  - {name: masto, channel: mastodon, metric: followers, milestones: [{due: 2026-12-31, target: 400000}]}
  - {name: bsky, channel: bluesky, metric: followers, milestones: [{due: 2026-12-31, target: 40000000}]}
  - {name: blog, channel: blog, metric: posts, count: growth, milestones: [{due: 2026-12-31, target: 10}]}
  - {name: news, channel: newsletter, metric: subscribers, milestones: [{due: 2026-12-31, target: 2000}]}
  - {name: rel, channel: offline, metric: relationships, count: growth, milestones: [{due: 2026-12-31, target: 20}]}
`, api, fakeapi.YouTubeKey, fakeapi.XBearer, fakeapi.GraphToken, fakeapi.LinkedInToken, fakeapi.JSONToken)
}

// golden compares the exporter's metrics of the given names with a golden
// file, in which the fake's address is written FAKEAPI.
func golden(t *testing.T, e *engine.Engine, apiURL, file string, names ...string) {
	t.Helper()
	x := metrics.NewExporter(e.Snapshot)
	path := filepath.Join("testdata", file)
	if *update {
		got, err := testutil.CollectAndFormat(x, expfmt.TypeTextPlain, names...)
		if err != nil {
			t.Fatal(err)
		}
		got = []byte(strings.ReplaceAll(string(got), apiURL, "FAKEAPI"))
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	expected := strings.NewReader(strings.ReplaceAll(string(want), "FAKEAPI", apiURL))
	if err := testutil.CollectAndCompare(x, expected, names...); err != nil {
		t.Error(err)
	}
}

// A plan naming all ten channel types collects every value from the fakes
// in one run, at one call per batch; then every API fails in its documented
// way and each failure shows by its reason, with the values kept.
func TestEveryChannelType(t *testing.T) {
	api := fakeapi.New()
	defer api.Close()
	cfg, err := config.Load("every-channel.yml", []byte(allChannels(api.URL)), collectors.Types())
	if err != nil {
		t.Fatal(err)
	}
	e := collectedEngine(t, cfg)
	for api2, want := range map[fakeapi.API]int{
		fakeapi.YouTube: 1, fakeapi.X: 1, fakeapi.XV1: 1, fakeapi.Graph: 2, fakeapi.LinkedIn: 1,
		fakeapi.Mastodon: 1, fakeapi.Bluesky: 1, fakeapi.Feed: 1, fakeapi.HTTPJSON: 1,
	} {
		if got := api.Calls(api2); got != want {
			t.Errorf("%s: %d calls, want %d", api2, got, want)
		}
	}
	golden(t, e, api.URL, "every_channel_values.prom", "kpi_account_value", "kpi_value", "kpi_status", "kpi_collection_success", "kpi_api_requests_total")

	for a, mode := range map[fakeapi.API]string{
		fakeapi.YouTube: "quota", fakeapi.X: "credits", fakeapi.XV1: "453", fakeapi.Graph: "app_limit",
		fakeapi.LinkedIn: "version", fakeapi.Mastodon: "rate", fakeapi.Bluesky: "rate", fakeapi.Feed: "server", fakeapi.HTTPJSON: "server",
	} {
		api.Fail(a, mode)
	}
	e.SetClock(func() time.Time { return time.Date(2026, 9, 1, 13, 0, 0, 0, time.UTC) })
	for _, rep := range e.RunAll(context.Background()) {
		if rep.OK() {
			t.Errorf("%s did not fail", rep.Channel)
		}
		for _, err := range rep.Errors {
			if s := err.Error(); strings.Contains(s, fakeapi.GraphToken) || strings.Contains(s, fakeapi.XBearer) || strings.Contains(s, fakeapi.YouTubeKey) || strings.Contains(s, fakeapi.LinkedInToken) {
				t.Errorf("an error shows a secret: %s", s)
			}
		}
	}
	// The values stay as they were; the failures show by reason.
	golden(t, e, api.URL, "every_channel_values_after_failure.prom", "kpi_account_value", "kpi_value")
	golden(t, e, api.URL, "every_channel_errors.prom", "kpi_collection_errors_total", "kpi_collection_success")
}

// collectedEngine is an in-process engine over a new store, its clock on
// 1 September 2026, after one run of every channel (each must succeed).
func collectedEngine(t *testing.T, cfg *config.Config) *engine.Engine {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := engine.New(st, cfg, collectors.Types(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	e.SetClock(func() time.Time { return time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC) })
	if err := e.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, rep := range e.RunAll(context.Background()) {
		if !rep.OK() {
			t.Errorf("%s failed: %v", rep.Channel, rep.Errors)
		}
	}
	return e
}
