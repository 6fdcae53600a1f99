package plan

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/kpi-collector/kpi-collector/vocab"
)

// Count says how a KPI's value is derived (see vocab.Count). It and the
// other aliases of vocab here keep the arithmetic and its tests short; other
// packages use vocab.
type Count = vocab.Count

// The counts.
const (
	Total  = vocab.Total
	Growth = vocab.Growth
)

// Direction says which way a KPI should go (see vocab.Direction).
type Direction = vocab.Direction

// The directions.
const (
	Up   = vocab.Up
	Down = vocab.Down
)

// Status is the state of a KPI against its plan (see vocab.Status).
type Status = vocab.Status

// The statuses, in the order in which they are tested.
const (
	NoData  = vocab.NoData
	Met     = vocab.Met
	Missed  = vocab.Missed
	Behind  = vocab.Behind
	Ahead   = vocab.Ahead
	OnTrack = vocab.OnTrack
)

// Statuses lists every status, for state-set metrics that expose all of them.
var Statuses = vocab.Statuses

// DefaultTolerance is the share by which a value may differ from the expected
// value and still count as on track.
const DefaultTolerance = 0.05

// Milestone is a target to be reached by a due time.
type Milestone = vocab.Milestone

// KPI is what the plan asks of one metric of one account.
type KPI struct {
	Count Count
	// Direction is Down where lower is better (an average search position):
	// a target is reached from above, behind means above the glide path,
	// and the paces toward a target are negative. Empty means Up.
	Direction Direction
	// Baseline, where set, is the glide path's starting value; otherwise it is
	// 0 for growth and the reference reading for total.
	Baseline   *float64
	Tolerance  float64
	Milestones []Milestone // ascending by Due
	// KeptByHand: the count changes only when someone records it (a manual
	// channel). It starts from nothing (see FromNothing) and holds each
	// recorded value until the next recording: its value at a due time is
	// the last one recorded at or before it, known as soon as the due time
	// passes, and its pace is measured on that step up to now (see
	// Evaluation.DailyGrowth).
	KeptByHand bool
	// Interval is the time between the channel's scheduled readings (0:
	// unknown). A reading within one interval of a due time, on either side,
	// stands for the value then; see ValueAtDue.
	Interval time.Duration
}

// Point is one reading: a cumulative count as the channel showed it at Time.
type Point struct {
	Time  time.Time
	Value float64
}

// Evaluation is a KPI's state at one moment. Fields whose Has flag is false
// are unknown and must not be shown as numbers. The flags sit together at the
// end: a snapshot holds an Evaluation per KPI, and each flag set between two
// numbers took 8 bytes of it.
type Evaluation struct {
	Status Status
	// Direction is the KPI's (Down: lower is better), for those who word
	// the figures.
	Direction Direction
	// Value is the latest reading at or before the moment (HasValue), and
	// LastObservation its time.
	Value           float64
	LastObservation time.Time

	Expected float64
	// Baseline is where the glide path starts; Reference is the reading a
	// growth count is counted from (0 for a total count).
	Baseline  float64
	Reference float64
	// Target and Due are the next milestone not yet due, or the last one once
	// all are due (HasTarget: false for a KPI without milestones).
	Target float64
	Due    time.Time

	// Progress is the value over the expected one (the expected over the
	// value where lower is better): 1 on the glide path. HasProgress is
	// false where the divisor is 0.
	Progress float64

	// DailyGrowth is the recent pace, per day, never measured over less
	// than a day. For a scheduled channel it is the slope of a least-squares
	// line through the readings of the PaceWindow before the latest one (at
	// least the last two; a fit over less than a day is spread over a day).
	// For a count kept by hand, which holds each recorded value until the
	// next recording, it is the change of that step over the PaceWindow
	// ending now (from its first recording where that is later), per day:
	// a count that stopped moving shows a falling pace, down to 0 once its
	// last change is a PaceWindow old. Forecast is the value projected to
	// the next due time at that pace.
	//
	// HasPace is false without a reading, and for a scheduled channel with
	// fewer than two readings at distinct times.
	DailyGrowth float64
	Forecast    float64

	// ReachTime is when the recent pace, above 0, carries a value still
	// under its next target up to it (HasReach).
	ReachTime time.Time

	// RequiredDailyGrowth is the pace that reaches the next target by its
	// due time, 0 where it is reached (HasRequired: false once every
	// milestone is due).
	RequiredDailyGrowth float64

	// MissedMilestone is the earliest missed milestone when Status is Missed.
	MissedMilestone *Milestone

	HasValue    bool
	HasTarget   bool
	HasProgress bool
	HasPace     bool
	HasReach    bool
	HasRequired bool
}

