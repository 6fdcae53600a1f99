package engine

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/handclock"
	"github.com/kpi-collector/kpi-collector/plan"
)

// A publish's order of series is every cached series of a configured
// account (own or rival), in key order, each once.
func TestSeriesOrderIsKeyOrder(t *testing.T) {
	cfg := &config.Config{Channels: map[string]*config.Channel{
		"yt":  {Accounts: []string{"UCb", "UCa", "UCc"}, Rivals: []string{"UCr"}},
		"bs":  {Accounts: []string{"z.example", "a.example"}},
		"rss": {Accounts: []string{"https://blog.example/feed"}},
	}}
	c := newCache(nil)
	var want []seriesKey
	for _, k := range []seriesKey{
		{"yt", "UCb", "views"}, {"yt", "UCa", "views"}, {"yt", "UCa", "subscribers"}, {"yt", "UCr", "views"},
		{"yt", "UCgone", "views"}, // an account no longer configured
		{"bs", "z.example", "followers"}, {"bs", "a.example", "posts"}, {"bs", "a.example", "followers"},
		{"old", "x", "y"}, // a channel no longer configured
	} {
		c.put(k, []sample{{ms: 1, value: 1}})
		if k.account != "UCgone" && k.channel != "old" {
			want = append(want, k)
		}
	}
	slices.SortFunc(want, seriesKey.compare)
	o := newSeriesOrder(cfg, c)
	var got []seriesKey
	for _, k := range o.keys {
		got = append(got, keyOfName(k))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	for i, k := range got {
		if o.series[i] != c.series.get(k) {
			t.Errorf("series %v is not the cache's", k)
		}
	}
}

// Snapshots share the order's names: a series inserted later leaves the
// names a snapshot holds as they were.
func TestInsertLeavesSharedNames(t *testing.T) {
	cfg := &config.Config{Channels: map[string]*config.Channel{"yt": {Accounts: []string{"UCa", "UCb", "UCc"}}}}
	c := newCache(nil)
	c.put(seriesKey{"yt", "UCa", "views"}, []sample{{ms: 1, value: 1}})
	c.put(seriesKey{"yt", "UCc", "views"}, []sample{{ms: 1, value: 3}})
	o := newSeriesOrder(cfg, c)
	shown := o.keys // as a snapshot holds them
	before := slices.Clone(shown)
	o.keys = slices.Grow(o.keys, 4) // room to insert in place, as append leaves
	shown = o.keys
	c.put(seriesKey{"yt", "UCb", "views"}, []sample{{ms: 1, value: 2}})
	o.insert([]seriesKey{{"yt", "UCb", "views"}})
	if !slices.Equal(shown, before) {
		t.Errorf("a snapshot's names changed: %v, were %v", shown, before)
	}
	var got []string
	for _, k := range o.keys {
		got = append(got, k.Account)
	}
	if !slices.Equal(got, []string{"UCa", "UCb", "UCc"}) {
		t.Errorf("order %v", got)
	}
}

// Sparks in little space: the KPIs read by the same runs share one list of
// times, each keeps its own values, and a publish with nothing new shares
// every spark with the snapshot before it.
func TestSparksAreShared(t *testing.T) {
	a := newAPI(t)
	a.subscribers.Store(1100)
	cfg := loadYAML(t, fmt.Sprintf(`
plan: {name: p, goal: seo, timezone: UTC, start: 2026-07-01, end: 2026-12-31}
channels:
  youtube: {type: youtube, api_url: %s, credentials: {api_key: k}, accounts: [UC1]}
kpis:
  - {name: subs, channel: youtube, metric: subscribers, milestones: [{due: 2026-07-31, target: 1200}]}
  - {name: views, channel: youtube, metric: views, milestones: [{due: 2026-07-31, target: 1000}]}
`, a.URL))
	// Runs on July 1 and 16: a sparkline's moments are about 8 days apart.
	first := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	clock := handclock.New(first)
	e, st := newEngine(t, t.TempDir(), cfg, first)
	defer st.Close()
	e.SetClock(clock.Now)
	ctx := context.Background()
	for _, subs := range []int64{1100, 1150} {
		a.subscribers.Store(subs)
		if rep := e.RunChannel(ctx, "youtube"); !rep.OK() {
			t.Fatal(rep.Errors)
		}
		clock.Set(clock.Now().Add(15 * 24 * time.Hour))
	}
	before := e.Snapshot()
	subs, views := kpi(before, "subs").Recent, kpi(before, "views").Recent
	want := []plan.Point{{Time: first, Value: 1100}, {Time: first.Add(15 * 24 * time.Hour), Value: 1150}}
	got := subs.Points()
	if len(got) != len(want) || !got[0].Time.Equal(want[0].Time) || got[0].Value != want[0].Value || !got[1].Time.Equal(want[1].Time) || got[1].Value != want[1].Value {
		t.Fatalf("subs' spark %v, want %v", got, want)
	}
	if views.Len() != 2 || views.Values[1] != 500 {
		t.Errorf("views' spark %v", views.Points())
	}
	if subs.Times != views.Times {
		t.Error("two KPIs read by the same runs hold two lists of the same times")
	}
	if err := e.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	after := e.Snapshot()
	if again := kpi(after, "subs").Recent; after == before || &again.Values[0] != &subs.Values[0] || again.Times != subs.Times {
		t.Error("a publish with nothing new made the spark again")
	}
}
