package engine

import (
	"context"
	"sort"
	"time"

	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/store"
)

// seriesKey names one metric of one account of one channel.
type seriesKey struct{ channel, account, metric string }

// accountKey names one account of one channel.
type accountKey struct{ channel, account string }

// cache is the store's content in memory, kept current by tailing the store
// by row id, so that readings written by another process (`collector record`)
// show up too.
type cache struct {
	series     map[seriesKey][]plan.Point
	items      map[accountKey][]time.Time // feed items' dates, ascending
	lastID     int64
	lastItemID int64
}

func newCache() *cache {
	return &cache{series: map[seriesKey][]plan.Point{}, items: map[accountKey][]time.Time{}}
}

const tailPage = 10000

func (c *cache) tail(ctx context.Context, st *store.Store) error {
	for {
		rs, err := st.ReadingsAfter(ctx, c.lastID, tailPage)
		if err != nil {
			return err
		}
		for _, r := range rs {
			k := seriesKey{r.Channel, r.Account, r.Metric}
			c.series[k] = insertPoint(c.series[k], plan.Point{Time: r.Time, Value: r.Value})
			c.lastID = r.ID
		}
		if len(rs) < tailPage {
			break
		}
	}
	for {
		its, err := st.ItemsAfter(ctx, c.lastItemID, tailPage)
		if err != nil {
			return err
		}
		for _, it := range its {
			k := accountKey{it.Channel, it.Account}
			ts := c.items[k]
			i := sort.Search(len(ts), func(i int) bool { return ts[i].After(it.Published) })
			ts = append(ts, time.Time{})
			copy(ts[i+1:], ts[i:])
			ts[i] = it.Published
			c.items[k] = ts
			c.lastItemID = it.ID
		}
		if len(its) < tailPage {
			break
		}
	}
	return nil
}

// insertPoint keeps points ascending by time; a later write at the same time
// comes after the earlier one, so it wins as "the latest".
func insertPoint(ps []plan.Point, p plan.Point) []plan.Point {
	if n := len(ps); n == 0 || !p.Time.Before(ps[n-1].Time) {
		return append(ps, p)
	}
	i := sort.Search(len(ps), func(i int) bool { return ps[i].Time.After(p.Time) })
	ps = append(ps, plan.Point{})
	copy(ps[i+1:], ps[i:])
	ps[i] = p
	return ps
}

// feedSeries turns a feed's ledger into readings the plan can count from:
// just before each item is published the count is the items before it, at
// its publication it is one more. So "the reading at or after a due time" is
// the number of items published by then, and growth counts items by their own
// dates. The last stored posts reading closes the series, so that the series'
// last time is the last successful read.
func (c *cache) feedSeries(channel, account string) []plan.Point {
	dates := c.items[accountKey{channel, account}]
	stored := c.series[seriesKey{channel, account, "posts"}]
	out := make([]plan.Point, 0, 2*len(dates)+1)
	for i, d := range dates {
		out = append(out, plan.Point{Time: d.Add(-time.Millisecond), Value: float64(i)}, plan.Point{Time: d, Value: float64(i + 1)})
	}
	if n := len(stored); n > 0 {
		last := stored[n-1]
		if len(out) == 0 || last.Time.After(out[len(out)-1].Time) {
			out = append(out, last)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// prune applies the store's retention to the series in memory: nothing older
// than retention, and beyond store.ThinAfter the day's last point only.
func (c *cache) prune(now time.Time, retention time.Duration) {
	oldest, thin := now.Add(-retention), now.Add(-store.ThinAfter)
	for k, ps := range c.series {
		out := ps[:0]
		for i, p := range ps {
			switch {
			case p.Time.Before(oldest):
				continue
			case p.Time.Before(thin) && i+1 < len(ps) && ps[i+1].Time.Before(thin) &&
				ps[i+1].Time.UTC().Truncate(24*time.Hour).Equal(p.Time.UTC().Truncate(24*time.Hour)):
				continue // a later point of the same day follows
			}
			out = append(out, p)
		}
		if len(out) == 0 {
			delete(c.series, k)
			continue
		}
		c.series[k] = out
	}
}
