package metrics

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

const cached = " Cached: the value as of the last collection, not read at scrape time."

var kpiLabels = []string{"kpi", "channel", "account", "metric"}

var (
	kpiValue          = newDesc("kpi_value", "The KPI's value now, counted as its count says (total or growth since plan start)."+cached, kpiLabels)
	kpiExpected       = newDesc("kpi_expected_value", "Where the plan's glide path says the KPI's value should be now."+cached, kpiLabels)
	kpiTarget         = newDesc("kpi_target_value", "The target of the next milestone not yet due (the last one once all are due)."+cached, kpiLabels)
	kpiTargetDue      = newDesc("kpi_target_due_timestamp_seconds", "When that milestone falls due, in seconds since the epoch."+cached, kpiLabels)
	kpiProgress       = newDesc("kpi_progress_ratio", "1 on the glide path, under 1 behind it: kpi_value divided by kpi_expected_value, or the inverse where lower is better; absent while the divisor is 0."+cached, kpiLabels)
	kpiForecast       = newDesc("kpi_forecast_value", "The value projected to the next milestone's due time at the recent pace."+cached, kpiLabels)
	kpiReach          = newDesc("kpi_forecast_reach_timestamp_seconds", "When the recent pace reaches the next target, in seconds since the epoch; absent when the pace leads away from it, or the target is reached."+cached, kpiLabels)
	kpiDailyGrowth    = newDesc("kpi_daily_growth", "The recent pace per day: the slope of a least-squares line through the last readings."+cached, kpiLabels)
	kpiRequiredGrowth = newDesc("kpi_required_daily_growth", "The pace per day needed from now to meet the next milestone (negative where lower is better)."+cached, kpiLabels)
	kpiStatus         = newDesc("kpi_status", "The KPI's status against its plan: 1 for the current status, 0 for the others."+cached, append(kpiLabels, "status"))
	kpiDirection      = newDesc("kpi_direction", "1 where a higher value is better, -1 where lower is better (direction: down, such as a search position)."+cached, kpiLabels)
	kpiLastObs        = newDesc("kpi_last_observation_timestamp_seconds", "When the KPI's value was last read successfully, in seconds since the epoch."+cached, kpiLabels)
	accountValue      = newDesc("kpi_account_value", "Every value read from a channel, KPI or not."+cached, []string{"channel", "account", "metric"})
	accountPace       = newDesc("kpi_account_daily_growth", "The recent pace per day of every value read from a channel with rivals, its own accounts and its rivals alike."+cached, []string{"channel", "account", "metric"})
	planInfo          = newDesc("kpi_plan_info", "The plan in force: its name, goal and dates.", []string{"plan", "goal", "start", "end"})
	collSuccess       = newDesc("kpi_collection_success", "1 if the channel's last run read every account, else 0.", []string{"channel"})
	collLastSuccess   = newDesc("kpi_collection_last_success_timestamp_seconds", "When the channel's last fully successful run ended, in seconds since the epoch.", []string{"channel"})
	collInterval      = newDesc("kpi_collection_interval_seconds", "The time between two scheduled runs of the channel.", []string{"channel"})
	collDataLag       = newDesc("kpi_collection_data_lag_seconds", "How far before a run its readings may be dated: a rolling window's end lies in the past (0 for channels that read the present).", []string{"channel"})
	collDuration      = newDesc("kpi_collection_duration_seconds", "How long the channel's last run took.", []string{"channel"})
	collErrors        = newDesc("kpi_collection_errors_total", "Failures of the channel's runs, by reason.", []string{"channel", "reason"})
	apiRequests       = newDesc("kpi_api_requests_total", "Calls made to the channel's API, by HTTP status code (error: no answer).", []string{"channel", "code"})
	quotaUsed         = newDesc("kpi_api_quota_used", "API units spent today against the channel's daily budget.", []string{"channel"})
	quotaLimit        = newDesc("kpi_api_quota_limit", "The channel's daily API budget in units.", []string{"channel"})
	credExpiry        = newDesc("kpi_credential_expiry_timestamp_seconds", "When the channel's credential ends, as its API last said (checked at most daily), in seconds since the epoch: the one a person must renew (for a LinkedIn channel that mints its access tokens, the refresh token); absent where it never ends or the API cannot tell.", []string{"channel"})
	credCheckFails    = newDesc("kpi_credential_check_failures_total", "Checks of the channel's credential's end that failed (the readings do not depend on them).", []string{"channel"})
	versionEnd        = newDesc("kpi_api_version_end_timestamp_seconds", "When the API version the channel asks for is retired, in seconds since the epoch: the vendor's table or rule, or the channel's version_end; absent where not announced.", []string{"channel", "version"})
	quarantined       = newDesc("kpi_store_quarantined_days", "Days of the series' stored readings set aside as damaged: the series goes on without them (see `collector check --store`).", []string{"channel", "account", "metric"})
	reloadOK          = newDesc("kpi_config_last_reload_successful", "1 if the last config (re)load succeeded, else 0.", nil)
	reloadTime        = newDesc("kpi_config_last_reload_success_timestamp_seconds", "When the config was last (re)loaded successfully, in seconds since the epoch.", nil)
)

