// Package snapshot is the evaluated plan and the collector's health at one
// moment, as the engine publishes it: all that /metrics, the status page, the
// JSON API and the reports read. It imports only plan and vocab, so that its
// readers (metrics, web, report) need not know the engine, the collectors or
// the store.
package snapshot

import (
	"time"

	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// Snapshot is the evaluated plan and the collector's health at one moment.
// It is immutable once published: readers share it without locks.
type Snapshot struct {
	At       time.Time
	Plan     PlanInfo
	KPIs     []KPIState
	Accounts []AccountValue
	// Paces are the recent paces of every account of the channels with
	// rivals, the rivals included, sorted by channel, account and metric.
	Paces    []AccountPace
	Channels []ChannelState
	Reload   ReloadState
	// Quarantined is every series with stored days set aside as damaged,
	// by channel, account and metric.
	Quarantined []QuarantinedSeries
}

// QuarantinedSeries is a series with days whose stored readings were damaged
// and set aside.
type QuarantinedSeries struct {
	Channel, Account, Metric string
	Days                     int
}

// PlanInfo is the plan's frame.
type PlanInfo struct {
	Name     string
	Goal     string
	Timezone string
	// Start and End are the plan's first and last day, YYYY-MM-DD.
	Start string
	End   string
	// StartTime and EndTime are 00:00 of the first and 24:00 of the last day.
	StartTime time.Time
	EndTime   time.Time
	// ShardIndex is this replica's shard (0 when not sharded): plan-level
	// series come from shard 0 only, so that the replicas' union has one.
	ShardIndex int
	// ShardKPIs is how many of the whole plan's KPIs each shard evaluates
	// (nil when not sharded), so that a view of the whole plan can say how
	// many are missing when a shard does not answer.
	ShardKPIs []int
}

// KPIState is one KPI evaluated.
type KPIState struct {
	// Position is the KPI's place in the whole plan's list of KPIs; on a
	// shard, the KPIs of the snapshot are a part of that list, in order.
	Position   int
	Name       string
	Channel    string
	Account    string
	Metric     string
	Count      vocab.Count
	Tolerance  float64
	Milestones []vocab.Milestone
	plan.Evaluation
	// Hidden, where set, is why the API withholds the KPI's count ("hidden
	// by the account"): the KPI has no new value, and this says why.
	Hidden string
	// Manual is true for a KPI of a manual channel: values are recorded
	// by hand (the status page offers a form).
	Manual bool
	// Resolution, where more than 1, is the step in which the API shows the
	// count at its latest size; ResolutionNote says why.
	Resolution     float64
	ResolutionNote string
	// Versus, for a KPI with `versus: rivals`, is how it compares and where
	// each account stands (nil for the others: most KPIs, and a pointer
	// keeps the snapshot of 100,000 of them small).
	Versus *Versus
	// PostsInWindow, for a KPI on an engagement metric, is how many posts
	// its value is over (HasPostsInWindow false where unknown).
	HasPostsInWindow bool
	PostsInWindow    float64
	// Recent is a few of the KPI's values (readings counted as its count
	// says) since the plan started, for sparklines: the value at moments
	// spread evenly over the plan, up to now, and the latest; at most
	// SparkPoints.
	Recent []plan.Point
}

// Versus is a KPI's comparison with the channel's rivals: how its value sets
// its account against them, and where the account and each rival (in the
// channel's order) stand on the KPI's metric.
type Versus struct {
	Compare vocab.Compare
	Own     Standing
	Rivals  []Standing
}

// Standing is an account's latest value of a metric and its recent pace.
type Standing struct {
	Account     string
	HasValue    bool
	Value       float64
	HasPace     bool
	DailyGrowth float64
}

// SparkPoints bounds KPIState.Recent.
const SparkPoints = 24

// AccountPace is the recent pace of one metric of one account of a channel
// with rivals (its own accounts and its rivals).
type AccountPace struct {
	Channel     string
	Account     string
	Metric      string
	DailyGrowth float64
}

// AccountValue is the latest reading of one metric of one account.
type AccountValue struct {
	Channel string
	Account string
	Metric  string
	Value   float64
}

// ChannelState is one channel's collection health.
type ChannelState struct {
	Name string
	Type string
	// Scheduled is false for channels that are never collected (manual).
	Scheduled bool
	// Ran is true once a run's outcome is known, in this process or stored.
	Ran         bool
	Success     bool
	LastSuccess time.Time
	LastError   string
	// Duration is the last run's length; zero until a run in this process.
	Duration time.Duration
	// Interval is the time between two scheduled runs (the next two), so
	// that alerts can say "three runs in a row failed" for any schedule.
	Interval time.Duration
	// DataLag is how far before a run its readings may be dated: a rolling
	// window ends days back (config.TypeSpec.DataLag).
	DataLag  time.Duration
	Errors   map[vocab.Reason]float64
	Requests map[string]float64
	// HasQuota is true for channels with a daily budget.
	HasQuota   bool
	QuotaUsed  float64
	QuotaLimit float64
}

// ReloadState is the outcome of the last config (re)load.
type ReloadState struct {
	Success     bool
	LastSuccess time.Time
	Error       string
}
