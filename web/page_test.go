package web

import (
	"testing"

	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// The status page's bar fills toward the next target in the KPI's
// direction: a position from 14 toward 11 at 12.7 is 43% of the way.
func TestBarFollowsTheDirection(t *testing.T) {
	up := snapshot.KPIState{Evaluation: plan.Evaluation{Target: 1200, Baseline: 1000}}
	down := snapshot.KPIState{Evaluation: plan.Evaluation{Direction: vocab.Down, Target: 11, Baseline: 14}}
	tests := []struct {
		name string
		k    snapshot.KPIState
		v    float64
		want string
	}{
		{"up: 600 of 1,200", up, 600, "50.0"},
		{"up: past the target is full", up, 1500, "100.0"},
		{"down: 12.7 on the way from 14 to 11", down, 12.7, "43.3"},
		{"down: at the baseline is empty", down, 14, "0.0"},
		{"down: worse than the baseline is empty", down, 15.2, "0.0"},
		{"down: below the target is full", down, 10.4, "100.0"},
		{"a target equal to the start", snapshot.KPIState{Evaluation: plan.Evaluation{Direction: vocab.Down, Target: 14, Baseline: 14}}, 12, "0"},
	}
	for _, tt := range tests {
		if got := toward(tt.k, tt.v); got != tt.want {
			t.Errorf("%s: width %s, want %s", tt.name, got, tt.want)
		}
	}
}
