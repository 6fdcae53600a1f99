package engine

import (
	"context"
	"iter"
	"sort"
	"time"

	"github.com/kpi-collector/kpi-collector/internal/seriesmap"
	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/store"
)

// seriesKey names one metric of one account of one channel.
type seriesKey struct{ channel, account, metric string }

// accountKey names one account of one channel.
type accountKey struct{ channel, account string }

// cache is what the plan needs of the store's content, in memory (see
// keepRules), kept current by tailing the store by sequence number, so that
// readings written by another process (`collector record`) show up too.
type cache struct {
	series     seriesMap
	items      map[accountKey][]time.Time // feed items' dates, ascending
	lastID     int64
	lastItemID int64

	rules *keepRules
	marks []bool // scratch for thinning
	// added lists the series added since publishing last ordered them, and
	// reorder says that a series was dropped or too many were added to
	// insert one by one (see seriesOrder).
	added   []seriesKey
	reorder bool
}

// maxAdded bounds cache.added: beyond it the order is built anew.
const maxAdded = 1024

// samples holds one series' readings. The cache maps each series to one
// samples for as long as the series is cached, so that publishing can keep
// the series in order, by pointer, between publishes instead of looking each
// of 100,000s up again.
type samples struct{ s []sample }

// seriesMap is the cache's series and their samples (see seriesmap for the
// layout).
type seriesMap struct{ m seriesmap.Map[*samples] }

func newSeriesMap() seriesMap { return seriesMap{} }

func (k seriesKey) key() seriesmap.Key {
	return seriesmap.Key{Channel: k.channel, Account: k.account, Metric: k.metric}
}

func keyOf(k seriesmap.Key) seriesKey { return seriesKey{k.Channel, k.Account, k.Metric} }

func (m *seriesMap) get(k seriesKey) *samples {
	d, _ := m.m.Get(k.key())
	return d
}

func (m *seriesMap) set(k seriesKey, d *samples) { m.m.Set(k.key(), d) }

func (m *seriesMap) remove(k seriesKey) { m.m.Delete(k.key()) }

func (m *seriesMap) len() int { return m.m.Len() }

// all yields every series, in no order; the loop may remove the series it
// is given.
func (m *seriesMap) all() iter.Seq2[seriesKey, *samples] {
	return func(yield func(seriesKey, *samples) bool) {
		for k, d := range m.m.All() {
			if !yield(keyOf(k), d) {
				return
			}
		}
	}
}

// ofChannel yields the series of one channel, in no order.
func (m *seriesMap) ofChannel(channel string) iter.Seq[seriesKey] {
	return func(yield func(seriesKey) bool) {
		for k := range m.m.OfChannel(channel) {
			if !yield(keyOf(k)) {
				return
			}
		}
	}
}

// get returns a series' readings (none if it is not cached).
func (c *cache) get(k seriesKey) []sample {
	if d := c.series.get(k); d != nil {
		return d.s
	}
	return nil
}

// put sets a series' readings, adding the series if it is new.
func (c *cache) put(k seriesKey, ps []sample) {
	if d := c.series.get(k); d != nil {
		d.s = ps
		return
	}
	c.series.set(k, &samples{ps})
	switch {
	case c.reorder:
	case len(c.added) == maxAdded:
		c.added, c.reorder = nil, true
	default:
		c.added = append(c.added, k)
	}
}

func newCache(rules *keepRules) *cache {
	return &cache{series: newSeriesMap(), items: map[accountKey][]time.Time{}, rules: rules}
}

const tailPage = 10000

// delta is what the store holds beyond a cache: read without the engine's
// lock, applied under it (see Engine.catchUp).
type delta struct {
	chunks     []store.Chunk
	items      []store.Item
	lastID     int64
	lastItemID int64
}

// readDelta reads the chunks written after sequence number after and the
// feed items after item id afterItem. It touches no cache.
func readDelta(ctx context.Context, st *store.Store, after, afterItem int64) (delta, error) {
	d := delta{lastID: after, lastItemID: afterItem}
	last, err := st.ChunksAfter(ctx, after, func(ch store.Chunk) error {
		d.chunks = append(d.chunks, ch)
		return nil
	})
	if err != nil {
		return d, err
	}
	d.lastID = last
	for {
		its, err := st.ItemsAfter(ctx, d.lastItemID, tailPage)
		if err != nil {
			return d, err
		}
		d.items = append(d.items, its...)
		if len(its) > 0 {
			d.lastItemID = its[len(its)-1].ID
		}
		if len(its) < tailPage {
			return d, nil
		}
	}
}

// apply puts a delta into the cache, thinning each series it touched as of
// now. It does no I/O.
func (c *cache) apply(d delta, now time.Time) {
	touched := map[seriesKey]bool{}
	for _, ch := range d.chunks {
		k := seriesKey{ch.Channel, ch.Account, ch.Metric}
		c.put(k, replaceDay(c.get(k), ch.Day, ch.Readings))
		touched[k] = true
	}
	for k := range touched {
		c.thin(k, now)
	}
	c.addItems(d.items)
	c.lastID = max(c.lastID, d.lastID)
	c.lastItemID = max(c.lastItemID, d.lastItemID)
}

// thin thins one cached series as of now.
func (c *cache) thin(k seriesKey, now time.Time) {
	d := c.series.get(k)
	d.s, c.marks = c.rules.thin(k, d.s, now, c.marks)
}