// down reports whether lower is better for k.
func (k KPI) down() bool { return k.Direction == Down }

// reached reports whether value has reached target in k's direction.
func (k KPI) reached(value, target float64) bool {
	if k.down() {
		return value <= target
	}
	return value >= target
}

// PaceWindow is how far back the pace looks: from the latest reading for a
// scheduled channel, from now for a count kept by hand.
const PaceWindow = 14 * 24 * time.Hour

const day = 24 * time.Hour

// Evaluate computes the KPI's state at the moment now, for a plan that starts
// at start. Readings must be ascending by time; those after now are ignored.
func Evaluate(start time.Time, k KPI, readings []Point, now time.Time) Evaluation {
	readings = upTo(readings, now)
	if k.KeptByHand {
		readings = FromNothing(start, readings)
	}
	ev := Evaluation{Status: NoData, Direction: k.Direction}
	tol := k.Tolerance
	if tol < 0 {
		tol = 0
	}

	ref, hasRef := Reference(readings, start)
	baseline := 0.0
	switch {
	case k.Baseline != nil:
		baseline = *k.Baseline
	case k.Count == Total && hasRef:
		baseline = ref
	}
	valueOf := func(reading float64) float64 {
		if k.Count == Growth {
			return reading - ref
		}
		return reading
	}
	ev.Baseline = baseline
	if k.Count == Growth {
		ev.Reference = ref
	}

	ev.Expected = Expected(start, baseline, k.Milestones, now)
	if m, ok := NextMilestone(k.Milestones, now); ok {
		ev.HasTarget, ev.Target, ev.Due = true, m.Target, m.Due
	}
	if len(readings) == 0 {
		return ev
	}
	last := readings[len(readings)-1]
	ev.HasValue = true
	ev.Value = valueOf(last.Value)
	ev.LastObservation = last.Time
	switch {
	case k.down() && ev.Value != 0:
		// Lower is better: 1 on the glide path, under 1 above it (behind).
		ev.HasProgress = true
		ev.Progress = ev.Expected / ev.Value
	case !k.down() && ev.Expected != 0:
		ev.HasProgress = true
		ev.Progress = ev.Value / ev.Expected
	}

	var slope float64
	var hasPace bool
	if k.KeptByHand {
		slope, hasPace = handPace(readings, now)
	} else {
		slope, hasPace = pace(readings)
	}
	if hasPace {
		ev.HasPace = true
		ev.DailyGrowth = slope
		ev.Forecast = ev.Value
		if ev.HasTarget && ev.Due.After(now) {
			ev.Forecast = ev.Value + slope*ev.Due.Sub(now).Hours()/24
		}
	}
	// The pace carries the value toward the target: up toward one above it,
	// down toward one below it (Direction Down).
	if ev.HasPace && ev.HasTarget && ev.DailyGrowth != 0 && !k.reached(ev.Value, ev.Target) && (ev.DailyGrowth > 0) != k.down() {
		days := (ev.Target - ev.Value) / ev.DailyGrowth
		if days < 100*365 { // beyond a century is no date to plan by
			ev.HasReach, ev.ReachTime = true, now.Add(time.Duration(days*float64(day)))
		}
	}
	if ev.HasTarget && ev.Due.After(now) {
		ev.HasRequired = true
		ev.RequiredDailyGrowth = (ev.Target - ev.Value) / (ev.Due.Sub(now).Hours() / 24)
		// A target already reached needs no pace; a down KPI's pace is a
		// fall, so negative.
		if k.down() {
			ev.RequiredDailyGrowth = math.Min(0, ev.RequiredDailyGrowth)
		} else {
			ev.RequiredDailyGrowth = math.Max(0, ev.RequiredDailyGrowth)
		}
	}

	if !finite(ev.Value) {
		// Readings so far apart that their difference overflows: no value
		// is better than an infinite one.
		return Evaluation{Status: NoData, Direction: k.Direction, Expected: ev.Expected, Baseline: ev.Baseline, HasTarget: ev.HasTarget, Target: ev.Target, Due: ev.Due}
	}
	if !finite(ev.Progress) {
		ev.HasProgress, ev.Progress = false, 0
	}
	if !finite(ev.DailyGrowth) || !finite(ev.Forecast) {
		ev.HasPace, ev.DailyGrowth, ev.Forecast = false, 0, 0
		ev.HasReach, ev.ReachTime = false, time.Time{}
	}
	if !finite(ev.RequiredDailyGrowth) {
		ev.HasRequired, ev.RequiredDailyGrowth = false, 0
	}

	below, above := ev.Value < ev.Expected*(1-tol), ev.Value > ev.Expected*(1+tol)
	behind, ahead := below, above
	if k.down() {
		behind, ahead = above, below
	}
	switch {
	case len(k.Milestones) > 0 && k.reached(ev.Value, k.Milestones[len(k.Milestones)-1].Target):
		ev.Status = Met
	case missed(k, readings, valueOf, ev.Value, now) != nil:
		ev.Status = Missed
		ev.MissedMilestone = missed(k, readings, valueOf, ev.Value, now)
	case behind:
		ev.Status = Behind
	case ahead:
		ev.Status = Ahead
	default:
		ev.Status = OnTrack
	}
	return ev
}

