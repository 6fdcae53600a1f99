package chart

import (
	"time"

	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// Chart is what one KPI's chart shows. FromKPI fills it from a snapshot;
// callers may also fill it themselves (every field is read, none kept).
type Chart struct {
	// Name is the KPI's name, the chart's accessible title.
	Name string
	// Metric names the values (the hover text says "42 followers").
	Metric string
	// Loc is the time zone of the axis and of every date shown.
	Loc *time.Location
	// From and To are the time axis: the plan's start and end.
	From, To time.Time
	// At is now: today's line, and where the forecast starts.
	At time.Time
	// Status colors the forecast and names the chart's state.
	Status vocab.Status
	// Values are the KPI's values (readings counted as its count says),
	// ascending by time.
	Values []plan.Point
	// Step draws the values as a step line that holds each value until the
	// next one and up to At: a count kept by hand changes only when someone
	// records it.
	Step bool
	// Glide is the plan's glide path, from the baseline at From through each
	// milestone, flat after the last.
	Glide []plan.Point
	// Milestones are the KPI's milestones with how each went.
	Milestones []Milestone
	// HasForecast says whether the forecast is known: the value projected
	// from (At, Value) to (Due, Forecast) at the recent pace.
	HasForecast bool
	Value       float64
	Due         time.Time
	Forecast    float64
}

// Milestone is a target marked on the chart.
type Milestone struct {
	Due    time.Time
	Target float64
	State  MilestoneState
}

// MilestoneState is how a milestone went, or that it is still ahead.
type MilestoneState string

// The milestone states.
const (
	// Reached: the value has reached the target.
	Reached MilestoneState = "reached"
	// Missed: the due time passed with the value under the target, and the
	// target is still not reached.
	Missed MilestoneState = "missed"
	// Next: the next milestone, not yet due.
	Next MilestoneState = "next"
	// Later: a milestone after the next one.
	Later MilestoneState = "later"
	// Open: due, not reached, and the value at its due time not known yet.
	Open MilestoneState = "open"
)

// FromKPI is the chart of one KPI of a snapshot: p is the snapshot's plan,
// at its moment (snapshot.At).
func FromKPI(p snapshot.PlanInfo, k snapshot.KPIState, at time.Time) Chart {
	loc := p.StartTime.Location()
	c := Chart{
		Name: k.Name, Metric: k.Metric, Loc: loc,
		From: p.StartTime, To: p.EndTime, At: at,
		Status: k.Status,
		Values: k.Recent.Points(),
		Step:   k.Manual,
	}
	c.Glide = append(c.Glide, plan.Point{Time: p.StartTime, Value: k.Baseline})
	for _, m := range k.Milestones {
		c.Glide = append(c.Glide, plan.Point{Time: m.Due, Value: m.Target})
	}
	if last := c.Glide[len(c.Glide)-1]; last.Time.Before(p.EndTime) {
		c.Glide = append(c.Glide, plan.Point{Time: p.EndTime, Value: last.Value})
	}
	down := k.Direction == vocab.Down
	reached := func(v, target float64) bool {
		if down {
			return v <= target
		}
		return v >= target
	}
	kpi := plan.KPI{Direction: k.Direction, KeptByHand: k.Manual}
	next := true
	for _, m := range k.Milestones {
		mark := Milestone{Due: m.Due, Target: m.Target}
		switch {
		case m.Due.After(at) && next:
			mark.State, next = Next, false
		case m.Due.After(at):
			mark.State = Later
		case k.HasValue && reached(k.Value, m.Target):
			mark.State = Reached
		case k.MissedMilestone != nil && m.Due.Equal(k.MissedMilestone.Due):
			// The plan judged the earliest missed one from every reading.
			mark.State = Missed
		default:
			// Judged from the values the snapshot keeps, by the plan's
			// rule for which value stands for the due time.
			mark.State = Open
			if v, ok := plan.ValueAtDue(kpi, upTo(c.Values, at), m.Due); ok {
				mark.State = Missed
				if reached(v.Value, m.Target) {
					mark.State = Reached
				}
			}
		}
		c.Milestones = append(c.Milestones, mark)
	}
	if k.HasValue && k.HasPace && k.HasTarget && k.Due.After(at) {
		c.HasForecast, c.Value, c.Due, c.Forecast = true, k.Value, k.Due, k.Forecast
	}
	return c
}

func upTo(ps []plan.Point, t time.Time) []plan.Point {
	n := 0
	for n < len(ps) && !ps[n].Time.After(t) {
		n++
	}
	return ps[:n]
}
