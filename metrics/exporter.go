package metrics

import (
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/engine"
	"github.com/kpi-collector/kpi-collector/plan"
)

const cached = " Cached: the value as of the last collection, not read at scrape time."

var kpiLabels = []string{"kpi", "channel", "account", "metric"}

var (
	kpiValue          = prometheus.NewDesc("kpi_value", "The KPI's value now, counted as its count says (total or growth since plan start)."+cached, kpiLabels, nil)
	kpiExpected       = prometheus.NewDesc("kpi_expected_value", "Where the plan's glide path says the KPI's value should be now."+cached, kpiLabels, nil)
	kpiTarget         = prometheus.NewDesc("kpi_target_value", "The target of the next milestone not yet due (the last one once all are due)."+cached, kpiLabels, nil)
	kpiTargetDue      = prometheus.NewDesc("kpi_target_due_timestamp_seconds", "When that milestone falls due, in seconds since the epoch."+cached, kpiLabels, nil)
	kpiProgress       = prometheus.NewDesc("kpi_progress_ratio", "kpi_value divided by kpi_expected_value; absent while the expected value is 0."+cached, kpiLabels, nil)
	kpiForecast       = prometheus.NewDesc("kpi_forecast_value", "The value projected to the next milestone's due time at the recent pace."+cached, kpiLabels, nil)
	kpiDailyGrowth    = prometheus.NewDesc("kpi_daily_growth", "The recent pace per day: the slope of a least-squares line through the last readings."+cached, kpiLabels, nil)
	kpiRequiredGrowth = prometheus.NewDesc("kpi_required_daily_growth", "The pace per day needed from now to meet the next milestone."+cached, kpiLabels, nil)
	kpiStatus         = prometheus.NewDesc("kpi_status", "The KPI's status against its plan: 1 for the current status, 0 for the others."+cached, append(kpiLabels, "status"), nil)
	kpiLastObs        = prometheus.NewDesc("kpi_last_observation_timestamp_seconds", "When the KPI's value was last read successfully, in seconds since the epoch."+cached, kpiLabels, nil)
	accountValue      = prometheus.NewDesc("kpi_account_value", "Every value read from a channel, KPI or not."+cached, []string{"channel", "account", "metric"}, nil)
	planInfo          = prometheus.NewDesc("kpi_plan_info", "The plan in force: its name, goal and dates.", []string{"plan", "goal", "start", "end"}, nil)
	collSuccess       = prometheus.NewDesc("kpi_collection_success", "1 if the channel's last run read every account, else 0.", []string{"channel"}, nil)
	collLastSuccess   = prometheus.NewDesc("kpi_collection_last_success_timestamp_seconds", "When the channel's last fully successful run ended, in seconds since the epoch.", []string{"channel"}, nil)
	collInterval      = prometheus.NewDesc("kpi_collection_interval_seconds", "The time between two scheduled runs of the channel.", []string{"channel"}, nil)
	collDuration      = prometheus.NewDesc("kpi_collection_duration_seconds", "How long the channel's last run took.", []string{"channel"}, nil)
	collErrors        = prometheus.NewDesc("kpi_collection_errors_total", "Failures of the channel's runs, by reason.", []string{"channel", "reason"}, nil)
	apiRequests       = prometheus.NewDesc("kpi_api_requests_total", "Calls made to the channel's API, by HTTP status code (error: no answer).", []string{"channel", "code"}, nil)
	quotaUsed         = prometheus.NewDesc("kpi_api_quota_used", "API units spent today against the channel's daily budget.", []string{"channel"}, nil)
	quotaLimit        = prometheus.NewDesc("kpi_api_quota_limit", "The channel's daily API budget in units.", []string{"channel"}, nil)
	reloadOK          = prometheus.NewDesc("kpi_config_last_reload_successful", "1 if the last config (re)load succeeded, else 0.", nil, nil)
	reloadTime        = prometheus.NewDesc("kpi_config_last_reload_success_timestamp_seconds", "When the config was last (re)loaded successfully, in seconds since the epoch.", nil, nil)
)

// Exporter is a prometheus.Collector over the snapshot a source publishes.
type Exporter struct {
	snapshot func() *engine.Snapshot
}

// NewExporter exports whatever snapshot returns at scrape time.
func NewExporter(snapshot func() *engine.Snapshot) *Exporter {
	return &Exporter{snapshot: snapshot}
}

