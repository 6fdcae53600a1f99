package engine

import (
	"context"
	"encoding/binary"
	"maps"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/store"
)

// publishLocked evaluates the plan now and publishes a snapshot. Caller holds
// mu. It does no I/O: everything comes from the cache and health records.
func (e *Engine) publishLocked(_ context.Context) {
	cfg := e.cfg.Load()
	now := e.now()
	snap := &snapshot.Snapshot{
		At: now,
		Plan: snapshot.PlanInfo{
			Name: cfg.Plan.Name, Goal: cfg.Plan.Goal, Timezone: cfg.Plan.Timezone,
			Start: cfg.Plan.Start.String(), End: cfg.Plan.End.String(),
			StartTime: cfg.Plan.StartTime(), EndTime: cfg.Plan.EndTime(), ShardIndex: cfg.ShardIndex,
			ShardKPIs: cfg.ShardKPIs,
		},
		Reload: e.reload,
		KPIs:   make([]snapshot.KPIState, 0, len(cfg.KPIs)),
	}
	start := cfg.Plan.StartTime()
	// A sparkline equal to the one in the same place of the last snapshot
	// is shared with it (snapshots are immutable), so that a publish between
	// two collections allocates none.
	prev := e.snapshot.Load()
	intervals := e.intervals(cfg, now)
	hidden := e.store.HiddenCounts() // in memory: no I/O
	e.logHiddenLocked(hidden)
	var series, spark []plan.Point // one KPI's at a time, the arrays reused
	sparks := newSparkMaker()
	order := e.orderedSeries(cfg)
	defs := e.kpisLocked(cfg)
	for i, k := range cfg.KPIs {
		ch := cfg.Channels[k.Channel]
		spec := e.types[ch.Type]
		if spec.ItemLedgerMetric != "" && k.Metric == spec.ItemLedgerMetric {
			series = e.cache.feedSeries(k.Channel, k.Account)
		} else {
			var stored []sample
			if d := order.kpis[i]; d != nil {
				stored = d.s
			}
			series = points(series[:0], stored)
		}
		var versus *snapshot.Versus
		if k.Versus != "" {
			// The KPI's value is its account's comparison with the rivals,
			// moment by moment; where each stands is shown beside it.
			versus = &snapshot.Versus{Compare: k.Compare, Own: standing(k.Account, series, now)}
			rivalSeries := make([][]plan.Point, 0, len(ch.Rivals))
			for _, r := range ch.Rivals {
				rs := points(nil, e.cache.get(seriesKey{k.Channel, r, k.Metric}))
				rivalSeries = append(rivalSeries, rs)
				versus.Rivals = append(versus.Rivals, standing(r, rs, now))
			}
			series = plan.Versus(k.Compare, series, rivalSeries, intervals[k.Channel]/2)
		}
		if spec.Manual {
			// Counts kept by hand start from nothing, for the sparkline
			// too: see plan.FromNothing.
			series = plan.FromNothing(start, series)
		}
		// What a due time's value was depends on how the count is kept: see
		// plan.ValueAtDue.
		ev := plan.Evaluate(start, planKPI(k, spec.Manual, intervals[k.Channel]), series, now)
		spark = recent(spark[:0], series, e.cache.rules.spark, start, now, ev.Reference)
		var last *snapshot.Spark
		if prev != nil && i < len(prev.KPIs) {
			last = &prev.KPIs[i].Recent
		}
		shown := sparks.of(spark, last)
		var posts snapshot.Standing
		if ch.Engagement && slices.Contains(spec.LevelMetrics, k.Metric) {
			posts = standing(k.Account, points(nil, e.cache.get(seriesKey{k.Channel, k.Account, "posts_in_window"})), now)
		}
		resolution := 0.0
		if spec.Resolution != nil && len(series) > 0 {
			resolution = spec.Resolution(k.Metric, series[len(series)-1].Value)
		}
		snap.KPIs = append(snap.KPIs, snapshot.KPIState{
			KPI:              &defs[i],
			Evaluation:       ev,
			Hidden:           hidden[store.HiddenKey{Channel: k.Channel, Account: k.Account, Metric: k.Metric}],
			Resolution:       resolution,
			Recent:           shown,
			Versus:           versus,
			HasPostsInWindow: posts.HasValue, PostsInWindow: posts.Value,
		})
	}
	snap.Paces = e.pacesLocked(cfg, now)

	// The names are the order's, shared (the order copies them before it
	// changes them); the values are this snapshot's.
	snap.Accounts = snapshot.AccountValues{Series: order.keys, Values: make([]float64, len(order.keys))}
	for i := range order.keys {
		snap.Accounts.Values[i] = math.NaN()
		if ps := order.series[i].s; len(ps) > 0 {
			if last := lastSampleUpTo(ps, now); last >= 0 {
				snap.Accounts.Values[i] = ps[last].value
			}
		}
	}

	snap.Channels = e.channelsLocked(cfg, now, intervals)
	snap.Quarantined = e.quarantinedLocked()
	e.storeSnapshot(snap)
}

