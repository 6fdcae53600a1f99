package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/snapshot"
)

// The cache keeps only what the plan can ask for, and that is enough: at
// every moment, a KPI evaluated over the thinned series (thinned again and
// again as time goes on, as the daemon does) is the KPI evaluated over every
// reading, sparkline included.
func TestThinnedSeriesEvaluateAsTheWholeSeries(t *testing.T) {
	for _, tt := range []struct {
		name, timezone, count, milestones string
		every                             time.Duration // between readings
		gapFrom, gapTo                    int           // days of the plan with no readings
		end                               string        // the plan's last day; 2026-12-31 if ""
		wave                              bool          // values swing around 1000 instead of growing
	}{
		{"six-hourly, UTC, total", "UTC", "total", "[{due: 2026-07-31, target: 1500}, {due: 2026-09-30, target: 4000}, {due: 2026-12-31, target: 9000}]", 6 * time.Hour, 0, 0, "", false},
		{"hourly, Stockholm, growth", "Europe/Stockholm", "growth", "[{due: 2026-08-31, target: 300}, {due: 2026-10-31, target: 900}, {due: 2026-12-31, target: 2000}]", time.Hour, 0, 0, "", false},
		{"three-hourly, New York, a month without readings", "America/New_York", "growth", "[{due: 2026-09-30, target: 500}, {due: 2026-12-31, target: 5000}]", 3 * time.Hour, 70, 101, "", false},
		{"daily, Kolkata, monthly milestones", "Asia/Kolkata", "growth", "", 24 * time.Hour, 0, 0, "", false},
		{"first readings ten days into the plan", "UTC", "growth", "[{due: 2026-07-31, target: 100}, {due: 2026-12-31, target: 900}]", 6 * time.Hour, -30, 10, "", false},
		{"a two-year plan, a 16-day gap between sparkline moments", "UTC", "total", "[{due: 2027-06-30, target: 5000}, {due: 2028-06-30, target: 9000}]", 6 * time.Hour, 300, 316, "2028-06-30", false},
		{"a count that swings around its targets", "Europe/Stockholm", "total", "[{due: 2026-07-31, target: 1000}, {due: 2026-08-31, target: 1001}, {due: 2026-09-30, target: 1002}, {due: 2026-10-31, target: 1003}]", 2 * time.Hour, 0, 0, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			end := tt.end
			if end == "" {
				end = "2026-12-31"
			}
			yml := fmt.Sprintf(`
plan: {name: p, goal: seo, timezone: %s, start: 2026-07-01, end: %s}
channels:
  offline: {type: manual, credentials: {token: t}}
kpis:
  - {name: k, channel: offline, metric: m, count: %s, %s}
`, tt.timezone, end, tt.count, milestones(tt.milestones))
			cfg := loadYAML(t, yml)
			k := cfg.KPIs[0]
			key := seriesKey{k.Channel, k.Account, k.Metric}
			rules := newKeepRules(cfg)
			start := cfg.Plan.StartTime()

			// Readings from three weeks before the plan to its end, with
			// jitter, growing unevenly and falling at times.
			rng := rand.New(rand.NewPCG(1, 2))
			var all []plan.Point
			v := 1000.0
			for at := start.Add(-21 * 24 * time.Hour); at.Before(cfg.Plan.EndTime()); at = at.Add(tt.every) {
				day := int(at.Sub(start).Hours() / 24)
				if day >= tt.gapFrom && day < tt.gapTo {
					continue
				}
				v += rng.Float64()*30 - 12 // followers come and go
				if tt.wave {
					v = 1000 + 40*math.Sin(at.Sub(start).Hours()/7) + rng.Float64()*10
				}
				taken := time.UnixMilli(at.Add(time.Duration(rng.IntN(600)) * time.Second).UnixMilli()) // as the store gives it
				all = append(all, plan.Point{Time: taken, Value: v})
			}

			var kept []sample
			var marks []bool
			next := 0
			for now := start.Add(-7 * 24 * time.Hour); now.Before(cfg.Plan.EndTime().Add(48 * time.Hour)); now = now.Add(5 * time.Hour) {
				for next < len(all) && !all[next].Time.After(now) { // the readings taken by now arrive
					kept = append(kept, sampleOf(all[next].Time, all[next].Value))
					next++
				}
				kept, marks = rules.thin(key, kept, now, marks)
				whole := all[:next]
				want := plan.Evaluate(start, planKPI(k, false, 0), whole, now)
				keptPoints := points(nil, kept)
				got := plan.Evaluate(start, planKPI(k, false, 0), keptPoints, now)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("at %s, from %d of %d readings:\n got %+v\nwant %+v", now, len(kept), len(whole), got, want)
				}
				// The same readings as a count kept by hand, whose pace is
				// measured up to now and whose value at a due time is the
				// last one before it, and as a channel read every six hours,
				// whose value at a due time is the reading nearest it.
				for name, kpi := range map[string]plan.KPI{"kept by hand": planKPI(k, true, 0), "read every six hours": planKPI(k, false, 6*time.Hour)} {
					want := plan.Evaluate(start, kpi, whole, now)
					if got := plan.Evaluate(start, kpi, keptPoints, now); !reflect.DeepEqual(got, want) {
						t.Fatalf("%s, at %s, from %d of %d readings:\n got %+v\nwant %+v", name, now, len(kept), len(whole), got, want)
					}
				}
				if g, w := recent(nil, keptPoints, rules.spark, start, now, want.Reference), recent(nil, whole, rules.spark, start, now, want.Reference); !reflect.DeepEqual(g, w) {
					t.Fatalf("at %s the sparkline differs:\n got %v\nwant %v", now, g, w)
				}
			}
			perDay := int(24 * time.Hour / tt.every)
			if limit := 15*perDay + 2 + 2 + 4 + snapshot.SparkPoints; len(kept) > limit {
				t.Errorf("%d of %d readings kept at the end, want at most %d", len(kept), len(all), limit)
			}
		})
	}
}

