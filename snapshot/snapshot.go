// Package snapshot is the evaluated plan and the collector's health at one
// moment, as the engine publishes it: all that /metrics, the status page, the
// JSON API and the reports read. It imports only plan and vocab, so that its
// readers (metrics, web, report) need not know the engine, the collectors or
// the store.
package snapshot

import (
	"fmt"
	"iter"
	"math"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// Snapshot is the evaluated plan and the collector's health at one moment.
// It is immutable once published: readers share it without locks.
type Snapshot struct {
	// At is when the KPIs were evaluated. A change of health alone (a
	// credential checked, a reload refused) publishes the same evaluations
	// again with the newer Channels and Reload, At unchanged.
	At       time.Time
	Plan     PlanInfo
	KPIs     []KPIState
	Accounts AccountValues
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
	// KPI is what the plan says of the KPI. It is the same for every
	// snapshot of one config and shared between them: a snapshot of 100,000
	// KPIs, built while the one before it is still read, then adds its
	// evaluations only.
	*KPI
	plan.Evaluation
	// Hidden, where set, is why the API withholds the KPI's count ("hidden
	// by the account"): the KPI has no new value, and this says why.
	Hidden string
	// Resolution, where more than 1, is the step in which the API shows the
	// count at its latest size; KPI.ResolutionNote says why.
	Resolution float64
	// Versus, for a KPI with `versus: rivals`, is how it compares and where
	// each account stands (nil for the others: most KPIs, and a pointer
	// keeps the snapshot of 100,000 of them small).
	Versus *Versus
	// PostsInWindow, for a KPI on an engagement metric, is how many posts
	// its value is over (HasPostsInWindow false where unknown).
	PostsInWindow float64
	// Recent is a few of the KPI's values (readings counted as its count
	// says) since the plan started, for sparklines: the value at moments
	// spread evenly over the plan, up to now, and the latest; at most
	// SparkPoints.
	Recent           Spark
	HasPostsInWindow bool
}

// KPI is a KPI as the plan defines it, for those who show its state.
type KPI struct {
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
	// Manual is true for a KPI of a manual channel: values are recorded
	// by hand (the status page offers a form).
	Manual bool
	// ResolutionNote, for a type whose API rounds large counts, says why
	// (shown where KPIState.Resolution is more than 1).
	ResolutionNote string
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

// Spark is a KPI's recent values (KPIState.Recent) in little space: the
// KPIs read at the same moments (a channel's, run by run) share one list of
// times, and a snapshot shares a KPI's spark with the last snapshot where it
// is unchanged. As plan.Points, 24 of them took 77 MB at 100,000 KPIs late
// in a plan, and a publish after a run built them all again beside.
type Spark struct {
	// Times are the points' times; shared, so read only (nil: no points).
	Times *SparkTimes
	// Values[i] is the value at Times.Ms[i].
	Values []float64
}

// SparkTimes are a spark's times, in Unix milliseconds, ascending.
type SparkTimes struct{ Ms []int64 }

// SparkOf is the spark of points (their times to the millisecond).
func SparkOf(ps []plan.Point) Spark {
	s := Spark{Times: &SparkTimes{Ms: make([]int64, len(ps))}, Values: make([]float64, len(ps))}
	for i, p := range ps {
		s.Times.Ms[i], s.Values[i] = p.Time.UnixMilli(), p.Value
	}
	return s
}

// Len is the number of points.
func (s Spark) Len() int { return len(s.Values) }

// Points are the spark's points, made anew on every call.
func (s Spark) Points() []plan.Point {
	ps := make([]plan.Point, len(s.Values))
	for i, v := range s.Values {
		ps[i] = plan.Point{Time: time.UnixMilli(s.Times.Ms[i]), Value: v}
	}
	return ps
}

// AccountPace is the recent pace of one metric of one account of a channel
// with rivals (its own accounts and its rivals).
type AccountPace struct {
	Channel     string
	Account     string
	Metric      string
	DailyGrowth float64
}

// AccountValues is the latest reading of every metric of every account, in
// channel, account and metric order. Series is shared by the snapshots of
// one config and one set of series, and only the values are a snapshot's
// own: at 100,000 accounts a snapshot holds 300,000 values, which took 17 MB
// with their names and 2.4 MB without.
type AccountValues struct {
	// Series is read only.
	Series []SeriesName
	// Values[i] is Series[i]'s latest value, NaN while it has none at the
	// snapshot's moment (a stored value is never NaN).
	Values []float64
}

// SeriesName names one metric of one account of a channel.
type SeriesName struct {
	// ChannelMetric is one pair shared by every account's series of it.
	*ChannelMetric
	Account string
}

// All yields each series that has a value, with it, in order.
func (a AccountValues) All() iter.Seq2[SeriesName, float64] {
	return func(yield func(SeriesName, float64) bool) {
		for i, v := range a.Values {
			if !math.IsNaN(v) && !yield(a.Series[i], v) {
				return
			}
		}
	}
}

// ChannelMetric names a metric of a channel.
type ChannelMetric struct {
	Channel string
	Metric  string
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
	// Credential is what the channel's API last said of when its
	// credential ends (nil: not asked yet, or nothing to ask).
	Credential *Credential
	// CredentialCheckFailures counts the checks of the credential that
	// failed (the readings do not depend on them).
	CredentialCheckFailures float64
	// APIVersion is the API version the channel asks for and when it is
	// retired (nil for types without versions).
	APIVersion *APIVersion
}

// Credential is when a channel's credential ends: the one a person must
// renew (for a LinkedIn channel that mints its access tokens, the refresh
// token).
type Credential struct {
	// Ends is when it stops working; zero where it never does (Never).
	Ends  time.Time
	Never bool
	// What names it ("the refresh token").
	What string
	// Dead, where set, is the API's word that it no longer works at all.
	Dead string
	// Checked is when the API was asked.
	Checked time.Time
}

// APIVersion is the API version a channel asks for and when it is retired.
type APIVersion struct {
	Version string
	// Ends is zero where the vendor has not announced it.
	Ends time.Time
	// Source says where Ends comes from (the vendor's table or rule, or
	// the channel's version_end).
	Source string
}

// ReloadState is the outcome of the last config (re)load.
type ReloadState struct {
	Success     bool
	LastSuccess time.Time
	Error       string
}

// CredentialWarnDays and VersionWarnDays are how far ahead of an end the
// page marks it, as the alerts KPICredentialExpiresSoon and
// KPIAPIVersionRetiring warn.
const (
	CredentialWarnDays = 7
	VersionWarnDays    = 30
)

// daysWords says how far t lies from now in whole days.
func daysWords(t, now time.Time, ahead, past string) string {
	d := t.Sub(now)
	switch days := int(d.Hours() / 24); {
	case d < 0:
		return fmt.Sprintf("%s %d days ago (%s)", past, int(-d.Hours()/24), t.UTC().Format(time.DateOnly))
	case days == 0:
		return fmt.Sprintf("%s within a day (%s)", ahead, t.UTC().Format(time.RFC3339))
	default:
		return fmt.Sprintf("%s in %d days (%s)", ahead, days, t.UTC().Format(time.DateOnly))
	}
}

// Words say when the credential ends, as of now: "the refresh token
// expires in 40 days (2027-01-12)".
func (c *Credential) Words(now time.Time) string {
	switch {
	case c.Dead != "":
		return c.What + " no longer works: " + c.Dead
	case c.Never:
		return c.What + " does not expire"
	}
	return c.What + " " + daysWords(c.Ends, now, "expires", "expired")
}

// Soon reports whether the credential ends within CredentialWarnDays (or
// has ended).
func (c *Credential) Soon(now time.Time) bool {
	return c.Dead != "" || (!c.Never && c.Ends.Sub(now) < CredentialWarnDays*24*time.Hour)
}

// Words say when the version is retired, as of now: "API version v24.0 is
// retired in 440 days (2028-02-18; Meta's versions page)".
func (v *APIVersion) Words(now time.Time) string {
	if v.Ends.IsZero() {
		return "API version " + v.Version + ": no end announced"
	}
	w := "API version " + v.Version + " " + daysWords(v.Ends, now, "is retired", "was retired")
	return strings.TrimSuffix(w, ")") + "; " + v.Source + ")"
}

// Soon reports whether the version is retired within VersionWarnDays (or
// was).
func (v *APIVersion) Soon(now time.Time) bool {
	return !v.Ends.IsZero() && v.Ends.Sub(now) < VersionWarnDays*24*time.Hour
}