// Advice is the plan's "adjust" step in one plain sentence: when the recent
// pace reaches the next target and how that compares with its due date, and
// the pace that would meet it from now. Empty once every target is met or
// without a target or a value.
func Advice(ev Evaluation, loc *time.Location) string {
	if !ev.HasValue || !ev.HasTarget || ev.Status == Met || (KPI{Direction: ev.Direction}).reached(ev.Value, ev.Target) {
		return ""
	}
	due := ev.Due.Add(-time.Nanosecond).In(loc).Format(time.DateOnly) // the due day, which ends at 24:00
	var first string
	switch {
	case ev.HasReach:
		late := int(math.Ceil(ev.ReachTime.Sub(ev.Due).Hours() / 24))
		when := "in time"
		switch {
		case late > 0:
			when = fmt.Sprintf("%d days late", late)
		case late < 0:
			when = fmt.Sprintf("%d days early", -late)
		}
		first = fmt.Sprintf("at %s a day it reaches %s on %s, %s", num(ev.DailyGrowth), num(ev.Target), ev.ReachTime.In(loc).Format(time.DateOnly), when)
	case ev.HasPace:
		first = fmt.Sprintf("at its recent pace (%s a day) it does not reach %s", num(ev.DailyGrowth), num(ev.Target))
	default:
		first = fmt.Sprintf("no pace yet to reach %s", num(ev.Target))
	}
	if !ev.HasRequired {
		return first + fmt.Sprintf("; the due date %s has passed", due)
	}
	return first + fmt.Sprintf("; %s a day from now meets %s", num(ev.RequiredDailyGrowth), due)
}

