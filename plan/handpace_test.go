package plan

import (
	"math"
	"strings"
	"testing"
	"time"
)

// A count kept by hand holds its value until the next recording, from 0 at
// the plan's start. Its pace is the change of that step over the last 14
// days up to now (from the plan's start where that is later), per day, over
// at least a day. Relationships: 10 by the end of August.
func TestPaceOfACountKeptByHand(t *testing.T) {
	relationships := KPI{Count: Growth, Tolerance: 0.05, KeptByHand: true,
		Milestones: []Milestone{{Due: endOf(time.August, 31), Target: 10}}}
	at := func(m time.Month, d, h, min, s int) time.Time { return time.Date(2026, m, d, h, min, s, 0, stockholm) }
	tests := []struct {
		name       string
		recordings []Point // the running count, as `collector record --add` stores it
		now        time.Time
		wantPace   float64
		wantAdvice string
	}{
		{
			name:       "+2 and +1 a second apart on 31 July: 3 in the last 14 days",
			recordings: readings(at(time.July, 31, 12, 0, 0), 2, at(time.July, 31, 12, 0, 1), 3),
			now:        at(time.July, 31, 12, 0, 1),
			wantPace:   3.0 / 14,
			wantAdvice: "at 0.21 a day it reaches 10 on 2026-09-02, 2 days late; 0.22 a day from now meets 2026-08-31",
		},
		{
			name:       "the same two recordings in the plan's first hour: 3 over a day, not over an hour",
			recordings: readings(at(time.July, 1, 0, 30, 0), 2, at(time.July, 1, 0, 30, 1), 3),
			now:        at(time.July, 1, 1, 0, 0),
			wantPace:   3,
			wantAdvice: "at 3 a day it reaches 10 on 2026-07-03, 59 days early; 0.11 a day from now meets 2026-08-31",
		},
		{
			name:       "on 10 July, 4 recorded since the plan's start 9.5 days ago",
			recordings: readings(on(time.July, 3), 1, on(time.July, 9), 4),
			now:        on(time.July, 10),
			wantPace:   4 / 9.5,
			wantAdvice: "at 0.42 a day it reaches 10 on 2026-07-24, 38 days early; 0.11 a day from now meets 2026-08-31",
		},
		{
			name:       "2 on 8 July and 1 on 21 July, seen on 21 July: 3 in the last 14 days",
			recordings: readings(on(time.July, 8), 2, on(time.July, 21), 3),
			now:        on(time.July, 21),
			wantPace:   3.0 / 14,
			wantAdvice: "at 0.21 a day it reaches 10 on 2026-08-23, 8 days early; 0.17 a day from now meets 2026-08-31",
		},
		{
			name:       "the same, seen on 1 August: only the 1 of 21 July is in the last 14 days",
			recordings: readings(on(time.July, 8), 2, on(time.July, 21), 3),
			now:        on(time.August, 1),
			wantPace:   1.0 / 14,
			wantAdvice: "at 0.071 a day it reaches 10 on 2026-11-07, 68 days late; 0.23 a day from now meets 2026-08-31",
		},
		{
			name:       "the same, seen on 5 August: nothing recorded in 14 days is no pace at all",
			recordings: readings(on(time.July, 8), 2, on(time.July, 21), 3),
			now:        on(time.August, 5),
			wantPace:   0,
			wantAdvice: "at its recent pace (0 a day) it does not reach 10; 0.26 a day from now meets 2026-08-31",
		},
		{
			name:       "5 by 2 July, corrected to 3 on 27 July: 2 fewer in the last 14 days",
			recordings: readings(on(time.July, 2), 5, on(time.July, 27), 3),
			now:        on(time.July, 27),
			wantPace:   -2.0 / 14,
			wantAdvice: "at its recent pace (-0.14 a day) it does not reach 10; 0.2 a day from now meets 2026-08-31",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := Evaluate(planStart, relationships, tt.recordings, tt.now)
			if !ev.HasPace || !near(ev.DailyGrowth, tt.wantPace) {
				t.Errorf("pace = %v a day (known %v), want %v", ev.DailyGrowth, ev.HasPace, tt.wantPace)
			}
			if got := Advice(ev, stockholm); got != tt.wantAdvice {
				t.Errorf("advice:\n got %q\nwant %q", got, tt.wantAdvice)
			}
			agree(t, ev, tt.now)
		})
	}
}

