package store

import (
	"context"
	"testing"
	"time"
)

// A rolling window's reading is dated at the window's end, days before the
// run: read again by the next run, it replaces the value for that moment
// instead of adding a second one; a newer window end adds a reading.
func TestDatedReadingsReplaceTheSameMoment(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	end := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	runs := []struct {
		at    time.Time
		end   time.Time
		value float64
	}{
		{time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC), end, 4120},
		{time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), end, 4125}, // the same window, revised
		{time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC), end.AddDate(0, 0, 1), 4180},
	}
	for _, r := range runs {
		run := Run{Channel: "sc", Time: r.at, Success: true, Readings: []Reading{
			{Account: "sc-domain:example.com", Metric: "clicks", Time: r.end, Value: r.value},
			{Account: "sc-domain:example.com", Metric: "undated", Value: 1},
		}}
		if err := s.SaveRun(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := s.Readings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var clicks, undated []Reading
	for _, r := range rs {
		switch r.Metric {
		case "clicks":
			clicks = append(clicks, r)
		case "undated":
			undated = append(undated, r)
		}
	}
	if len(clicks) != 2 || !clicks[0].Time.Equal(end) || clicks[0].Value != 4125 || !clicks[1].Time.Equal(end.AddDate(0, 0, 1)) || clicks[1].Value != 4180 {
		t.Errorf("clicks = %+v, want 4125 at %v and 4180 a day later", clicks, end)
	}
	if len(undated) != 3 || !undated[0].Time.Equal(runs[0].at) {
		t.Errorf("undated = %+v, want one a run, at the run's time", undated)
	}
}
