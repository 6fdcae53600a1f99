package plan

import (
	"testing"
	"time"
)

// Share of voice: our 2,000 followers against two rivals' 5,000 and 3,000
// is 20%; the plan wants 25% by the end of September.
var shareOfVoice = KPI{Count: Total, Tolerance: 0.05, Baseline: ptr(0.20), Milestones: []Milestone{{Due: endOf(time.September, 30), Target: 0.25}}}

func TestShareOfVoice(t *testing.T) {
	weeks := func(from float64, step float64, n int) []Point {
		var out []Point
		for i := range n {
			out = append(out, Point{Time: on(time.July, 1).AddDate(0, 0, 7*i), Value: from + step*float64(i)})
		}
		return out
	}
	own := weeks(2000, 100, 14)    // 2,000 to 3,300 by the end of September
	rivalA := weeks(5000, 50, 14)  // 5,000 to 5,650
	rivalB := weeks(3000, 20, 14)  // 3,000 to 3,260
	slowOwn := weeks(2000, 20, 14) // 2,000 to 2,260
	tests := []struct {
		name      string
		own       []Point
		rivals    [][]Point
		at        time.Time
		wantShare float64
		want      Status
	}{
		{"20% on 1 July is where the plan starts", own[:1], [][]Point{rivalA[:1], rivalB[:1]}, on(time.July, 1), 0.20, OnTrack},
		{"growing faster than the field: 2,600 of 11,020 in mid-August is ahead", own[:7], [][]Point{rivalA[:7], rivalB[:7]}, on(time.August, 12), 2600.0 / (2600 + 5300 + 3120), Ahead},
		{"25% reached on 30 September is met", own, [][]Point{rivalA, rivalB}, on(time.September, 30), 3300.0 / (3300 + 5650 + 3260), Met},
		{"growing as slowly as the field misses September's 25%", append(slowOwn, Point{on(time.October, 1), 2260}), [][]Point{rivalA, rivalB}, on(time.October, 1), 2260.0 / (2260 + 5650 + 3260), Missed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			series := Versus(Share, tt.own, tt.rivals, 0)
			ev := Evaluate(planStart, shareOfVoice, series, tt.at)
			if !near(ev.Value, tt.wantShare) || ev.Status != tt.want {
				t.Errorf("share %v (%s), want %v (%s)", ev.Value, ev.Status, tt.wantShare, tt.want)
			}
		})
	}
}

// A moment at which a rival was not read (its API failed) has no share: it
// is unknown, not computed from the other rival.
func TestVersusWithoutARival(t *testing.T) {
	own := []Point{{on(time.July, 1), 2000}, {on(time.July, 8), 2100}, {on(time.July, 15), 2200}}
	rivalA := []Point{{on(time.July, 1), 5000}, {on(time.July, 8), 5050}, {on(time.July, 15), 5100}}
	rivalB := []Point{{on(time.July, 1), 3000}, {on(time.July, 15), 3040}} // failed on 8 July
	got := Versus(Share, own, [][]Point{rivalA, rivalB}, 24*time.Hour)
	if len(got) != 2 || !got[0].Time.Equal(on(time.July, 1)) || !got[1].Time.Equal(on(time.July, 15)) {
		t.Errorf("shares at %v, want 1 and 15 July only", got)
	}
	if got := Versus(Share, own, [][]Point{rivalA, nil}, 0); len(got) != 0 {
		t.Errorf("a rival never read gave shares %v, want none", got)
	}
	if got := Versus(Share, own, nil, 0); got != nil {
		t.Errorf("no rivals gave %v", got)
	}
}

func TestLeadAndPace(t *testing.T) {
	own := []Point{{on(time.July, 1), 2000}, {on(time.July, 8), 2140}, {on(time.July, 15), 2280}}    // 20 a day
	rivalA := []Point{{on(time.July, 1), 5000}, {on(time.July, 8), 5070}, {on(time.July, 15), 5140}} // 10 a day
	rivalB := []Point{{on(time.July, 1), 3000}, {on(time.July, 8), 3035}, {on(time.July, 15), 3070}} // 5 a day
	rivalC := []Point{{on(time.July, 1), 900}, {on(time.July, 8), 1040}, {on(time.July, 15), 1180}}  // 20 a day
	lead := Versus(Lead, own, [][]Point{rivalA, rivalB}, 0)
	if len(lead) != 3 || lead[2].Value != 2280-5140 {
		t.Errorf("lead = %v, want %v at the end (behind the best rival)", lead, 2280-5140)
	}
	// Paces need two readings: none on 1 July. On 15 July, 20 a day against
	// the median of 10, 5 and 20 (10) is twice the field's pace.
	paceRatio := Versus(Pace, own, [][]Point{rivalA, rivalB, rivalC}, 0)
	if len(paceRatio) != 2 || !near(paceRatio[1].Value, 2) {
		t.Errorf("pace ratio = %v, want 2 on 15 July", paceRatio)
	}
	// A field that does not grow gives no ratio.
	flat := []Point{{on(time.July, 1), 5000}, {on(time.July, 8), 5000}, {on(time.July, 15), 5000}}
	if got := Versus(Pace, own, [][]Point{flat}, 0); len(got) != 0 {
		t.Errorf("pace against a flat field = %v, want none", got)
	}
}

// Engagement rate is a level: 2.1% of followers engaging per post in July,
// 3% wanted by the end of September.
func TestEngagementRate(t *testing.T) {
	kpi := KPI{Count: Total, Tolerance: 0.05, Baseline: ptr(0.021), Milestones: []Milestone{{Due: endOf(time.September, 30), Target: 0.03}}}
	rates := func(vs ...float64) []Point {
		var out []Point
		for i, v := range vs {
			out = append(out, Point{Time: on(time.July, 1).AddDate(0, 0, 14*i), Value: v})
		}
		return out
	}
	tests := []struct {
		name     string
		readings []Point
		at       time.Time
		want     Status
	}{
		{"2.6% at the end of August is on track", rates(0.021, 0.022, 0.023, 0.025, 0.026), on(time.August, 26), OnTrack},
		{"a rate that dips to 1.9% is behind", rates(0.021, 0.022, 0.020, 0.019), on(time.August, 12), Behind},
		{"3.1% in September is met", rates(0.021, 0.024, 0.027, 0.029, 0.031), on(time.August, 26), Met},
		{"2.8% when September is over misses 3%", append(rates(0.021, 0.024, 0.026, 0.027, 0.027, 0.028, 0.028), Point{on(time.October, 1), 0.028}), on(time.October, 1), Missed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ev := Evaluate(planStart, kpi, tt.readings, tt.at); ev.Status != tt.want {
				t.Errorf("status %s (value %v, expected %v), want %s", ev.Status, ev.Value, ev.Expected, tt.want)
			}
		})
	}
}
