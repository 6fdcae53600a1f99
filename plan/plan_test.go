package plan

import (
	"math"
	"testing"
	"time"
)

var stockholm = mustZone("Europe/Stockholm")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// on is noon of a day in Stockholm: "on 15 July" in the tests below.
func on(m time.Month, d int) time.Time { return time.Date(2026, m, d, 12, 0, 0, 0, stockholm) }

// endOf is the end of a day in Stockholm, the moment a milestone falls due.
func endOf(m time.Month, d int) time.Time { return EndOfDay(2026, m, d, stockholm) }

var planStart = StartOfDay(2026, time.July, 1, stockholm)

func readings(pairs ...any) []Point {
	var out []Point
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, Point{Time: pairs[i].(time.Time), Value: float64(pairs[i+1].(int))})
	}
	return out
}

func ptr(f float64) *float64 { return &f }

// The example plan: 8 blog articles and 5 new relationships by the end of July;
// 3 guest posts and 2 YouTube tutorials by the end of August.
func TestExamplePlan(t *testing.T) {
	byEndOfJuly := func(n float64) []Milestone { return []Milestone{{Due: endOf(time.July, 31), Target: n}} }
	byEndOfAugust := func(n float64) []Milestone { return []Milestone{{Due: endOf(time.August, 31), Target: n}} }

	tests := []struct {
		name         string
		kpi          KPI
		readings     []Point
		at           time.Time
		wantStatus   Status
		wantValue    float64
		wantExpected float64
	}{
		{
			name:         "blog articles: 4 of 8 half way through July is on track",
			kpi:          KPI{Count: Growth, Tolerance: 0.05, Milestones: byEndOfJuly(8)},
			readings:     readings(planStart.Add(-time.Hour), 20, on(time.July, 16), 24),
			at:           planStart.Add(endOf(time.July, 31).Sub(planStart) / 2),
			wantStatus:   OnTrack,
			wantValue:    4,
			wantExpected: 4,
		},
		{
			name:         "blog articles: 1 of 8 half way through July is behind",
			kpi:          KPI{Count: Growth, Tolerance: 0.05, Milestones: byEndOfJuly(8)},
			readings:     readings(planStart.Add(-time.Hour), 20, on(time.July, 16), 21),
			at:           planStart.Add(endOf(time.July, 31).Sub(planStart) / 2),
			wantStatus:   Behind,
			wantValue:    1,
			wantExpected: 4,
		},
		{
			name:         "relationships: 5 of 5 before the end of July is met",
			kpi:          KPI{Count: Growth, Tolerance: 0.05, Milestones: byEndOfJuly(5)},
			readings:     readings(on(time.July, 1), 0, on(time.July, 20), 5),
			at:           on(time.July, 20),
			wantStatus:   Met,
			wantValue:    5,
			wantExpected: 5 * float64(on(time.July, 20).Sub(planStart)) / float64(endOf(time.July, 31).Sub(planStart)),
		},
		{
			name:         "relationships: 3 of 5 when July is over is missed",
			kpi:          KPI{Count: Growth, Tolerance: 0.05, Milestones: byEndOfJuly(5)},
			readings:     readings(on(time.July, 1), 0, on(time.July, 28), 3, on(time.August, 2), 3),
			at:           on(time.August, 2),
			wantStatus:   Missed,
			wantValue:    3,
			wantExpected: 5,
		},
		{
			name:         "guest posts: 2 of 3 in mid-August is ahead",
			kpi:          KPI{Count: Growth, Tolerance: 0.05, Milestones: byEndOfAugust(3)},
			readings:     readings(on(time.July, 1), 0, on(time.August, 1), 2),
			at:           on(time.August, 1),
			wantStatus:   Ahead,
			wantValue:    2,
			wantExpected: 3 * float64(on(time.August, 1).Sub(planStart)) / float64(endOf(time.August, 31).Sub(planStart)),
		},
		{
			name:         "YouTube tutorials: none read yet is no data",
			kpi:          KPI{Count: Growth, Tolerance: 0.05, Milestones: byEndOfAugust(2)},
			readings:     nil,
			at:           on(time.July, 10),
			wantStatus:   NoData,
			wantValue:    0,
			wantExpected: 2 * float64(on(time.July, 10).Sub(planStart)) / float64(endOf(time.August, 31).Sub(planStart)),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := Evaluate(planStart, tt.kpi, tt.readings, tt.at)
			if ev.Status != tt.wantStatus {
				t.Errorf("status = %s, want %s", ev.Status, tt.wantStatus)
			}
			if !near(ev.Value, tt.wantValue) {
				t.Errorf("value = %v, want %v", ev.Value, tt.wantValue)
			}
			if !near(ev.Expected, tt.wantExpected) {
				t.Errorf("expected = %v, want %v", ev.Expected, tt.wantExpected)
			}
		})
	}
}