func milestones(list string) string {
	if list == "" {
		return "every: month, step: 40"
	}
	return "milestones: " + list
}

// A series no KPI reads keeps its latest reading only; readings after now
// all stay.
func TestThinningASeriesNoKPIReads(t *testing.T) {
	cfg := testConfig(t, "http://127.0.0.1:1")
	rules := newKeepRules(cfg)
	base := time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC)
	var ps []sample
	for i := range 10 {
		ps = append(ps, sampleOf(base.Add(time.Duration(i)*time.Hour), float64(i)))
	}
	got, _ := rules.thin(seriesKey{"youtube", "UC1", "views"}, ps, base.Add(7*time.Hour+time.Minute), nil)
	if len(got) != 3 || got[0].value != 7 || got[2].value != 9 {
		t.Errorf("kept %v", got)
	}
}

// Two configs whose plans need other readings have other fingerprints; a
// reload that changes nothing the plan reads keeps the cache.
func TestKeepRulesFingerprint(t *testing.T) {
	a := testConfig(t, "http://127.0.0.1:1")
	b := testConfig(t, "http://127.0.0.1:1")
	b.Channels["youtube"].Timeout += time.Second
	if newKeepRules(a).fingerprint != newKeepRules(b).fingerprint {
		t.Error("a channel's timeout changed the fingerprint")
	}
	b.KPIs[0].Due[0].Due = b.KPIs[0].Due[0].Due.Add(24 * time.Hour)
	if newKeepRules(a).fingerprint == newKeepRules(b).fingerprint {
		t.Error("another due date kept the fingerprint")
	}
}

// Readings after now (a report --at an earlier moment) all stay, for a KPI's
// series too.
func TestThinningKeepsReadingsAfterNow(t *testing.T) {
	cfg := testConfig(t, "http://127.0.0.1:1")
	rules := newKeepRules(cfg)
	base := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	var ps []sample
	for i := range 100 {
		ps = append(ps, sampleOf(base.Add(time.Duration(i)*24*time.Hour), float64(i)))
	}
	now := base.Add(50*24*time.Hour + time.Hour)
	got, _ := rules.thin(seriesKey{"youtube", "UC1", "subscribers"}, ps, now, nil)
	if n := lastSampleUpTo(got, now) + 1; len(got)-n != 49 {
		t.Errorf("%d readings after now kept, want 49", len(got)-n)
	}
}