// Exporter is a prometheus.Collector over the snapshot a source publishes.
type Exporter struct {
	snapshot func() *snapshot.Snapshot
}

// NewExporter exports whatever snapshot returns at scrape time.
func NewExporter(snapshot func() *snapshot.Snapshot) *Exporter {
	return &Exporter{snapshot: snapshot}
}

// Describe sends every descriptor.
func (x *Exporter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{kpiValue, kpiExpected, kpiTarget, kpiTargetDue, kpiProgress, kpiForecast, kpiReach,
		kpiDailyGrowth, kpiRequiredGrowth, kpiStatus, kpiDirection, kpiLastObs, accountValue, accountPace, planInfo, collSuccess, collLastSuccess,
		collDuration, collInterval, collDataLag, collErrors, apiRequests, quotaUsed, quotaLimit, credExpiry, credCheckFails, versionEnd, quarantined, reloadOK, reloadTime} {
		ch <- d
	}
}

// Collect renders the snapshot as const metrics, without sample timestamps.
func (x *Exporter) Collect(ch chan<- prometheus.Metric) {
	s := x.snapshot()
	if s == nil {
		return
	}
	o := &order{snap: s}
	for _, f := range families {
		f.samples(s, o, func(v float64, labels []string) {
			ch <- prometheus.MustNewConstMetric(f.desc, f.typ, v, labels...) //nolint:promlinter // sends the descriptors linted above
		})
	}
}

// sink receives one sample of the family being written; labels are in the
// descriptor's order and valid only during the call (the families reuse one
// array for all their samples, which spares an allocation a sample).
type sink func(v float64, labels []string)

// familySpec is one metric family: its descriptor, its type, and how its
// samples are read from a snapshot. samples sends them in the order
// client_golang sorts them (by label values, labels in name order), so that
// Render can write them as they come.
type familySpec struct {
	desc    *prometheus.Desc
	typ     prometheus.ValueType
	samples func(s *snapshot.Snapshot, o *order, emit sink)
}