// num prints a rate or a count for people: one decimal at most, or two
// significant digits for a small rate (0.037 a day, not 0).
func num(v float64) string {
	if a := math.Abs(v); a > 0 && a < 1 {
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// finite reports whether v is a number a gauge can show: derived figures
// that overflow are left unknown rather than shown as ±Inf or NaN.
func finite(v float64) bool { return !math.IsInf(v, 0) && !math.IsNaN(v) }

// Reference is the reading growth is counted from: the last one at or before
// start, else the first after it.
func Reference(readings []Point, start time.Time) (float64, bool) {
	if len(readings) == 0 {
		return 0, false
	}
	i := sort.Search(len(readings), func(i int) bool { return readings[i].Time.After(start) })
	if i > 0 {
		return readings[i-1].Value, true
	}
	return readings[0].Value, true
}

// Expected is the glide path at t: straight lines from (start, baseline)
// through each (due, target), flat at the last target after the last due.
func Expected(start time.Time, baseline float64, milestones []Milestone, t time.Time) float64 {
	fromT, fromV := start, baseline
	if !t.After(fromT) {
		return baseline
	}
	for _, m := range milestones {
		if !t.After(m.Due) {
			span := m.Due.Sub(fromT)
			if span <= 0 {
				return m.Target
			}
			frac := float64(t.Sub(fromT)) / float64(span)
			return fromV + frac*(m.Target-fromV)
		}
		fromT, fromV = m.Due, m.Target
	}
	return fromV
}

// NextMilestone is the first milestone not yet due at t, or the last one once
// all are due.
func NextMilestone(milestones []Milestone, t time.Time) (Milestone, bool) {
	if len(milestones) == 0 {
		return Milestone{}, false
	}
	for _, m := range milestones {
		if m.Due.After(t) {
			return m, true
		}
	}
	return milestones[len(milestones)-1], true
}

// missed returns the earliest milestone whose due time has passed with the
// value then under its target, a target the current value still misses. A
// milestone whose value at its due time is not known yet is not judged yet.
func missed(k KPI, readings []Point, valueOf func(float64) float64, current float64, now time.Time) *Milestone {
	for i, m := range k.Milestones {
		if m.Due.After(now) {
			return nil
		}
		at, ok := ValueAtDue(k, readings, m.Due)
		if ok && !k.reached(valueOf(at.Value), m.Target) && !k.reached(current, m.Target) {
			return &k.Milestones[i]
		}
	}
	return nil
}

// ValueAtDue is the reading that tells what the value was at a due time,
// from readings up to now: for a count kept by hand, the last one recorded
// at or before it (the count does not change without a recording); for a
// scheduled channel, the reading nearest the due time within one Interval on
// either side, else the first reading after it. ok is false while none is
// known.
func ValueAtDue(k KPI, readings []Point, due time.Time) (Point, bool) {
	after := sort.Search(len(readings), func(j int) bool { return !readings[j].Time.Before(due) })
	if k.KeptByHand {
		last := sort.Search(len(readings), func(j int) bool { return readings[j].Time.After(due) }) - 1
		if last < 0 {
			return Point{}, false
		}
		return readings[last], true
	}
	if k.Interval > 0 {
		best := -1
		for _, j := range []int{after - 1, after} {
			if j < 0 || j >= len(readings) || absDuration(readings[j].Time.Sub(due)) > k.Interval {
				continue
			}
			if best < 0 || absDuration(readings[j].Time.Sub(due)) < absDuration(readings[best].Time.Sub(due)) {
				best = j
			}
		}
		if best >= 0 {
			return readings[best], true
		}
	}
	if after < len(readings) {
		return readings[after], true
	}
	return Point{}, false
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// FromNothing is the series of a count kept by hand as the arithmetic reads
// it: such a count starts from nothing, so where its first recording comes
// after start, it was 0 at start (growth since the start then includes the
// first value recorded). Otherwise readings are returned as they are.
func FromNothing(start time.Time, readings []Point) []Point {
	if len(readings) == 0 || !readings[0].Time.After(start) {
		return readings
	}
	return append([]Point{{Time: start, Value: 0}}, readings...)
}

// handPace is the pace of a count kept by hand, from its readings up to now
// (see Evaluation.DailyGrowth): the change of its step over the PaceWindow
// ending now, from its first reading where that is later, per day, over at
// least a day. Two recordings a second apart are a change over a day, not
// 86,400 changes a day.
func handPace(readings []Point, now time.Time) (float64, bool) {
	if len(readings) == 0 {
		return 0, false
	}
	from := now.Add(-PaceWindow)
	if first := readings[0].Time; first.After(from) {
		from = first
	}
	// The value the step held at from: the last reading at or before it.
	atFrom := readings[sort.Search(len(readings), func(i int) bool { return readings[i].Time.After(from) })-1]
	days := max(now.Sub(from), day).Hours() / 24
	return (readings[len(readings)-1].Value - atFrom.Value) / days, true
}

// pace is the slope, per day, of the least-squares line through the readings
// within PaceWindow of the latest one (at least the last two readings). A
// fit over less than a day is spread over a day: readings minutes apart
// would otherwise turn a count's noise into a pace of thousands a day.
func pace(readings []Point) (float64, bool) {
	n := len(readings)
	if n < 2 {
		return 0, false
	}
	last := readings[n-1].Time
	from := sort.Search(n, func(i int) bool { return last.Sub(readings[i].Time) <= PaceWindow })
	if from > n-2 {
		from = n - 2
	}
	window := readings[from:]
	origin := window[0].Time
	var sx, sy, sxx, sxy float64
	for _, p := range window {
		x := p.Time.Sub(origin).Hours() / 24
		sx += x
		sy += p.Value
		sxx += x * x
		sxy += x * p.Value
	}
	m := float64(len(window))
	den := m*sxx - sx*sx
	if den == 0 {
		return 0, false
	}
	slope := (m*sxy - sx*sy) / den
	if span := window[len(window)-1].Time.Sub(origin); span < day {
		slope *= float64(span) / float64(day)
	}
	return slope, true
}

// upTo returns the readings at or before t.
func upTo(readings []Point, t time.Time) []Point {
	i := sort.Search(len(readings), func(i int) bool { return readings[i].Time.After(t) })
	return readings[:i]
}
