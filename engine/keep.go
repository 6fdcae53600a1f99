package engine

import (
	"encoding/binary"
	"hash/fnv"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/seriesmap"
	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/snapshot"
)

// keepRules say which readings of a series the plan can still ask for, so
// that the cache holds those and not the store's whole history: a daemon
// with 10,000 accounts collecting four times a day would otherwise hold
// millions of points after a year. Evaluation stays exact: for a KPI's
// series the cache keeps
//
//   - the latest reading at or before now, and every reading after now;
//   - every reading within plan.PaceWindow of that latest one, and the one
//     before them (the pace is fitted through at least two);
//   - the last reading at or before the plan's start and the first after it
//     (the reference growth counts from);
//   - the last reading at or before each milestone's due time and the
//     first at or after it (whether it was missed: see plan.ValueAtDue);
//   - the last reading at or before each of the sparkline's moments.
//
// A series no KPI reads keeps its latest reading only (kpi_account_value).
// What the rules drop is still in the store; a config that asks for other
// readings gets a cache read from the store again (see fingerprint).
type keepRules struct {
	start time.Time
	spark []time.Time // the sparkline's moments
	// dues holds, for each series a KPI reads, the due times of its
	// milestones (of every KPI on it), ascending; a KPI series without
	// milestones has an empty entry (seriesmap: 100,000 KPIs' entries in
	// a map by the whole key took 12 MB).
	dues seriesmap.Map[[]time.Time]
	// fingerprint tells two rule sets apart: a cache thinned by other rules
	// may lack readings these need.
	fingerprint uint64
}

// newKeepRules builds the rules of a config.
func newKeepRules(cfg *config.Config) *keepRules {
	r := &keepRules{
		start: cfg.Plan.StartTime(),
		spark: sparkMoments(cfg.Plan.StartTime(), cfg.Plan.EndTime()),
	}
	// A series of one KPI shares its due times with every other such series
	// of the same due times (a plan of 100,000 KPIs on one schedule holds
	// one list); a series of several KPIs has its own, merged.
	shared := map[string][]time.Time{}
	var dueKey []byte
	for _, k := range cfg.KPIs {
		key := seriesmap.Key{Channel: k.Channel, Account: k.Account, Metric: k.Metric}
		ds, ok := r.dues.Get(key)
		if !ok && len(k.Due) > 0 {
			dueKey = dueKey[:0]
			for _, m := range k.Due {
				dueKey = binary.LittleEndian.AppendUint64(dueKey, uint64(m.Due.UnixNano())) //nolint:gosec // a map key: the bits, not the number
			}
			if ds, ok = shared[string(dueKey)]; !ok {
				ds = make([]time.Time, len(k.Due))
				for i, m := range k.Due {
					ds[i] = m.Due
				}
				shared[string(dueKey)] = ds
			}
			r.dues.Set(key, ds[:len(ds):len(ds)])
			continue
		}
		ds = slices.Clone(ds)
		for _, m := range k.Due {
			ds = append(ds, m.Due)
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i].Before(ds[j]) })
		r.dues.Set(key, ds)
	}
	r.fingerprint = r.hash()
	return r
}

// sparkMoments spreads snapshot.SparkPoints-1 moments evenly over the plan, from its
// start to its end; the sparkline's last point is the latest value.
func sparkMoments(start, end time.Time) []time.Time {
	out := make([]time.Time, snapshot.SparkPoints-1)
	span := end.Sub(start)
	for i := range out {
		out[i] = start.Add(time.Duration(float64(span) * float64(i) / float64(len(out)-1)))
	}
	return out
}

func (r *keepRules) hash() uint64 {
	h := fnv.New64a()
	var b [8]byte
	putTime := func(t time.Time) {
		binary.LittleEndian.PutUint64(b[:], uint64(t.UnixNano())) //nolint:gosec // a hash input: the bits, not the number
		_, _ = h.Write(b[:])
	}
	putTime(r.start)
	for _, t := range r.spark {
		putTime(t)
	}
	keys := make([]seriesKey, 0, r.dues.Len())
	for k := range r.dues.All() {
		keys = append(keys, keyOf(k))
	}
	slices.SortFunc(keys, seriesKey.compare)
	for _, k := range keys {
		for _, s := range []string{k.channel, k.account, k.metric} {
			_, _ = h.Write([]byte(s))
			_, _ = h.Write([]byte{0})
		}
		dues, _ := r.dues.Get(k.key())
		for _, d := range dues {
			putTime(d)
		}
		_, _ = h.Write([]byte{1})
	}
	return h.Sum64()
}

// compare orders series by channel, account and metric.
func (k seriesKey) compare(o seriesKey) int {
	if c := strings.Compare(k.channel, o.channel); c != 0 {
		return c
	}
	if c := strings.Compare(k.account, o.account); c != 0 {
		return c
	}
	return strings.Compare(k.metric, o.metric)
}

// thin drops, in place, the points of the series k that the rules do not
// keep at the moment now; marks is scratch space, returned for reuse.
func (r *keepRules) thin(k seriesKey, ps []sample, now time.Time, marks []bool) ([]sample, []bool) {
	last := lastSampleUpTo(ps, now)
	if last <= 0 {
		return ps, marks // nothing before the latest reading
	}
	dues, isKPI := r.dues.Get(k.key())
	if !isKPI {
		return shrink(append(ps[:0], ps[last:]...)), marks
	}
	if cap(marks) < len(ps) {
		marks = make([]bool, len(ps))
	} else {
		marks = marks[:len(ps)]
		clear(marks)
	}
	for i := last; i < len(ps); i++ {
		marks[i] = true
	}
	// The pace's window, and the reading before it.
	window := ps[last].ms - plan.PaceWindow.Milliseconds()
	from := sort.Search(last, func(i int) bool { return ps[i].ms >= window })
	for i := max(from-1, 0); i < last; i++ {
		marks[i] = true
	}
	lastAtOrBefore := func(t time.Time) {
		if i := lastSampleUpTo(ps[:last+1], t); i >= 0 {
			marks[i] = true
		}
	}
	firstAtOrAfter := func(t time.Time) {
		ms := t.UnixMilli()
		if i := sort.Search(last+1, func(i int) bool { return ps[i].ms >= ms }); i <= last {
			marks[i] = true
		}
	}
	lastAtOrBefore(r.start)
	if i := lastSampleUpTo(ps[:last+1], r.start) + 1; i <= last { // the first after the start
		marks[i] = true
	}
	for _, d := range dues {
		firstAtOrAfter(d)
		lastAtOrBefore(d)
	}
	for _, t := range r.spark {
		lastAtOrBefore(t)
	}
	out := ps[:0]
	for i, p := range ps {
		if marks[i] {
			out = append(out, p)
		}
	}
	return shrink(out), marks
}

// shrink moves a thinned series to an array of its size (and a little room
// to grow) when the one it is in is mostly empty, so that the memory goes.
func shrink(ps []sample) []sample {
	if cap(ps) <= 2*len(ps)+8 {
		return ps
	}
	out := make([]sample, len(ps), len(ps)+len(ps)/4+2)
	copy(out, ps)
	return out
}