// storeSnapshot publishes snap.
func (e *Engine) storeSnapshot(snap *snapshot.Snapshot) {
	e.snapshot.Store(snap)
	select {
	case e.published <- struct{}{}:
	default:
	}
}

// publishHealthLocked publishes the last snapshot again with the channels'
// health and the reload's outcome as they are now, its evaluations shared
// with it (as of its At): a credential checked or a reload refused changes
// no KPI, and evaluating 100,000 of them again built a second snapshot of
// 37 MB while the first was still held. Without a snapshot of the running
// config it publishes anew. Caller holds mu.
func (e *Engine) publishHealthLocked(ctx context.Context) {
	cfg := e.cfg.Load()
	prev := e.snapshot.Load()
	if prev == nil || e.kpisOf != cfg {
		e.publishLocked(ctx)
		return
	}
	now := e.now()
	snap := *prev
	snap.Reload = e.reload
	snap.Channels = e.channelsLocked(cfg, now, e.intervals(cfg, now))
	e.storeSnapshot(&snap)
}

// intervals is the time between a channel's next two scheduled runs, by
// channel (none for channels never collected).
func (e *Engine) intervals(cfg *config.Config, now time.Time) map[string]time.Duration {
	intervals := make(map[string]time.Duration, len(cfg.Channels))
	for name, ch := range cfg.Channels {
		if sched, err := cron.ParseStandard(ch.Schedule); err == nil && !e.types[ch.Type].NotScheduled {
			next := sched.Next(now.In(cfg.Plan.Location))
			intervals[name] = sched.Next(next).Sub(next)
		}
	}
	return intervals
}

// channelsLocked is every channel's collection health now, by name. Caller
// holds mu.
func (e *Engine) channelsLocked(cfg *config.Config, now time.Time, intervals map[string]time.Duration) []snapshot.ChannelState {
	var out []snapshot.ChannelState
	for _, name := range slices.Sorted(maps.Keys(cfg.Channels)) {
		ch := cfg.Channels[name]
		spec := e.types[ch.Type]
		cs := snapshot.ChannelState{Name: name, Type: ch.Type, Scheduled: !spec.NotScheduled, Interval: intervals[name], DataLag: spec.DataLag}
		if spec.NotScheduled {
			out = append(out, cs)
			continue
		}
		{
			h := e.healthOf(name)
			cs.Ran, cs.Success, cs.LastSuccess, cs.LastError, cs.Duration = h.ran, h.success, h.lastSuccess, h.lastError, h.duration
			cs.Errors = maps.Clone(h.errors)
			cs.Requests = maps.Clone(h.requests)
			if limit := quotaLimit(ch, spec); limit > 0 {
				cs.HasQuota, cs.QuotaLimit = true, float64(limit)
				if h.quotaDay == quotaDay(spec, now) {
					cs.QuotaUsed = float64(h.quotaUsed)
				}
			}
			cs.Credential, cs.CredentialCheckFailures = h.credential, h.credentialFailures
			cs.APIVersion = APIVersionOf(ch)
		}
		out = append(out, cs)
	}
	return out
}

