package e2e

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/engine"
	"github.com/kpi-collector/kpi-collector/metrics"
	"github.com/kpi-collector/kpi-collector/report"
	"github.com/kpi-collector/kpi-collector/store"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// A count kept by hand over a plan's half year, recorded as people do: now,
// without a time, sometimes twice a second apart, sometimes not for weeks.
// The clock moves six hours at a time; at every step what /metrics says
// (kpi_daily_growth, kpi_forecast_value, kpi_forecast_reach_timestamp_seconds)
// and what the report advises tell one story, and the pace is never more a
// day than the count holds.
func TestHandKeptCountOverAPlan(t *testing.T) {
	const plan = `
plan: {name: relationships, goal: networking, timezone: Europe/Stockholm, start: 2026-07-01, end: 2026-12-31}
channels:
  offline: {type: manual}
kpis:
  - name: new_relationships
    channel: offline
    metric: relationships
    count: growth
    milestones: [{due: 2026-08-31, target: 10}, {due: 2026-10-31, target: 20}, {due: 2026-12-31, target: 30}]
`
	cfg, err := config.Load("relationships.yml", []byte(plan), collectors.Types(), config.WithoutSecrets())
	if err != nil {
		t.Fatal(err)
	}
	loc := cfg.Plan.Location
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var now time.Time
	e := engine.New(st, cfg, collectors.Types(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	e.SetClock(func() time.Time { return now })
	now = cfg.Plan.StartTime()
	ctx := context.Background()
	if err := e.Load(ctx); err != nil {
		t.Fatal(err)
	}
	// The adds, by day of the plan (July 1 is day 0) and hour.
	adds := map[[2]int][]float64{
		{0, 4}: {2, 1}, {30, 10}: {2, 1}, {34, 16}: {1, 2}, {81, 9}: {6}, {153, 14}: {3}, {170, 11}: {1, 1, 1},
	}
	want := 0.0
	for _, ns := range adds {
		for _, n := range ns {
			want += n
		}
	}
	labels := map[string]string{"kpi": "new_relationships"}
	var lastRecording time.Time
	total := 0.0
	for now.Before(cfg.Plan.EndTime()) {
		day := int(now.Sub(cfg.Plan.StartTime()).Hours() / 24)
		for hour := range 6 {
			for _, n := range adds[[2]int{day, now.In(loc).Hour() + hour}] {
				at := now.Add(time.Duration(hour) * time.Hour)
				e.SetClock(func() time.Time { return at })
				if _, err := e.Record(ctx, vocab.ManualReading{Channel: "offline", Metric: "relationships", Value: n, Add: true}); err != nil {
					t.Fatal(err)
				}
				total += n
				lastRecording = at
				at = at.Add(time.Second) // the next add comes a second later
			}
		}
		now = now.Add(6 * time.Hour)
		e.SetClock(func() time.Time { return now })
		if err := e.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		text, err := testutil.CollectAndFormat(metrics.NewExporter(e.Snapshot), expfmt.TypeTextPlain,
			"kpi_value", "kpi_daily_growth", "kpi_forecast_value", "kpi_forecast_reach_timestamp_seconds", "kpi_target_value", "kpi_target_due_timestamp_seconds")
		if err != nil {
			t.Fatal(err)
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		mfs, err := parser.TextToMetricFamilies(bytes.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		count, hasValue := value(mfs, "kpi_value", labels)
		if !hasValue {
			if total > 0 {
				t.Fatalf("%s: no kpi_value after %v recorded", now, total)
			}
			continue
		}
		pace, _ := value(mfs, "kpi_daily_growth", labels)
		forecast, _ := value(mfs, "kpi_forecast_value", labels)
		target, _ := value(mfs, "kpi_target_value", labels)
		dueSeconds, _ := value(mfs, "kpi_target_due_timestamp_seconds", labels)
		reachSeconds, hasReach := value(mfs, "kpi_forecast_reach_timestamp_seconds", labels)
		due := time.Unix(int64(dueSeconds), 0)
		if count != total || pace < 0 || pace > count {
			t.Fatalf("%s: %v recorded, kpi_value %v, kpi_daily_growth %v", now, total, count, pace)
		}
		if now.Sub(lastRecording) >= 14*24*time.Hour && pace != 0 {
			t.Fatalf("%s: nothing recorded since %s, yet kpi_daily_growth %v", now, lastRecording, pace)
		}
		if count >= target || !due.After(now) {
			continue
		}
		if want := count + pace*due.Sub(now).Hours()/24; math.Abs(forecast-want) > 1e-6 {
			t.Fatalf("%s: kpi_forecast_value %v, want %v (%v + %v a day to %s)", now, forecast, want, count, pace, due)
		}
		if hasReach != (pace > 0) {
			t.Fatalf("%s: a reach time (%v) with a pace of %v", now, hasReach, pace)
		}
		var advice string
		for _, r := range report.Build(e.Snapshot()).KPIs {
			advice = r.Advice
		}
		if !hasReach {
			if !strings.HasPrefix(advice, "at its recent pace (0 a day) it does not reach") {
				t.Fatalf("%s: no reach time, but the advice %q", now, advice)
			}
			continue
		}
		reach := time.Unix(0, int64(reachSeconds*1e9))
		if days := (target - count) / pace; math.Abs(reach.Sub(now).Hours()/24-days) > 1e-3 {
			t.Fatalf("%s: kpi_forecast_reach_timestamp_seconds is %.2f days ahead; %v more at %v a day takes %.2f", now, reach.Sub(now).Hours()/24, target-count, pace, days)
		}
		if (forecast >= target) != !reach.After(due) {
			t.Fatalf("%s: forecast %v of %v by %s, but reached at %s", now, forecast, target, due, reach)
		}
		if day := reach.In(loc).Format(time.DateOnly); !strings.Contains(advice, " on "+day+",") {
			t.Fatalf("%s: reached at %s, but the advice says %q", now, reach.In(loc), advice)
		}
	}
	if total != want {
		t.Errorf("%v recorded of the %v planned", total, want)
	}
}