// families is the one place that says which series exist, in name order
// (sorted at start-up), so that Render writes one family after another
// without holding any of them.
var families = sortFamilies([]familySpec{
	{planInfo, prometheus.GaugeValue, func(s *snapshot.Snapshot, _ *order, emit sink) {
		if s.Plan.ShardIndex == 0 { // plan-level series come from one shard only
			emit(1, []string{s.Plan.Name, s.Plan.Goal, s.Plan.Start, s.Plan.End})
		}
	}},
	perKPI(kpiExpected, func(k *snapshot.KPIState) (float64, bool) { return k.Expected, true }),
	perKPI(kpiValue, func(k *snapshot.KPIState) (float64, bool) { return k.Value, k.HasValue }),
	perKPI(kpiLastObs, func(k *snapshot.KPIState) (float64, bool) { return seconds(k.LastObservation), k.HasValue }),
	perKPI(kpiTarget, func(k *snapshot.KPIState) (float64, bool) { return k.Target, k.HasTarget }),
	perKPI(kpiTargetDue, func(k *snapshot.KPIState) (float64, bool) { return seconds(k.Due), k.HasTarget }),
	perKPI(kpiProgress, func(k *snapshot.KPIState) (float64, bool) { return k.Progress, k.HasProgress }),
	perKPI(kpiForecast, func(k *snapshot.KPIState) (float64, bool) { return k.Forecast, k.HasPace }),
	perKPI(kpiReach, func(k *snapshot.KPIState) (float64, bool) { return seconds(k.ReachTime), k.HasReach }),
	perKPI(kpiDailyGrowth, func(k *snapshot.KPIState) (float64, bool) { return k.DailyGrowth, k.HasPace }),
	perKPI(kpiRequiredGrowth, func(k *snapshot.KPIState) (float64, bool) { return k.RequiredDailyGrowth, k.HasRequired }),
	perKPI(kpiDirection, func(k *snapshot.KPIState) (float64, bool) {
		if k.Direction == vocab.Down {
			return -1, true
		}
		return 1, true
	}),
	{kpiStatus, prometheus.GaugeValue, func(s *snapshot.Snapshot, o *order, emit sink) {
		var l [5]string
		for _, i := range o.kpis() {
			k := &s.KPIs[i]
			for _, st := range sortedStatuses {
				l = [5]string{k.Name, k.Channel, k.Account, k.Metric, string(st)}
				emit(boolf(st == k.Status), l[:])
			}
		}
	}},
	{accountValue, prometheus.GaugeValue, func(s *snapshot.Snapshot, o *order, emit sink) {
		var l [3]string
		for _, i := range o.accounts() {
			a, v := &s.Accounts.Series[i], s.Accounts.Values[i]
			if math.IsNaN(v) {
				continue // no value yet
			}
			l = [3]string{a.Channel, a.Account, a.Metric}
			emit(v, l[:])
		}
	}},
	{accountPace, prometheus.GaugeValue, func(s *snapshot.Snapshot, _ *order, emit sink) {
		// In client_golang's order: by label values, labels in name order.
		ps := slices.Clone(s.Paces)
		slices.SortFunc(ps, func(a, b snapshot.AccountPace) int {
			return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.Metric, b.Metric))
		})
		for _, p := range ps {
			emit(p.DailyGrowth, []string{p.Channel, p.Account, p.Metric})
		}
	}},
	{quarantined, prometheus.GaugeValue, func(s *snapshot.Snapshot, _ *order, emit sink) {
		// In client_golang's order: by label values, labels in name order.
		qs := slices.Clone(s.Quarantined)
		slices.SortFunc(qs, func(a, b snapshot.QuarantinedSeries) int {
			return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.Metric, b.Metric))
		})
		for _, q := range qs {
			emit(float64(q.Days), []string{q.Channel, q.Account, q.Metric})
		}
	}},
	perChannel(collSuccess, func(c *snapshot.ChannelState) (float64, bool) { return boolf(c.Success), c.Ran }),
	perChannel(collLastSuccess, func(c *snapshot.ChannelState) (float64, bool) {
		return seconds(c.LastSuccess), !c.LastSuccess.IsZero()
	}),
	perChannel(collInterval, func(c *snapshot.ChannelState) (float64, bool) { return c.Interval.Seconds(), c.Interval > 0 }),
	perChannel(collDataLag, func(c *snapshot.ChannelState) (float64, bool) { return c.DataLag.Seconds(), true }),
	perChannel(collDuration, func(c *snapshot.ChannelState) (float64, bool) { return c.Duration.Seconds(), c.Duration > 0 }),
	{collErrors, prometheus.CounterValue, func(s *snapshot.Snapshot, _ *order, emit sink) {
		for i := range scheduled(s) {
			c := &s.Channels[i]
			for _, r := range sortedReasons {
				emit(c.Errors[r], []string{c.Name, string(r)})
			}
		}
	}},
	{apiRequests, prometheus.CounterValue, func(s *snapshot.Snapshot, _ *order, emit sink) {
		for i := range scheduled(s) {
			c := &s.Channels[i]
			for _, code := range slices.Sorted(maps.Keys(c.Requests)) {
				emit(c.Requests[code], []string{c.Name, code})
			}
		}
	}},
	perChannel(credExpiry, func(c *snapshot.ChannelState) (float64, bool) {
		if c.Credential == nil || c.Credential.Never {
			return 0, false
		}
		return seconds(c.Credential.Ends), true
	}),
	{credCheckFails, prometheus.CounterValue, func(s *snapshot.Snapshot, _ *order, emit sink) {
		for i := range scheduled(s) {
			emit(s.Channels[i].CredentialCheckFailures, []string{s.Channels[i].Name})
		}
	}},
	{versionEnd, prometheus.GaugeValue, func(s *snapshot.Snapshot, _ *order, emit sink) {
		for i := range scheduled(s) {
			if v := s.Channels[i].APIVersion; v != nil && !v.Ends.IsZero() {
				emit(seconds(v.Ends), []string{s.Channels[i].Name, v.Version})
			}
		}
	}},
	perChannel(quotaUsed, func(c *snapshot.ChannelState) (float64, bool) { return c.QuotaUsed, c.HasQuota }),
	perChannel(quotaLimit, func(c *snapshot.ChannelState) (float64, bool) { return c.QuotaLimit, c.HasQuota }),
	{reloadOK, prometheus.GaugeValue, func(s *snapshot.Snapshot, _ *order, emit sink) { emit(boolf(s.Reload.Success), nil) }},
	{reloadTime, prometheus.GaugeValue, func(s *snapshot.Snapshot, _ *order, emit sink) {
		if !s.Reload.LastSuccess.IsZero() {
			emit(seconds(s.Reload.LastSuccess), nil)
		}
	}},
})

