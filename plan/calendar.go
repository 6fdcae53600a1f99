package plan

import (
	"fmt"
	"time"

	"github.com/kpi-collector/kpi-collector/vocab"
)

// StartOfDay is the moment the day y-m-d begins in loc.
func StartOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// EndOfDay is the moment the day y-m-d ends in loc: 24:00, which is the start
// of the next day. Plans say "by the end of July"; a due date means this.
func EndOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
}

// Every is the period of recurring milestones.
type Every = vocab.Every

// The periods recurring milestones may have.
const (
	Monthly   = vocab.Monthly
	Quarterly = vocab.Quarterly
)

// Recurring places a milestone at the end of every month or quarter, in loc,
// from the plan's first day to its last, each step higher than the one before,
// starting from base. Only periods that end by the end of the plan's last day
// get one.
func Recurring(first, last time.Time, every Every, base, step float64, loc *time.Location) ([]Milestone, error) {
	months := 1
	switch every {
	case Monthly:
	case Quarterly:
		months = 3
	default:
		return nil, fmt.Errorf("every must be month or quarter, not %q", every)
	}
	first, last = first.In(loc), last.In(loc)
	planEnd := EndOfDay(last.Year(), last.Month(), last.Day(), loc)
	var out []Milestone
	// The first period end: the end of the month (quarter) holding the first day.
	y, m := first.Year(), first.Month()
	m = time.Month(((int(m)-1)/months+1)*months + 1) // first month after the period
	due := time.Date(y, m, 1, 0, 0, 0, 0, loc)
	target := base
	for !due.After(planEnd) {
		target += step
		out = append(out, Milestone{Due: due, Target: target})
		due = due.AddDate(0, months, 0)
	}
	return out, nil
}
