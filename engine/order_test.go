package engine

import (
	"slices"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
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