// perKPI is a gauge with one series for each KPI that has a value for it.
func perKPI(d *prometheus.Desc, value func(*snapshot.KPIState) (float64, bool)) familySpec {
	return familySpec{d, prometheus.GaugeValue, func(s *snapshot.Snapshot, o *order, emit sink) {
		var l [4]string
		for _, i := range o.kpis() {
			k := &s.KPIs[i]
			if v, ok := value(k); ok {
				l = [4]string{k.Name, k.Channel, k.Account, k.Metric}
				emit(v, l[:])
			}
		}
	}}
}

// perChannel is a gauge with one series for each scheduled channel that has
// a value for it.
func perChannel(d *prometheus.Desc, value func(*snapshot.ChannelState) (float64, bool)) familySpec {
	return familySpec{d, prometheus.GaugeValue, func(s *snapshot.Snapshot, _ *order, emit sink) {
		for i := range scheduled(s) {
			c := &s.Channels[i]
			if v, ok := value(c); ok {
				emit(v, []string{c.Name})
			}
		}
	}}
}

// scheduled yields the indexes of the channels that run on a schedule (the
// snapshot keeps them sorted by name); manual channels have no runs.
func scheduled(s *snapshot.Snapshot) func(yield func(int) bool) {
	return func(yield func(int) bool) {
		for i := range s.Channels {
			if s.Channels[i].Scheduled && !yield(i) {
				return
			}
		}
	}
}

func sortFamilies(fs []familySpec) []familySpec {
	name := func(i int) string { n, _, _ := describe(fs[i].desc); return n }
	sort.Slice(fs, func(i, j int) bool { return name(i) < name(j) })
	return fs
}

// order sorts a snapshot's KPIs and account values in label order once,
// for all the families that list them.
type order struct {
	snap            *snapshot.Snapshot
	kpiIdx, acctIdx []int32 // 100,000s of them: half the space of ints
}

func (o *order) kpis() []int32 {
	if o.kpiIdx == nil {
		o.kpiIdx = kpiOrder(o.snap.KPIs)
	}
	return o.kpiIdx
}

func (o *order) accounts() []int32 {
	if o.acctIdx == nil {
		o.acctIdx = accountOrder(o.snap.Accounts.Series)
	}
	return o.acctIdx
}

var (
	sortedStatuses = slices.Sorted(slices.Values(vocab.Statuses))
	sortedReasons  = slices.Sorted(slices.Values(vocab.Reasons))
)

// kpiOrder sorts KPIs by their labels in name order: account, channel, kpi, metric.
func kpiOrder(ks []snapshot.KPIState) []int32 {
	idx := make([]int32, len(ks))
	for i := range idx {
		idx[i] = int32(i) //nolint:gosec // a snapshot's KPIs are far fewer than 2^31
	}
	sort.Slice(idx, func(a, b int) bool {
		x, y := &ks[idx[a]], &ks[idx[b]]
		switch {
		case x.Account != y.Account:
			return x.Account < y.Account
		case x.Channel != y.Channel:
			return x.Channel < y.Channel
		case x.Name != y.Name:
			return x.Name < y.Name
		default:
			return x.Metric < y.Metric
		}
	})
	return idx
}

// accountOrder sorts series by account, channel, metric.
func accountOrder(as []snapshot.SeriesName) []int32 {
	idx := make([]int32, len(as))
	for i := range idx {
		idx[i] = int32(i) //nolint:gosec // a snapshot's account values are far fewer than 2^31
	}
	sort.Slice(idx, func(a, b int) bool {
		x, y := &as[idx[a]], &as[idx[b]]
		switch {
		case x.Account != y.Account:
			return x.Account < y.Account
		case x.Channel != y.Channel:
			return x.Channel < y.Channel
		default:
			return x.Metric < y.Metric
		}
	})
	return idx
}

func seconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
