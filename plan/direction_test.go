package plan

import (
	"strings"
	"testing"
	"time"
)

// points is readings with fractional values: an average search position.
func points(pairs ...any) []Point {
	var out []Point
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, Point{Time: pairs[i].(time.Time), Value: pairs[i+1].(float64)})
	}
	return out
}

// The SEO plan: the blog's average position in Google from 14 at the start
// of July to 11 by the end of September and 8 by the end of December. Lower
// is better, so the glide path runs down.
var blogPosition = KPI{Count: Total, Direction: Down, Tolerance: 0.05, Baseline: ptr(14), Milestones: []Milestone{
	{Due: endOf(time.September, 30), Target: 11},
	{Due: endOf(time.December, 31), Target: 8},
}}

func TestLowerIsBetter(t *testing.T) {
	// Mid-August the glide path expects about 12.5 (14 - 3 × 45.5/92).
	midAugust := on(time.August, 15)
	expectedMidAugust := 14 - 3*float64(midAugust.Sub(planStart))/float64(endOf(time.September, 30).Sub(planStart))
	tests := []struct {
		name     string
		readings []Point
		at       time.Time
		want     Status
	}{
		{"position 12.5 in mid-August is on track", points(on(time.July, 1), 14.0, midAugust, 12.5), midAugust, OnTrack},
		{"position 14 in mid-August is behind: above the path", points(on(time.July, 1), 14.0, midAugust, 14.0), midAugust, Behind},
		{"position 11.5 in mid-August is ahead: below the path", points(on(time.July, 1), 14.0, midAugust, 11.5), midAugust, Ahead},
		{"position 11.6 when September is over misses September's 11", points(on(time.July, 1), 14.0, on(time.October, 1), 11.6), on(time.October, 1), Missed},
		{"position 10.9 in October: September's 11 reached late, no longer missed", points(on(time.July, 1), 14.0, on(time.October, 1), 11.6, on(time.October, 3), 10.9), on(time.October, 3), OnTrack},
		{"position 11 exactly at the end of September is not missed", points(on(time.July, 1), 14.0, endOf(time.September, 30), 11.0), on(time.October, 1), OnTrack},
		{"position 7.9 in November reaches the final 8: met", points(on(time.July, 1), 14.0, on(time.November, 2), 7.9), on(time.November, 2), Met},
		{"position 8.5 when the year is over misses December's 8", points(on(time.July, 1), 14.0, on(time.December, 31), 8.5, time.Date(2027, time.January, 1, 12, 0, 0, 0, stockholm), 8.5), time.Date(2027, time.January, 1, 12, 0, 0, 0, stockholm), Missed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := Evaluate(planStart, blogPosition, tt.readings, tt.at)
			if ev.Status != tt.want {
				t.Errorf("status = %s, want %s (value %v, expected %v)", ev.Status, tt.want, ev.Value, ev.Expected)
			}
		})
	}
	if ev := Evaluate(planStart, blogPosition, nil, midAugust); !near(ev.Expected, expectedMidAugust) {
		t.Errorf("expected mid-August = %v, want %v", ev.Expected, expectedMidAugust)
	}
}

func TestLowerIsBetterPaces(t *testing.T) {
	// From 14 on 1 August to 12.6 on 15 August: down 0.1 a day.
	got := Evaluate(planStart, blogPosition, points(on(time.August, 1), 14.0, on(time.August, 15), 12.6), on(time.August, 15))
	if !got.HasPace || !near(got.DailyGrowth, -0.1) {
		t.Fatalf("daily growth = %v (has %v), want -0.1", got.DailyGrowth, got.HasPace)
	}
	// 12.6 to 11 in the 46.5 days to the end of September: a fall of 1.6/46.5 a day.
	days := endOf(time.September, 30).Sub(on(time.August, 15)).Hours() / 24
	if !got.HasRequired || !near(got.RequiredDailyGrowth, -1.6/days) {
		t.Errorf("required daily growth = %v, want %v (a fall)", got.RequiredDailyGrowth, -1.6/days)
	}
	// At 0.1 a day down it reaches 11 in 16 days, on 31 August: in time.
	if !got.HasReach || got.ReachTime.Sub(on(time.August, 31)).Abs() > time.Second {
		t.Errorf("reach = %v (has %v), want %v", got.ReachTime, got.HasReach, on(time.August, 31))
	}
	if !got.HasProgress || !near(got.Progress, got.Expected/12.6) || got.Progress >= 1 {
		t.Errorf("progress = %v, want expected/value = %v, under 1 (behind the path)", got.Progress, got.Expected/12.6)
	}
	advice := Advice(got, stockholm)
	if !strings.Contains(advice, "at -0.1 a day it reaches 11 on 2026-08-31") {
		t.Errorf("advice = %q", advice)
	}

	// Rising (worse) never reaches a lower target.
	worse := Evaluate(planStart, blogPosition, points(on(time.August, 1), 12.0, on(time.August, 15), 13.4), on(time.August, 15))
	if worse.HasReach {
		t.Errorf("a rising position reaches %v, want no date", worse.ReachTime)
	}
	if !strings.Contains(Advice(worse, stockholm), "does not reach 11") {
		t.Errorf("advice = %q", Advice(worse, stockholm))
	}

	// Below the next target already: no pace required, no advice.
	early := Evaluate(planStart, blogPosition, points(on(time.August, 1), 12.0, on(time.August, 15), 10.5), on(time.August, 15))
	if !early.HasRequired || early.RequiredDailyGrowth != 0 {
		t.Errorf("required = %v, want 0 once the next target is reached", early.RequiredDailyGrowth)
	}
	if a := Advice(early, stockholm); a != "" {
		t.Errorf("advice = %q, want none", a)
	}
}

func TestHigherIsBetterByDefault(t *testing.T) {
	// The same readings read up (no Direction): 14 in mid-August against a
	// path from 14 toward 11 is above it, which for an up KPI is ahead.
	up := blogPosition
	up.Direction = ""
	ev := Evaluate(planStart, up, points(on(time.July, 1), 14.0, on(time.August, 15), 14.0), on(time.August, 15))
	if ev.Status != Met {
		t.Errorf("status = %s, want met (14 ≥ the final 8 when higher is better)", ev.Status)
	}
}
