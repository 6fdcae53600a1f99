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