// addItems puts feed items into their accounts' ledgers, by date.
func (c *cache) addItems(its []store.Item) {
	for _, it := range its {
		k := accountKey{it.Channel, it.Account}
		ts := c.items[k]
		i := sort.Search(len(ts), func(i int) bool { return ts[i].After(it.Published) })
		ts = append(ts, time.Time{})
		copy(ts[i+1:], ts[i:])
		ts[i] = it.Published
		c.items[k] = ts
		c.lastItemID = max(c.lastItemID, it.ID)
	}
}

// tail reads what the store holds beyond the cache and thins each series it
// touched as of now, as soon as the store moves on to another series: read
// whole (at start-up) the store gives its chunks series by series, so the
// cache never holds more than one series unthinned. It reads the store: only
// for a cache no one else sees yet (a start, a reload building its own); the
// engine's shared cache catches up with readDelta and apply.
func (c *cache) tail(ctx context.Context, st *store.Store, now time.Time) error {
	var prev seriesKey
	touched := false
	thinPrev := func() {
		if touched {
			c.thin(prev, now)
		}
	}
	last, err := st.ChunksAfter(ctx, c.lastID, func(ch store.Chunk) error {
		k := seriesKey{ch.Channel, ch.Account, ch.Metric}
		if k != prev {
			thinPrev()
		}
		prev, touched = k, true
		c.put(k, replaceDay(c.get(k), ch.Day, ch.Readings))
		return nil
	})
	thinPrev()
	if err != nil {
		return err
	}
	c.lastID = last
	for {
		its, err := st.ItemsAfter(ctx, c.lastItemID, tailPage)
		if err != nil {
			return err
		}
		c.addItems(its)
		if len(its) < tailPage {
			break
		}
	}
	return nil
}

// sample is a reading in the cache: half the size of a plan.Point (the
// store keeps milliseconds), which matters at millions of them.
type sample struct {
	ms    int64 // Unix milliseconds
	value float64
}

func sampleOf(t time.Time, v float64) sample { return sample{t.UnixMilli(), v} }

func (s sample) time() time.Time { return time.UnixMilli(s.ms) }

func (s sample) point() plan.Point { return plan.Point{Time: s.time(), Value: s.value} }

// points appends the samples to dst as plan points.
func points(dst []plan.Point, ss []sample) []plan.Point {
	for _, s := range ss {
		dst = append(dst, s.point())
	}
	return dst
}

// lastSampleUpTo is the index of the last sample at or before t, or -1.
func lastSampleUpTo(ss []sample, t time.Time) int {
	ms := t.UnixMilli()
	return sort.Search(len(ss), func(i int) bool { return ss[i].ms > ms }) - 1
}

// replaceDay puts a day's readings, as the store now holds them, in place of
// the samples the series had for that UTC day.
func replaceDay(ss []sample, day time.Time, rs []store.Reading) []sample {
	from := sort.Search(len(ss), func(i int) bool { return ss[i].ms >= day.UnixMilli() })
	to := sort.Search(len(ss), func(i int) bool { return ss[i].ms >= day.Add(24*time.Hour).UnixMilli() })
	if to == len(ss) { // the common case: the series' last day, rewritten in place
		ss = ss[:from]
		for _, r := range rs {
			ss = append(ss, sampleOf(r.Time, r.Value))
		}
		return ss
	}
	out := make([]sample, 0, len(ss)-(to-from)+len(rs))
	out = append(out, ss[:from]...)
	for _, r := range rs {
		out = append(out, sampleOf(r.Time, r.Value))
	}
	return append(out, ss[to:]...)
}

// feedSeries turns a feed's ledger into readings the plan can count from:
// just before each item is published the count is the items before it, at
// its publication it is one more. So "the reading at or after a due time" is
// the number of items published by then, and growth counts items by their own
// dates. The last stored posts reading closes the series, so that the series'
// last time is the last successful read.
func (c *cache) feedSeries(channel, account string) []plan.Point {
	dates := c.items[accountKey{channel, account}]
	stored := c.get(seriesKey{channel, account, "posts"})
	out := make([]plan.Point, 0, 2*len(dates)+1)
	for i, d := range dates {
		out = append(out, plan.Point{Time: d.Add(-time.Millisecond), Value: float64(i)}, plan.Point{Time: d, Value: float64(i + 1)})
	}
	if n := len(stored); n > 0 {
		last := stored[n-1].point()
		if len(out) == 0 || last.Time.After(out[len(out)-1].Time) {
			out = append(out, last)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// thinAll thins every series as of now.
func (c *cache) thinAll(now time.Time) {
	for k, d := range c.series.all() {
		d.s, c.marks = c.rules.thin(k, d.s, now, c.marks)
	}
}

// prune applies the store's retention to the series in memory, as the store
// does it: UTC days older than retention go, and on UTC days wholly older
// than store.ThinAfter only the day's last point stays.
func (c *cache) prune(now time.Time, retention time.Duration) {
	oldest := utcDay(now.Add(-retention))
	thin := utcDay(now.Add(-store.ThinAfter))
	for k, d := range c.series.all() {
		ps := d.s
		out := ps[:0]
		for i, p := range ps {
			d := utcDay(p.time())
			switch {
			case d.Before(oldest):
				continue
			case d.Before(thin) && i+1 < len(ps) && utcDay(ps[i+1].time()).Equal(d):
				continue // a later point of the same day follows
			}
			out = append(out, p)
		}
		if len(out) == 0 {
			c.series.remove(k)
			c.reorder = true
			continue
		}
		d.s = out
	}
}

func utcDay(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