// Describe sends every descriptor.
func (x *Exporter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{kpiValue, kpiExpected, kpiTarget, kpiTargetDue, kpiProgress, kpiForecast,
		kpiDailyGrowth, kpiRequiredGrowth, kpiStatus, kpiLastObs, accountValue, planInfo, collSuccess, collLastSuccess,
		collDuration, collInterval, collErrors, apiRequests, quotaUsed, quotaLimit, reloadOK, reloadTime} {
		ch <- d
	}
}

// Collect renders the snapshot as const metrics, without sample timestamps.
func (x *Exporter) Collect(ch chan<- prometheus.Metric) {
	s := x.snapshot()
	if s == nil {
		return
	}
	visit(s, func(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, t, v, labels...) //nolint:promlinter // sends the descriptors linted above
	})
}

// sink receives one sample.
type sink func(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string)

// visit sends every sample of a snapshot to emit: the one place that says
// which series exist. Within each family the samples come in the order
// client_golang sorts them (by label values, labels in name order), so that
// Render can write them as they come.
func visit(s *engine.Snapshot, emit sink) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) { emit(d, prometheus.GaugeValue, v, labels...) }
	if s.Plan.ShardIndex == 0 {
		gauge(planInfo, 1, s.Plan.Name, s.Plan.Goal, s.Plan.Start.String(), s.Plan.End.String())
	}
	for _, i := range kpiOrder(s.KPIs) {
		k := &s.KPIs[i]
		l := []string{k.Name, k.Channel, k.Account, k.Metric}
		gauge(kpiExpected, k.Expected, l...)
		if k.HasValue {
			gauge(kpiValue, k.Value, l...)
			gauge(kpiLastObs, seconds(k.LastObservation), l...)
		}
		if k.HasTarget {
			gauge(kpiTarget, k.Target, l...)
			gauge(kpiTargetDue, seconds(k.Due), l...)
		}
		if k.HasProgress {
			gauge(kpiProgress, k.Progress, l...)
		}
		if k.HasPace {
			gauge(kpiForecast, k.Forecast, l...)
			gauge(kpiDailyGrowth, k.DailyGrowth, l...)
		}
		if k.HasRequired {
			gauge(kpiRequiredGrowth, k.RequiredDailyGrowth, l...)
		}
		for _, st := range sortedStatuses {
			v := 0.0
			if st == k.Status {
				v = 1
			}
			gauge(kpiStatus, v, k.Name, k.Channel, k.Account, k.Metric, string(st))
		}
	}
	for _, i := range accountOrder(s.Accounts) {
		a := s.Accounts[i]
		gauge(accountValue, a.Value, a.Channel, a.Account, a.Metric)
	}
	for _, c := range s.Channels { // sorted by name
		if !c.Scheduled {
			continue
		}
		if c.Ran {
			gauge(collSuccess, boolf(c.Success), c.Name)
		}
		if !c.LastSuccess.IsZero() {
			gauge(collLastSuccess, seconds(c.LastSuccess), c.Name)
		}
		if c.Interval > 0 {
			gauge(collInterval, c.Interval.Seconds(), c.Name)
		}
		if c.Duration > 0 {
			gauge(collDuration, c.Duration.Seconds(), c.Name)
		}
		for _, r := range sortedReasons {
			emit(collErrors, prometheus.CounterValue, c.Errors[r], c.Name, string(r))
		}
		for _, code := range sortedKeys(c.Requests) {
			emit(apiRequests, prometheus.CounterValue, c.Requests[code], c.Name, code)
		}
		if c.HasQuota {
			gauge(quotaUsed, c.QuotaUsed, c.Name)
			gauge(quotaLimit, c.QuotaLimit, c.Name)
		}
	}
	gauge(reloadOK, boolf(s.Reload.Success))
	if !s.Reload.LastSuccess.IsZero() {
		gauge(reloadTime, seconds(s.Reload.LastSuccess))
	}
}

var (
	sortedStatuses = sortedCopy(plan.Statuses)
	sortedReasons  = sortedCopy(collectors.Reasons)
)

func sortedCopy[T ~string](in []T) []T {
	out := append([]T(nil), in...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func sortedKeys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// kpiOrder sorts KPIs by their labels in name order: account, channel, kpi, metric.
func kpiOrder(ks []engine.KPIState) []int {
	idx := make([]int, len(ks))
	for i := range idx {
		idx[i] = i
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

// accountOrder sorts account values by account, channel, metric.
func accountOrder(as []engine.AccountValue) []int {
	idx := make([]int, len(as))
	for i := range idx {
		idx[i] = i
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