// kpisLocked returns what the snapshots of cfg say of its KPIs, in its
// order, made once for each config. Caller holds mu.
func (e *Engine) kpisLocked(cfg *config.Config) []snapshot.KPI {
	if e.kpisOf == cfg {
		return e.kpis
	}
	defs := make([]snapshot.KPI, len(cfg.KPIs))
	for i, k := range cfg.KPIs {
		spec := e.types[cfg.Channels[k.Channel].Type]
		defs[i] = snapshot.KPI{
			Position: k.Position,
			Name:     k.Name, Channel: k.Channel, Account: k.Account, Metric: k.Metric,
			Count: k.Count, Tolerance: *k.Tolerance, Milestones: k.Due,
			Manual: spec.Manual, ResolutionNote: spec.ResolutionNote,
		}
	}
	e.kpis, e.kpisOf = defs, cfg
	return defs
}

// logHiddenLocked says at info, once per count, that an API withholds it.
func (e *Engine) logHiddenLocked(hidden map[store.HiddenKey]string) {
	for k, why := range hidden {
		if e.hiddenSeen[k] == why {
			continue
		}
		e.logger.Info("the API withholds a count: no reading, and the KPI says why",
			"channel", k.Channel, "account", k.Account, "metric", k.Metric, "why", why)
	}
	e.hiddenSeen = hidden
}

// quarantinedLocked counts the store's damaged days by series, logging each
// one the first time it is seen. The store keeps the list in memory: no I/O.
func (e *Engine) quarantinedLocked() []snapshot.QuarantinedSeries {
	damaged := e.store.Damaged()
	for _, d := range damaged[min(e.damagedSeen, len(damaged)):] {
		e.logger.Error("a damaged day of stored readings was set aside; the series goes on without it",
			"channel", d.Channel, "account", d.Account, "metric", d.Metric, "day", d.Day.Format(time.DateOnly), "reason", d.Reason)
	}
	e.damagedSeen = len(damaged)
	var out []snapshot.QuarantinedSeries
	for _, d := range damaged { // sorted by series, then day
		if n := len(out); n > 0 && out[n-1].Channel == d.Channel && out[n-1].Account == d.Account && out[n-1].Metric == d.Metric {
			out[n-1].Days++
			continue
		}
		out = append(out, snapshot.QuarantinedSeries{Channel: d.Channel, Account: d.Account, Metric: d.Metric, Days: 1})
	}
	return out
}

// recent appends to out the KPI's value at each of the sparkline's moments
// from the plan's start to now (the last reading at or before each, none
// before the start, none twice), and the latest value: at most snapshot.SparkPoints
// points, spread over time as the plan is.
func recent(out, series []plan.Point, moments []time.Time, start, now time.Time, reference float64) []plan.Point {
	last := lastUpTo(series, now)
	if last < 0 || series[last].Time.Before(start) {
		return out
	}
	prev := -1
	for _, t := range moments {
		if t.After(now) {
			break
		}
		i := lastUpTo(series[:last+1], t)
		if i < 0 || i == prev || series[i].Time.Before(start) {
			continue
		}
		out = append(out, plan.Point{Time: series[i].Time, Value: series[i].Value - reference})
		prev = i
	}
	if prev != last {
		out = append(out, plan.Point{Time: series[last].Time, Value: series[last].Value - reference})
	}
	return out
}

// sparkMaker makes the snapshot's sparks of one publish, sharing what can
// be shared (see snapshot.Spark).
type sparkMaker struct {
	times  map[string]*snapshot.SparkTimes // the lists of times made, by their bytes
	key    []byte
	ms     []int64
	values []float64
}

func newSparkMaker() *sparkMaker { return &sparkMaker{times: map[string]*snapshot.SparkTimes{}} }