func TestStatusOrder(t *testing.T) {
	// 100 subscribers at the start, 1200 due by the end of July, 1500 by the end of September.
	kpi := KPI{Count: Total, Tolerance: 0.05, Milestones: []Milestone{
		{Due: endOf(time.July, 31), Target: 1200},
		{Due: endOf(time.September, 30), Target: 1500},
	}}
	tests := []struct {
		name     string
		readings []Point
		at       time.Time
		want     Status
	}{
		{"nothing read", nil, on(time.July, 15), NoData},
		{"a reading after the moment does not count", readings(on(time.July, 20), 5000), on(time.July, 15), NoData},
		{"final target reached early is met", readings(on(time.July, 1), 100, on(time.July, 15), 1500), on(time.July, 15), Met},
		{"July's 1200 not reached by August is missed", readings(on(time.July, 1), 100, on(time.August, 1), 1100), on(time.August, 1), Missed},
		{"July's 1200 reached late is no longer missed", readings(on(time.July, 1), 100, on(time.August, 1), 1100, on(time.August, 3), 1250), on(time.August, 3), OnTrack},
		{"July's milestone without a reading after it is not judged yet", readings(on(time.July, 1), 100, on(time.July, 30), 1000), on(time.August, 5), Behind},
		{"within tolerance is on track", readings(on(time.July, 1), 100, on(time.July, 16), 640), on(time.July, 16), OnTrack},
		{"more than 5% over is ahead", readings(on(time.July, 1), 100, on(time.July, 16), 800), on(time.July, 16), Ahead},
		{"more than 5% under is behind", readings(on(time.July, 1), 100, on(time.July, 16), 500), on(time.July, 16), Behind},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Evaluate(planStart, kpi, tt.readings, tt.at).Status; got != tt.want {
				t.Errorf("status = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestMissedNamesTheMilestone(t *testing.T) {
	kpi := KPI{Count: Growth, Milestones: []Milestone{
		{Due: endOf(time.July, 31), Target: 8},
		{Due: endOf(time.August, 31), Target: 16},
	}}
	ev := Evaluate(planStart, kpi, readings(on(time.July, 1), 0, on(time.August, 1), 6, on(time.September, 2), 10), on(time.September, 2))
	if ev.Status != Missed || ev.MissedMilestone == nil || ev.MissedMilestone.Target != 16 {
		t.Fatalf("got %s, milestone %+v; want missed, the August milestone (July's 8 is reached since)", ev.Status, ev.MissedMilestone)
	}
}

func TestValueAndReference(t *testing.T) {
	tests := []struct {
		name      string
		count     Count
		readings  []Point
		wantValue float64
	}{
		{"total is the latest reading", Total, readings(on(time.June, 1), 900, on(time.July, 10), 1000), 1000},
		{"growth counts from the last reading before the start", Growth, readings(on(time.June, 1), 900, on(time.June, 30), 950, on(time.July, 10), 1000), 50},
		{"growth counts from a reading exactly at the start", Growth, readings(planStart, 940, on(time.July, 10), 1000), 60},
		{"plan started before the first reading: growth counts from the first reading", Growth, readings(on(time.July, 5), 700, on(time.July, 10), 760), 60},
		{"a falling count gives negative growth", Growth, readings(on(time.June, 30), 500, on(time.July, 10), 480), -20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := Evaluate(planStart, KPI{Count: tt.count}, tt.readings, on(time.July, 10))
			if !ev.HasValue || ev.Value != tt.wantValue {
				t.Errorf("value = %v (known %v), want %v", ev.Value, ev.HasValue, tt.wantValue)
			}
		})
	}
}

func TestGlidePath(t *testing.T) {
	ms := []Milestone{{Due: endOf(time.July, 31), Target: 1200}, {Due: endOf(time.September, 30), Target: 1500}}
	julyEnd, septEnd := endOf(time.July, 31), endOf(time.September, 30)
	tests := []struct {
		name string
		at   time.Time
		want float64
	}{
		{"before the start: the baseline", planStart.Add(-day), 1000},
		{"at the start: the baseline", planStart, 1000},
		{"half way to July's due time", planStart.Add(julyEnd.Sub(planStart) / 2), 1100},
		{"at July's due time: its target", julyEnd, 1200},
		{"half way from July to September", julyEnd.Add(septEnd.Sub(julyEnd) / 2), 1350},
		{"after the last milestone: flat at its target", septEnd.Add(30 * day), 1500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Expected(planStart, 1000, ms, tt.at); !near(got, tt.want) {
				t.Errorf("expected = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBaseline(t *testing.T) {
	ms := []Milestone{{Due: endOf(time.July, 31), Target: 1200}}
	mid := planStart.Add(endOf(time.July, 31).Sub(planStart) / 2)
	rs := readings(on(time.June, 30), 1000, mid, 1100)
	tests := []struct {
		name string
		kpi  KPI
		want float64
	}{
		{"total starts from the reference reading", KPI{Count: Total, Milestones: ms}, 1100},
		{"an explicit baseline wins", KPI{Count: Total, Baseline: ptr(800), Milestones: ms}, 1000},
		{"growth starts from zero", KPI{Count: Growth, Milestones: ms}, 600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Evaluate(planStart, tt.kpi, rs, mid).Expected; !near(got, tt.want) {
				t.Errorf("expected = %v, want %v", got, tt.want)
			}
		})
	}
}

// Sweden moves its clocks forward on 29 March 2026 and back on 25 October
// 2026: due dates are whole days in the plan's zone, whatever the offset.
func TestDueDatesAcrossDST(t *testing.T) {
	start := StartOfDay(2026, time.March, 1, stockholm)
	due := EndOfDay(2026, time.March, 31, stockholm)
	if got, want := due.UTC(), time.Date(2026, time.March, 31, 22, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("end of 31 March in Stockholm = %v, want %v (CEST)", got, want)
	}
	if got, want := start.UTC(), time.Date(2026, time.February, 28, 23, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("start of 1 March in Stockholm = %v, want %v (CET)", got, want)
	}
	// March has one hour less: 743 hours from start to due.
	if h := due.Sub(start).Hours(); h != 743 {
		t.Fatalf("March 2026 in Stockholm lasts %v hours, want 743", h)
	}
	ms := []Milestone{{Due: due, Target: 743}}
	kpi := KPI{Count: Growth, Milestones: ms}
	tests := []struct {
		name string
		at   time.Time
		want float64
	}{
		{"one hour before the due time, in summer time", due.Add(-time.Hour), 742},
		{"the due time itself", due, 743},
		{"one second before midnight local time is not yet due", due.Add(-time.Second), 743 - 1.0/3600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Evaluate(start, kpi, nil, tt.at).Expected; !near(got, tt.want) {
				t.Errorf("expected = %v, want %v", got, tt.want)
			}
		})
	}
	// A reading at 23:30 local time on 31 March is before the due time.
	ev := Evaluate(start, kpi, readings(start, 0, time.Date(2026, 3, 31, 23, 30, 0, 0, stockholm), 700), due.Add(time.Hour))
	if ev.Status == Missed {
		t.Error("a reading before local midnight must not judge the milestone")
	}
	// Autumn: 25 October has 25 hours.
	if h := EndOfDay(2026, time.October, 25, stockholm).Sub(StartOfDay(2026, time.October, 25, stockholm)).Hours(); h != 25 {
		t.Errorf("25 October 2026 in Stockholm lasts %v hours, want 25", h)
	}
}

func TestPaceAndForecast(t *testing.T) {
	ms := []Milestone{{Due: endOf(time.July, 31), Target: 300}}
	now := on(time.July, 11)
	tests := []struct {
		name         string
		readings     []Point
		wantPace     bool
		wantDaily    float64
		wantForecast float64
	}{
		{"one reading gives no pace", readings(on(time.July, 10), 100), false, 0, 0},
		{"ten a day for ten days", readings(on(time.July, 1), 0, on(time.July, 6), 50, on(time.July, 11), 100), true, 10, 100 + 10*endOf(time.July, 31).Sub(now).Hours()/24},
		{"only the last fourteen days count", readings(on(time.June, 1), 0, on(time.June, 2), 1000, on(time.July, 1), 1000, on(time.July, 11), 1000), true, 0, 1000},
		{"noisy readings fit a least-squares line", readings(on(time.July, 8), 10, on(time.July, 9), 14, on(time.July, 10), 16, on(time.July, 11), 20), true, 3.2, 20 + 3.2*endOf(time.July, 31).Sub(now).Hours()/24},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := Evaluate(planStart, KPI{Count: Total, Baseline: ptr(0), Milestones: ms}, tt.readings, now)
			if ev.HasPace != tt.wantPace {
				t.Fatalf("has pace = %v, want %v", ev.HasPace, tt.wantPace)
			}
			if !near(ev.DailyGrowth, tt.wantDaily) || !near(ev.Forecast, tt.wantForecast) {
				t.Errorf("pace %v/day forecast %v, want %v/day forecast %v", ev.DailyGrowth, ev.Forecast, tt.wantDaily, tt.wantForecast)
			}
		})
	}
}

func TestRequiredDailyGrowthAndNextMilestone(t *testing.T) {
	ms := []Milestone{{Due: endOf(time.July, 31), Target: 100}, {Due: endOf(time.August, 31), Target: 400}}
	now := endOf(time.July, 21) // ten days before the end of July
	ev := Evaluate(planStart, KPI{Count: Growth, Milestones: ms}, readings(planStart, 0, now, 50), now)
	if ev.Target != 100 || !ev.Due.Equal(endOf(time.July, 31)) {
		t.Fatalf("next milestone = %v by %v, want 100 by the end of July", ev.Target, ev.Due)
	}
	if !ev.HasRequired || !near(ev.RequiredDailyGrowth, 5) {
		t.Errorf("required = %v/day, want 5 (50 more in 10 days)", ev.RequiredDailyGrowth)
	}
	after := Evaluate(planStart, KPI{Count: Growth, Milestones: ms}, readings(planStart, 0, now, 50), endOf(time.September, 5))
	if after.Target != 400 || after.HasRequired {
		t.Errorf("once all are due: target %v (want the last, 400), required known %v (want false)", after.Target, after.HasRequired)
	}
}

func TestProgress(t *testing.T) {
	ms := []Milestone{{Due: endOf(time.July, 31), Target: 100}}
	mid := planStart.Add(endOf(time.July, 31).Sub(planStart) / 2)
	ev := Evaluate(planStart, KPI{Count: Growth, Milestones: ms}, readings(planStart, 0, mid, 25), mid)
	if !ev.HasProgress || !near(ev.Progress, 0.5) {
		t.Errorf("progress = %v, want 0.5 (25 of an expected 50)", ev.Progress)
	}
	atStart := Evaluate(planStart, KPI{Count: Growth, Milestones: ms}, readings(planStart, 0), planStart)
	if atStart.HasProgress {
		t.Error("progress against an expected 0 must be unknown, not a number")
	}
}

func TestRecurring(t *testing.T) {
	tests := []struct {
		name       string
		first      time.Time
		last       time.Time
		every      Every
		wantDues   []time.Time
		wantTarget []float64
	}{
		{
			name: "monthly from July to December", first: planStart, last: StartOfDay(2026, time.December, 31, stockholm), every: Monthly,
			wantDues:   []time.Time{endOf(time.July, 31), endOf(time.August, 31), endOf(time.September, 30), endOf(time.October, 31), endOf(time.November, 30), endOf(time.December, 31)},
			wantTarget: []float64{50, 100, 150, 200, 250, 300},
		},
		{
			name: "quarterly from mid-August to December", first: on(time.August, 15), last: StartOfDay(2026, time.December, 31, stockholm), every: Quarterly,
			wantDues:   []time.Time{endOf(time.September, 30), endOf(time.December, 31)},
			wantTarget: []float64{50, 100},
		},
		{
			name: "a plan ending mid-month has no milestone for the part month", first: planStart, last: on(time.September, 15), every: Monthly,
			wantDues:   []time.Time{endOf(time.July, 31), endOf(time.August, 31)},
			wantTarget: []float64{50, 100},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Recurring(tt.first, tt.last, tt.every, 0, 50, stockholm)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.wantDues) {
				t.Fatalf("got %d milestones %v, want %d", len(got), got, len(tt.wantDues))
			}
			for i, m := range got {
				if !m.Due.Equal(tt.wantDues[i]) || m.Target != tt.wantTarget[i] {
					t.Errorf("milestone %d = %v by %v, want %v by %v", i, m.Target, m.Due, tt.wantTarget[i], tt.wantDues[i])
				}
			}
		})
	}
	if _, err := Recurring(planStart, planStart, "week", 0, 1, stockholm); err == nil {
		t.Error("every: week must be refused")
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6*math.Max(1, math.Abs(b)) }

// Derived figures never go infinite: readings at the edge of what a float
// holds give unknowns, not ±Inf or NaN.
func TestNoInfiniteFigures(t *testing.T) {
	byDecember := []Milestone{{Due: endOf(time.December, 31), Target: 5}}
	tests := []struct {
		name     string
		kpi      KPI
		readings []Point
	}{
		{"growth between two huge readings of opposite sign", KPI{Count: Growth, Milestones: byDecember},
			[]Point{{planStart, -1e308}, {on(time.July, 2), 1e308}}},
		{"a pace through huge readings", KPI{Count: Total, Baseline: ptr(0), Milestones: byDecember},
			[]Point{{on(time.July, 2), 1e308}, {on(time.July, 3), 1.7e308}, {on(time.July, 4), -1.7e308}}},
		{"progress against a tiny expected value", KPI{Count: Total, Baseline: ptr(0), Milestones: []Milestone{{Due: endOf(time.December, 31), Target: 5e-324}}},
			[]Point{{on(time.July, 2), 1e308}}},
	}
	for _, tt := range tests {
		ev := Evaluate(planStart, tt.kpi, tt.readings, on(time.July, 5))
		for name, v := range map[string]float64{"value": ev.Value, "expected": ev.Expected, "progress": ev.Progress, "pace": ev.DailyGrowth, "forecast": ev.Forecast, "required": ev.RequiredDailyGrowth} {
			if math.IsInf(v, 0) || math.IsNaN(v) {
				t.Errorf("%s: %s is %v (%+v)", tt.name, name, v, ev)
			}
		}
	}
}

// A milestone is judged on what was known at its due time: for a count kept
// by hand, the last value recorded by then; for a scheduled channel, the
// reading nearest the due time within one collection interval, else the first
// after it.
func TestMissedJudgesTheValueAtTheDueTime(t *testing.T) {
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, stockholm) }
	fiveByJuly := []Milestone{{Due: endOf(time.July, 31), Target: 5}, {Due: endOf(time.December, 31), Target: 20}}
	manual := KPI{Count: Growth, Tolerance: 0.05, KeptByHand: true, Milestones: fiveByJuly}
	scheduled := KPI{Count: Total, Tolerance: 0.05, Baseline: ptr(0), Interval: 6 * time.Hour, Milestones: fiveByJuly}
	// DST ends in Stockholm on 25 October 2026: that day has 25 hours.
	october := []Milestone{{Due: endOf(time.October, 25), Target: 5}, {Due: endOf(time.December, 31), Target: 20}}
	hourly := KPI{Count: Total, Tolerance: 0.05, Baseline: ptr(0), Interval: time.Hour, Milestones: october}
	tests := []struct {
		name     string
		kpi      KPI
		readings []Point
		at       time.Time
		want     Status
	}{
		{"by hand: 4 recorded on 31 July at 23:00, nothing since: missed on 5 August",
			manual, readings(planStart, 0, at(time.July, 31, 23, 0), 4), on(time.August, 5), Missed},
		{"by hand: missed as soon as the due time passes",
			manual, readings(planStart, 0, at(time.July, 31, 23, 0), 4), at(time.August, 1, 0, 1), Missed},
		{"by hand: 5 recorded by 23:59 is not missed",
			manual, readings(planStart, 0, at(time.July, 31, 23, 59), 5), on(time.August, 2), OnTrack},
		{"by hand: a value recorded after the due time does not count for it, but meeting the target since clears it",
			manual, readings(planStart, 0, at(time.July, 31, 23, 0), 4, at(time.August, 2, 9, 0), 6), on(time.August, 5), Ahead},
		{"scheduled: a reading 3 hours before the due time, within the 6-hour interval, stands for it",
			scheduled, readings(at(time.July, 31, 21, 0), 4), at(time.August, 1, 1, 0), Missed},
		{"scheduled: a reading 12 hours before, outside the interval, does not; nothing after: not judged yet",
			scheduled, readings(at(time.July, 31, 12, 0), 4), at(time.August, 1, 1, 0), Behind},
		{"scheduled: of one before and one after, the nearer counts",
			scheduled, readings(at(time.July, 31, 21, 0), 4, at(time.August, 1, 1, 0), 5), at(time.August, 2, 0, 0), OnTrack},
		{"scheduled: with none within the interval, the first reading after counts",
			scheduled, readings(at(time.July, 30, 12, 0), 6, at(time.August, 3, 12, 0), 4), at(time.August, 3, 12, 0), Missed},
		{"across DST's end: 23:30 on the 25-hour day is within an hour of its end",
			hourly, readings(at(time.October, 25, 23, 30), 4), at(time.October, 26, 0, 30), Missed},
		{"across DST's end: 22:30 on that day is two hours before its end, not one",
			hourly, readings(at(time.October, 25, 22, 30), 4), at(time.October, 26, 0, 30), Behind},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Evaluate(planStart, tt.kpi, tt.readings, tt.at).Status; got != tt.want {
				t.Errorf("status = %s, want %s", got, tt.want)
			}
		})
	}
}

