package engine

import (
	"maps"
	"slices"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
)

// The cache's map of series counts each once, forgets what is removed (also
// while it is walked) and yields a channel's series alone.
func TestSeriesMap(t *testing.T) {
	m := newSeriesMap()
	a1 := seriesKey{"a", "acme", "followers"}
	a2 := seriesKey{"a", "rival", "followers"}
	a3 := seriesKey{"a", "acme", "posts"}
	b1 := seriesKey{"b", "acme", "followers"}
	for _, k := range []seriesKey{a1, a2, a3, b1, a1} {
		m.set(k, &samples{})
	}
	if m.len() != 4 {
		t.Fatalf("len %d after four series, one set twice", m.len())
	}
	m.remove(a2)
	m.remove(a2)
	m.remove(seriesKey{"c", "x", "y"})
	if m.len() != 3 || m.get(a2) != nil || m.get(a1) == nil {
		t.Fatalf("after removing one: len %d, removed %v, kept %v", m.len(), m.get(a2), m.get(a1))
	}
	got := slices.SortedFunc(m.ofChannel("a"), seriesKey.compare)
	if want := []seriesKey{a1, a3}; !slices.Equal(got, want) {
		t.Errorf("channel a: %v, want %v", got, want)
	}
	for k := range m.all() {
		if k.metric == "posts" {
			m.remove(k)
		}
	}
	all := slices.SortedFunc(maps.Keys(maps.Collect(m.all())), seriesKey.compare)
	if want := []seriesKey{a1, b1}; !slices.Equal(all, want) || m.len() != 2 {
		t.Errorf("after removing while walking: %v (len %d), want %v", all, m.len(), want)
	}
}

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
		got = append(got, k.key())
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