// of is ps as a spark: the last snapshot's (last, nil for none) where equal,
// else new values with a list of times shared by every spark of this publish
// with the same times.
func (m *sparkMaker) of(ps []plan.Point, last *snapshot.Spark) snapshot.Spark {
	if len(ps) == 0 {
		return snapshot.Spark{}
	}
	m.ms, m.values = m.ms[:0], m.values[:0]
	for _, p := range ps {
		m.ms = append(m.ms, p.Time.UnixMilli())
		m.values = append(m.values, p.Value)
	}
	sameTimes := last != nil && last.Times != nil && slices.Equal(last.Times.Ms, m.ms)
	if sameTimes && slices.Equal(last.Values, m.values) {
		return *last
	}
	m.key = m.key[:0]
	for _, t := range m.ms {
		m.key = binary.LittleEndian.AppendUint64(m.key, uint64(t)) //nolint:gosec // a map key: the bits, not the number
	}
	times, ok := m.times[string(m.key)]
	if !ok {
		if sameTimes {
			times = last.Times
		} else {
			times = &snapshot.SparkTimes{Ms: slices.Clone(m.ms)}
		}
		m.times[string(m.key)] = times
	}
	return snapshot.Spark{Times: times, Values: slices.Clone(m.values)}
}

// lastUpTo is the index of the last point at or before t, or -1.
func lastUpTo(ps []plan.Point, t time.Time) int {
	return sort.Search(len(ps), func(i int) bool { return ps[i].Time.After(t) }) - 1
}

// seriesOrder is where a publish finds its series: the configured accounts'
// series in seriesKey order and each KPI's series, as of one config and one
// cache. Sorting and looking up 100,000s of series at every publish took most
// of its time (214 ms of a publish of 100,000 KPIs; 99 ms now). The order is
// built for a config and a cache (a reload builds it before it swaps the new
// cache in, outside the locks); series added later are inserted.
type seriesOrder struct {
	cfg        *config.Config
	cache      *cache
	configured map[accountKey]bool   // the config's accounts, made by insert
	keys       []snapshot.SeriesName // shared by snapshots: never changed in place
	series     []*samples            // keys' readings, by index
	kpis       []*samples            // each KPI's readings, by its index in the config (nil: none yet)
	names      map[snapshot.ChannelMetric]*snapshot.ChannelMetric
}

// keyOfName is the seriesKey of a series name. The order keeps its series'
// names as the snapshots show them, in half the space of a seriesKey
// (300,000 of them took 14 MB): the channel and metric, which repeat, are
// one shared pair.
func keyOfName(n snapshot.SeriesName) seriesKey { return seriesKey{n.Channel, n.Account, n.Metric} }

// nameOf returns k as a series name, sharing the order's pair of its
// channel and metric.
func (o *seriesOrder) nameOf(k seriesKey) snapshot.SeriesName {
	name, ok := o.names[snapshot.ChannelMetric{Channel: k.channel, Metric: k.metric}]
	if !ok {
		name = &snapshot.ChannelMetric{Channel: k.channel, Metric: k.metric}
		o.names[*name] = name
	}
	return snapshot.SeriesName{ChannelMetric: name, Account: k.account}
}

// newSeriesOrder orders a cache's series for a config. It reads the cache
// only: a cache no one else sees yet needs no lock; the engine's needs mu.
func newSeriesOrder(cfg *config.Config, c *cache) seriesOrder {
	// In key order without sorting the keys: channels, their accounts and
	// the cache's metrics of each channel are sorted apart (sorting 300,000
	// keys by three strings took 0.4 s of a first run).
	o := seriesOrder{cfg: cfg, cache: c, names: map[snapshot.ChannelMetric]*snapshot.ChannelMetric{}}
	o.keys = make([]snapshot.SeriesName, 0, c.series.len())
	for _, name := range slices.Sorted(maps.Keys(cfg.Channels)) {
		metrics := slices.Sorted(c.series.m.Metrics(name))
		if len(metrics) == 0 {
			continue
		}
		accounts := slices.Clone(cfg.Channels[name].AllAccounts())
		slices.Sort(accounts)
		for i, a := range accounts {
			if i > 0 && a == accounts[i-1] {
				continue
			}
			for _, m := range metrics {
				if d := c.series.get(seriesKey{name, a, m}); d != nil {
					o.keys = append(o.keys, o.nameOf(seriesKey{name, a, m}))
					o.series = append(o.series, d)
				}
			}
		}
	}
	o.kpis = make([]*samples, len(cfg.KPIs))
	for i, k := range cfg.KPIs {
		o.kpis[i] = c.series.get(seriesKey{k.Channel, k.Account, k.Metric})
	}
	return o
}