// Scheduled channels keep their least-squares fit, with the same one-day
// floor: readings minutes apart give the change spread over a day.
func TestPaceOfAScheduledChannelOverAtLeastADay(t *testing.T) {
	followers := KPI{Count: Total, Baseline: ptr(0), Milestones: []Milestone{{Due: endOf(time.December, 31), Target: 5000}}}
	first := on(time.July, 10)
	tests := []struct {
		name     string
		readings []Point
		wantPace float64
	}{
		{"5 more an hour after the first run: 5 a day, not 120", readings(first, 1000, first.Add(time.Hour), 1005), 5},
		{"6 runs ten minutes apart, 2 more each: 10 in 50 minutes is 10 a day", readings(first, 1000, first.Add(10*time.Minute), 1002, first.Add(20*time.Minute), 1004, first.Add(30*time.Minute), 1006, first.Add(40*time.Minute), 1008, first.Add(50*time.Minute), 1010), 10},
		{"+12 in half a day: 12 a day, not 24", readings(first, 1000, first.Add(12*time.Hour), 1012), 12},
		{"a day apart, +30: 30 a day as before", readings(first, 1000, first.Add(24*time.Hour), 1030), 30},
		{"noisy readings a day apart keep their least-squares line", readings(on(time.July, 8), 10, on(time.July, 9), 14, on(time.July, 10), 16, on(time.July, 11), 20), 3.2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.readings[len(tt.readings)-1].Time
			ev := Evaluate(planStart, followers, tt.readings, now)
			if !ev.HasPace || !near(ev.DailyGrowth, tt.wantPace) {
				t.Errorf("pace = %v a day (known %v), want %v", ev.DailyGrowth, ev.HasPace, tt.wantPace)
			}
			if got, _ := DailyGrowth(tt.readings); !near(got, tt.wantPace) {
				t.Errorf("DailyGrowth = %v, want %v", got, tt.wantPace)
			}
			agree(t, ev, now)
		})
	}
}

// A plan's half year under a clock that moves an hour at a time, a count
// kept by hand recorded now and then (twice a second apart, twice in one
// hour, then not for weeks): at every moment the pace is the last 14 days'
// change over at least a day, so never more a day than the count holds; it
// is 0 once nothing was recorded for 14 days; and the forecast, the reach
// date and the advice agree.
func TestHandPaceOverMonths(t *testing.T) {
	kpi := KPI{Count: Growth, Tolerance: 0.05, KeptByHand: true, Milestones: []Milestone{
		{Due: endOf(time.August, 31), Target: 10}, {Due: endOf(time.October, 31), Target: 20}, {Due: endOf(time.December, 31), Target: 30}}}
	at := func(m time.Month, d, h, min, s int) time.Time { return time.Date(2026, m, d, h, min, s, 0, stockholm) }
	recordings := readings(
		at(time.July, 1, 0, 20, 0), 2, at(time.July, 1, 0, 20, 1), 3, // the first hour of the plan
		at(time.July, 31, 9, 0, 0), 5, at(time.July, 31, 9, 0, 1), 6,
		at(time.August, 4, 15, 0, 0), 7, at(time.August, 4, 15, 30, 0), 9,
		at(time.September, 20, 10, 0, 0), 15, // then nothing until December
		at(time.December, 1, 10, 0, 0), 18,
	)
	end := EndOfDay(2026, time.December, 31, stockholm)
	for now := planStart.Add(30 * time.Minute); now.Before(end); now = now.Add(time.Hour) {
		ev := Evaluate(planStart, kpi, recordings, now)
		if !ev.HasValue {
			continue
		}
		if !ev.HasPace || ev.DailyGrowth < 0 {
			t.Fatalf("%s: pace %v (known %v) of a count that only rises", now, ev.DailyGrowth, ev.HasPace)
		}
		if ev.DailyGrowth > ev.Value {
			t.Fatalf("%s: a pace of %v a day for a count at %v", now, ev.DailyGrowth, ev.Value)
		}
		last := upTo(recordings, now)
		if now.Sub(last[len(last)-1].Time) > PaceWindow && ev.DailyGrowth != 0 {
			t.Fatalf("%s: nothing recorded for 14 days, yet a pace of %v", now, ev.DailyGrowth)
		}
		if later := Evaluate(planStart, kpi, recordings, now.Add(time.Hour)); len(upTo(recordings, now.Add(time.Hour))) == len(last) && later.DailyGrowth > ev.DailyGrowth+1e-9 {
			t.Fatalf("%s: without a recording the pace rose from %v to %v", now, ev.DailyGrowth, later.DailyGrowth)
		}
		agree(t, ev, now)
	}
}

// agree checks that the figures shown for a KPI tell one story: the
// forecast at the due time reaches the target exactly when the reach time
// is by the due time; the advice names the reach day; and nothing is
// reached before now.
func agree(t *testing.T, ev Evaluation, now time.Time) {
	t.Helper()
	if !ev.HasPace || !ev.HasTarget || !ev.Due.After(now) || ev.Value >= ev.Target {
		return
	}
	forecastReaches := ev.Forecast >= ev.Target-1e-9
	reachesByDue := ev.HasReach && !ev.ReachTime.After(ev.Due.Add(time.Second))
	if forecastReaches != reachesByDue {
		t.Errorf("%s: forecast %v for a target of %v, but reach time %v (known %v) for a due time of %v", now, ev.Forecast, ev.Target, ev.ReachTime, ev.HasReach, ev.Due)
	}
	if ev.HasReach {
		if ev.ReachTime.Before(now) {
			t.Errorf("%s: reached at %v, before now", now, ev.ReachTime)
		}
		if day := ev.ReachTime.In(stockholm).Format(time.DateOnly); !strings.Contains(Advice(ev, stockholm), "on "+day) {
			t.Errorf("%s: the advice %q does not name the reach day %s", now, Advice(ev, stockholm), day)
		}
		// Reaching the target takes (target - value) / pace days.
		if want := (ev.Target - ev.Value) / ev.DailyGrowth; math.Abs(ev.ReachTime.Sub(now).Hours()/24-want) > 1e-6 {
			t.Errorf("%s: reached in %v days, want %v", now, ev.ReachTime.Sub(now).Hours()/24, want)
		}
	}
}
