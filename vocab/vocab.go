// Package vocab holds the words every part of kpi-collector shares: why a
// collection failed, where a KPI stands, how a KPI counts, its milestones,
// what a recording by hand holds and how it is refused. It imports nothing of
// the module, so that collectors, the config, the plan arithmetic, the engine
// and what shows the snapshot (metrics, web, report) speak the same words
// without depending on one another.
package vocab

import "time"

// Reason is a class of failure: the `reason` label of
// kpi_collection_errors_total.
type Reason string

// The failure classes (contract: they are label values).
const (
	RateLimited Reason = "rate_limited" // slow down; retry after the reset
	Quota       Reason = "quota"        // the daily budget is spent
	Payment     Reason = "payment"      // the API wants money (X credits)
	Auth        Reason = "auth"         // a bad, expired or underpowered credential
	NotFound    Reason = "not_found"    // the account does not exist or is hidden
	Timeout     Reason = "timeout"      // no answer in time
	Server      Reason = "server"       // the API answered with a failure, or refused otherwise
	Network     Reason = "network"      // the API could not be reached: name resolution, connection, TLS
	Decode      Reason = "decode"       // an answer that cannot be read
	Version     Reason = "version"      // the API version asked for is gone
	Storage     Reason = "storage"      // what was read could not be stored (a full disk)
)

// Reasons lists every reason.
var Reasons = []Reason{RateLimited, Quota, Payment, Auth, NotFound, Timeout, Server, Network, Decode, Version, Storage}

// Status is the state of a KPI against its plan.
type Status string

// The statuses, in the order in which they are tested.
const (
	NoData  Status = "no_data"
	Met     Status = "met"
	Missed  Status = "missed"
	Behind  Status = "behind"
	Ahead   Status = "ahead"
	OnTrack Status = "on_track"
)

// Statuses lists every status, for state-set metrics that expose all of them.
var Statuses = []Status{NoData, Met, Missed, Behind, Ahead, OnTrack}

// Count says how a KPI's value is derived from a channel's cumulative
// readings.
type Count string

const (
	// Total takes the latest reading as it is.
	Total Count = "total"
	// Growth takes the latest reading minus the reference reading at plan
	// start.
	Growth Count = "growth"
)

// Direction says which way a KPI's value should go.
type Direction string

const (
	// Up means higher is better (followers, clicks). The default.
	Up Direction = "up"
	// Down means lower is better (a search position, a bounce rate): the glide
	// path runs down from the baseline to the target.
	Down Direction = "down"
)

// Compare says how a KPI with `versus: rivals` sets its account against the
// channel's rivals.
type Compare string

const (
	// Share is own ÷ (own + every rival's): a share of voice.
	Share Compare = "share"
	// Lead is own − the best rival's: ahead when positive.
	Lead Compare = "lead"
	// Pace is own daily growth ÷ the rivals' median daily growth: above 1
	// when growing faster than the field.
	Pace Compare = "pace"
)

// Milestone is a target a KPI's value should reach by a due time.
type Milestone struct {
	Due    time.Time
	Target float64
}

// Every is the period of recurring milestones (a KPI's `every:`).
type Every string

// The periods recurring milestones may have.
const (
	Monthly   Every = "month"
	Quarterly Every = "quarter"
)