// orderedSeries returns the engine's seriesOrder for cfg, built anew for
// another config or cache or after a series was dropped, and otherwise with
// the series added since inserted. Caller holds mu.
func (e *Engine) orderedSeries(cfg *config.Config) *seriesOrder {
	o, c := &e.order, e.cache
	switch {
	case o.cfg != cfg || o.cache != c || c.reorder:
		*o = newSeriesOrder(cfg, c)
	case len(c.added) > 0:
		o.insert(c.added)
	}
	c.added, c.reorder = c.added[:0], false
	return o
}

// ordered is a seriesOrder of a cache no one else sees yet, built outside
// the engine's locks; the cache then counts additions from it.
func (c *cache) ordered(cfg *config.Config) seriesOrder {
	o := newSeriesOrder(cfg, c)
	c.added, c.reorder = c.added[:0], false
	return o
}

// insert puts series added to the cache in their places.
func (o *seriesOrder) insert(added []seriesKey) {
	if o.configured == nil {
		// Made when first needed: most orders never insert (100,000
		// accounts took 4 MB).
		o.configured = make(map[accountKey]bool)
		for name, ch := range o.cfg.Channels {
			for _, a := range ch.AllAccounts() {
				o.configured[accountKey{name, a}] = true
			}
		}
	}
	// The names are copied before the first insertion: published
	// snapshots share the array.
	copied := false
	for _, k := range added {
		if !o.configured[accountKey{k.channel, k.account}] {
			continue
		}
		i, found := slices.BinarySearchFunc(o.keys, k, func(a snapshot.SeriesName, k seriesKey) int { return keyOfName(a).compare(k) })
		if found {
			continue
		}
		if !copied {
			o.keys, copied = append(make([]snapshot.SeriesName, 0, len(o.keys)+len(added)), o.keys...), true
		}
		o.keys = slices.Insert(o.keys, i, o.nameOf(k))
		o.series = slices.Insert(o.series, i, o.cache.series.get(k))
	}
	for i, k := range o.cfg.KPIs {
		if o.kpis[i] == nil {
			o.kpis[i] = o.cache.series.get(seriesKey{k.Channel, k.Account, k.Metric})
		}
	}
}

// planKPI is a KPI as the plan arithmetic takes it. keptByHand and interval
// say how its channel's readings come (see plan.KPI).
func planKPI(k *config.KPI, keptByHand bool, interval time.Duration) plan.KPI {
	return plan.KPI{
		Count: k.Count, Direction: k.Direction, Baseline: k.Baseline, Tolerance: *k.Tolerance, Milestones: k.Due,
		KeptByHand: keptByHand, Interval: interval,
	}
}

// standing is where an account stands at now on a series: its latest value
// and its recent pace.
func standing(account string, series []plan.Point, now time.Time) snapshot.Standing {
	i := sort.Search(len(series), func(i int) bool { return series[i].Time.After(now) })
	st := snapshot.Standing{Account: account}
	if i > 0 {
		st.HasValue, st.Value = true, series[i-1].Value
		st.DailyGrowth, st.HasPace = plan.DailyGrowth(series[:i])
	}
	return st
}

// pacesLocked is the recent pace of every metric of every account, own and
// rival, of the channels that have rivals. Caller holds mu.
func (e *Engine) pacesLocked(cfg *config.Config, now time.Time) []snapshot.AccountPace {
	var out []snapshot.AccountPace
	for _, name := range slices.Sorted(maps.Keys(cfg.Channels)) {
		ch := cfg.Channels[name]
		if len(ch.Rivals) == 0 {
			continue
		}
		accounts := ch.AllAccounts()
		var keys []seriesKey
		for k := range e.cache.series.ofChannel(name) {
			if slices.Contains(accounts, k.account) {
				keys = append(keys, k)
			}
		}
		slices.SortFunc(keys, seriesKey.compare)
		for _, k := range keys {
			if st := standing(k.account, points(nil, e.cache.get(k)), now); st.HasPace {
				out = append(out, snapshot.AccountPace{Channel: k.channel, Account: k.account, Metric: k.metric, DailyGrowth: st.DailyGrowth})
			}
		}
	}
	return out
}