// The "adjust" step: when the recent pace reaches the next target, and the
// pace that meets it, in one sentence a marketer reads.
func TestAdvice(t *testing.T) {
	byDecember := []Milestone{{Due: endOf(time.December, 31), Target: 50}}
	kpi := KPI{Count: Growth, Tolerance: 0.05, Milestones: byDecember}
	tests := []struct {
		name     string
		readings []Point
		at       time.Time
		want     string
		reach    bool
	}{
		{"too slow: late", readings(planStart, 0, on(time.November, 1), 20, on(time.November, 11), 22), on(time.November, 11),
			"at 0.2 a day it reaches 50 on 2027-03-31, 90 days late; 0.55 a day from now meets 2026-12-31", true},
		{"fast enough: early", readings(planStart, 0, on(time.November, 1), 20, on(time.November, 11), 40), on(time.November, 11),
			"at 2 a day it reaches 50 on 2026-11-16, 45 days early; 0.2 a day from now meets 2026-12-31", true},
		{"no growth: never", readings(planStart, 0, on(time.November, 1), 20, on(time.November, 11), 20), on(time.November, 11),
			"at its recent pace (0 a day) it does not reach 50; 0.59 a day from now meets 2026-12-31", false},
		{"met: nothing to say", readings(planStart, 0, on(time.November, 11), 60), on(time.November, 11), "", false},
	}
	for _, tt := range tests {
		ev := Evaluate(planStart, kpi, tt.readings, tt.at)
		if got := Advice(ev, stockholm); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
		if ev.HasReach != tt.reach {
			t.Errorf("%s: HasReach %v, want %v", tt.name, ev.HasReach, tt.reach)
		}
	}
}
