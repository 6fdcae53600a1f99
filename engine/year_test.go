// The race detector instruments the whole of SQLite (modernc.org/sqlite is
// Go): the year's 11,600 runs took 5 minutes of CPU under -race, 26 s
// without. CI runs this file without -race (.ci/run, make test).

//go:build !race

package engine

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/store"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// yearPlan is a twelve-month plan in Stockholm with a milestone at the end
// of every month, on the fake's growing accounts: YouTube every 6 hours
// (about 5 a day against 150 a month: on track), Bluesky hourly (2 a day
// against 80 a month: behind, then missed), a weekly blog (4 a month, a
// little ahead) and relationships recorded by hand once a week (5 a month:
// behind).
func yearPlan(api string) string {
	milestones := func(step int, base int) string {
		var ms []string
		for m := 1; m <= 12; m++ {
			end := time.Date(2026, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC)
			ms = append(ms, fmt.Sprintf("{due: %s, target: %d}", end.Format(time.DateOnly), base+step*m))
		}
		return "[" + strings.Join(ms, ", ") + "]"
	}
	return fmt.Sprintf(`plan: {name: a-year, goal: brand_awareness, timezone: Europe/Stockholm, start: 2026-01-01, end: 2026-12-31}
channels:
  youtube:
    type: youtube
    schedule: "@every 6h"
    api_url: %[1]s
    credentials: {api_key: %[2]s}
    accounts: [UCgrow5]
  bluesky:
    type: bluesky
    schedule: "@hourly"
    api_url: %[1]s
    accounts: [did:plc:grow2]
  blog:
    type: feed
    schedule: "@daily"
    accounts: [%[1]s/feed/weekly.xml]
  offline:
    type: manual
    credentials: {token: year-token}
kpis:
  - {name: subscribers, channel: youtube, metric: subscribers, milestones: %[3]s}
  - {name: followers, channel: bluesky, metric: followers, count: growth, milestones: %[4]s}
  - {name: articles, channel: blog, metric: posts, count: growth, milestones: %[5]s}
  - {name: relationships, channel: offline, metric: relationships, count: growth, milestones: %[6]s}
`, api, fakeapi.YouTubeKey, milestones(150, 5000), milestones(80, 0), milestones(4, 0), milestones(5, 0))
}

// point is a reading as the test saw it served or recorded.
type point struct {
	t time.Time
	v float64
}

// model works out a KPI's value and status from the readings alone, as
// DESIGN's plan arithmetic says, independently of the plan package.
type model struct {
	growth   bool
	interval time.Duration // 0 for a manual channel
	readings []point
	dues     []time.Time // each milestone's due moment (the end of its day)
	targets  []float64
}

func (m *model) reference(start time.Time) float64 {
	if !m.growth {
		return 0
	}
	if m.interval == 0 && m.readings[0].t.After(start) {
		return 0 // a count kept by hand starts from nothing
	}
	ref := m.readings[0].v
	for _, p := range m.readings {
		if p.t.After(start) {
			break
		}
		ref = p.v
	}
	return ref
}

// at is the KPI's value at t (ok false before any reading).
func (m *model) at(t time.Time, start time.Time) (float64, bool) {
	i := sortSearch(m.readings, t)
	if i < 0 {
		return 0, false
	}
	return m.readings[i].v - m.reference(start), true
}

// sortSearch is the index of the last reading at or before t, or -1.
func sortSearch(ps []point, t time.Time) int {
	i, _ := slices.BinarySearchFunc(ps, t, func(p point, t time.Time) int {
		if p.t.After(t) {
			return 1
		}
		return -1
	})
	return i - 1
}

// atDue is the value a milestone is judged by: for a manual channel the last
// recorded at or before the due moment; for a scheduled one the reading
// nearest it within one interval on either side, else the first after.
func (m *model) atDue(due, start time.Time) float64 {
	ref := m.reference(start)
	if m.interval == 0 {
		i := sortSearch(m.readings, due)
		if i < 0 {
			return 0
		}
		return m.readings[i].v - ref
	}
	best, found := point{}, false
	for _, p := range m.readings {
		d := p.t.Sub(due).Abs()
		if d <= m.interval && (!found || d < best.t.Sub(due).Abs()) {
			best, found = p, true
		}
	}
	if !found {
		for _, p := range m.readings {
			if p.t.After(due) {
				return p.v - ref
			}
		}
	}
	return best.v - ref
}

func (m *model) status(now, start time.Time) (float64, plan.Status) {
	v, ok := m.at(now, start)
	if !ok {
		return 0, plan.NoData
	}
	if v >= m.targets[len(m.targets)-1] {
		return v, plan.Met
	}
	for i, due := range m.dues {
		if due.Before(now) && m.atDue(due, start) < m.targets[i] && v < m.targets[i] {
			return v, plan.Missed
		}
	}
	baseline := m.reference(start)
	if m.growth {
		baseline = 0
	}
	expected := m.targets[len(m.targets)-1]
	from, fromV := start, baseline
	for i, due := range m.dues {
		if !now.After(due) {
			expected = fromV + (m.targets[i]-fromV)*float64(now.Sub(from))/float64(due.Sub(from))
			break
		}
		from, fromV = due, m.targets[i]
	}
	switch {
	case v < expected*(1-0.05):
		return v, plan.Behind
	case v > expected*(1+0.05):
		return v, plan.Ahead
	}
	return v, plan.OnTrack
}

// A year and a month of the engine under an injected clock: the real
// store, plan and publish, the channels run on their cron schedules as the
// Scheduler parses them, against the fakes; a restart every month (one onto
// a store of the previous layout, migrated), retention thinning, both DST
// changes, a day of YouTube outage. At every due date each KPI's value and
// status equal what the readings served work out to; no channel's last
// success is older than two intervals but around the outage.
func TestAYearUnderASimulatedClock(t *testing.T) {
	if testing.Short() {
		t.Skip("a simulated year")
	}
	ctx := context.Background()
	api := fakeapi.New()
	defer api.Close()
	cfg := loadYAML(t, yearPlan(api.URL))
	loc := cfg.Plan.Location
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
	end := start.AddDate(0, 0, 400)
	now := start
	// The engine reads the clock from goroutines of its own (a recording's
	// publish), so the test's moves of it are published atomically.
	var clock atomic.Int64
	clock.Store(now.UnixNano())
	simNow := func() time.Time { return time.Unix(0, clock.Load()).In(loc) }
	api.SetClock(simNow)
	dir := t.TempDir()

	var logs bytes.Buffer
	var e *Engine
	var st *store.Store
	open := func() {
		t.Helper()
		var err error
		st, err = store.OpenWith(dir, store.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		e = New(st, cfg, collectors.Types(), quiet)
		e.SetClock(simNow)
		if err := e.Load(ctx); err != nil {
			t.Fatal(err)
		}
	}
	closeStore := func() {
		t.Helper()
		if err := e.WriteCheckpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		// A process that restarts loses its connections; in this one, the
		// old engine's idle connections to the fakes would keep it alive.
		api.CloseClientConnections()
	}
	open()
	defer func() {
		if st != nil {
			st.Close()
		}
	}()

	// The schedules as the Scheduler reads them: cron's standard parser, in
	// the plan's zone; every channel runs at start, then on its schedule.
	schedules := map[string]cron.Schedule{}
	next := map[string]time.Time{}
	for name, ch := range cfg.Channels {
		if ch.Type == "manual" {
			continue
		}
		s, err := cron.ParseStandard(ch.Schedule)
		if err != nil {
			t.Fatal(err)
		}
		schedules[name] = s
	}
	startRuns := func() {
		for name := range schedules {
			next[name] = now
		}
	}
	startRuns()

	// Everything the test keeps is allocated for the whole run up front,
	// so that the heap compared between months is the engine's and the
	// store's.
	days := int(end.Sub(start).Hours()/24) + 2
	models := map[string]*model{
		"subscribers":   {interval: 6 * time.Hour, readings: make([]point, 0, 4*days+16)},
		"followers":     {growth: true, interval: time.Hour, readings: make([]point, 0, 24*days+16)},
		"articles":      {growth: true, interval: 24 * time.Hour, readings: make([]point, 0, days+16)},
		"relationships": {growth: true, readings: make([]point, 0, days/7+2)},
	}
	for _, k := range cfg.KPIs {
		for _, ms := range k.Milestones {
			models[k.Name].dues = append(models[k.Name].dues, ms.Due.End(loc))
			models[k.Name].targets = append(models[k.Name].targets, ms.Target)
		}
	}
	feedRuns := make([]time.Time, 0, days+16)
	relationships := 0.0

	outageFrom := time.Date(2026, 5, 12, 0, 0, 0, 0, time.UTC)
	outageTo := outageFrom.Add(24 * time.Hour)
	migratedAt := time.Date(2026, 7, 1, 3, 17, 0, 0, loc)
	// The heap after a collection, every day at 04:00 in the plan's second
	// and twelfth months, summed to compare their means.
	var heapMonth2, heapMonth12 [2]uint64
	dueIndex := 0
	dueChecks := 0
	lastPrune := now
	restartMonth := 1

	for now.Before(end) {
		// The next event: a run, a recording, a restart, a due date or the
		// next hour's checks.
		step := now.Truncate(time.Hour).Add(time.Hour)
		for _, t := range next {
			if t.Before(step) {
				step = t
			}
		}
		if dueIndex < 12 {
			if d := models["subscribers"].dues[dueIndex].Add(-time.Second); d.Before(step) && !d.Before(now) {
				step = d
			}
		}
		now = step
		clock.Store(now.UnixNano())

		if now.After(outageFrom) && now.Before(outageTo) {
			api.Fail(fakeapi.YouTube, "server")
		} else {
			api.Fail(fakeapi.YouTube, "")
		}
		for _, name := range slices.Sorted(func(yield func(string) bool) {
			for n := range next {
				if !yield(n) {
					return
				}
			}
		}) {
			if next[name].After(now) {
				continue
			}
			rep := e.RunChannel(ctx, name)
			inOutage := name == "youtube" && now.After(outageFrom) && now.Before(outageTo)
			if rep.OK() == inOutage {
				t.Fatalf("%s: the run of %s at %s: ok %v, errors %v", now, name, now, rep.OK(), rep.Errors)
			}
			if name == "blog" && rep.OK() {
				feedRuns = append(feedRuns, now)
			}
			next[name] = schedules[name].Next(now.In(loc))
		}
		for _, s := range api.TakeServed() {
			name := "followers"
			if s.API == fakeapi.YouTube {
				name = "subscribers"
			}
			models[name].readings = append(models[name].readings, point{s.Time, float64(s.Value)})
		}
		// A relationship recorded by hand every Monday at 10:00.
		if local := now.In(loc); local.Weekday() == time.Monday && local.Hour() == 10 && local.Minute() == 0 && local.Second() == 0 {
			if _, err := e.Record(ctx, vocab.ManualReading{Channel: "offline", Metric: "relationships", Value: 1, Add: true}); err != nil {
				t.Fatal(err)
			}
			relationships++
			models["relationships"].readings = append(models["relationships"].readings, point{now, relationships})
		}
		// Retention, every six hours as the daemon prunes.
		if now.Sub(lastPrune) >= 6*time.Hour {
			if _, err := e.Prune(ctx, 400*24*time.Hour); err != nil {
				t.Fatal(err)
			}
			lastPrune = now
		}

		// The blog's posts: a post a week, each counted once a run saw it.
		models["articles"].readings = models["articles"].readings[:0]
		for _, run := range feedRuns {
			n := 0.0
			for i := 0; ; i++ {
				pub := fakeapi.GrowthEpoch.Add(time.Duration(i)*7*24*time.Hour + 9*time.Hour)
				if pub.After(run) {
					break
				}
				if !pub.Before(start) {
					n++
				}
			}
			models["articles"].readings = append(models["articles"].readings, point{run, n})
		}

		if dueIndex < 12 && now.Equal(models["subscribers"].dues[dueIndex].Add(-time.Second)) {
			snap := e.Snapshot()
			for _, k := range snap.KPIs {
				m := models[k.Name]
				wantV, wantS := m.status(now, start)
				if len(m.readings) == 0 {
					wantV, wantS = 0, plan.NoData
				}
				if k.Status != wantS || (wantS != plan.NoData && math.Abs(k.Value-wantV) > 1e-9) {
					t.Errorf("%s, due %s: %s is %v %s, the readings served say %v %s", now, m.dues[dueIndex].Format(time.DateOnly), k.Name, k.Value, k.Status, wantV, wantS)
				}
				dueChecks++
			}
			dueIndex++
		}

		// Every channel's last success within two of its intervals, but
		// YouTube's around the outage.
		if now.Minute() == 0 && now.Second() == 0 {
			for _, c := range e.Snapshot().Channels {
				if !c.Scheduled || (c.Name == "youtube" && !now.Before(outageFrom) && now.Before(outageTo.Add(12*time.Hour))) {
					continue
				}
				if age := now.Sub(c.LastSuccess); age > 2*c.Interval {
					t.Fatalf("%s: %s last succeeded %s ago, more than two intervals (%s)", now, c.Name, age, c.Interval)
				}
			}
		}

		if local := now.In(loc); local.Hour() == 4 && local.Minute() == 0 && local.Second() == 0 && local.Year() == 2026 {
			switch local.Month() {
			case time.February:
				heapMonth2[0] += heapNow()
				heapMonth2[1]++
			case time.December:
				heapMonth12[0] += heapNow()
				heapMonth12[1]++
			}
		}

		// A restart at the start of every month, 03:17: the store closed and
		// opened again, the channels run at once and then on schedule. In
		// July the store is put back to the previous layout first (as
		// v0.1.0 left it), and the open migrates it.
		if local := now.In(loc); local.Day() == 1 && local.Hour() == 3 && local.Minute() == 0 && local.Second() == 0 && local.Month() != time.Month(restartMonth) {
			restartMonth = int(local.Month())
			now = now.Add(17 * time.Minute)
			clock.Store(now.UnixNano())
			closeStore()
			if now.Equal(migratedAt) {
				db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, store.FileName))
				if err != nil {
					t.Fatal(err)
				}
				// v0.1.0's tables only, stamped as it left them: the
				// tables later layouts add are dropped.
				for _, q := range []string{"DROP TABLE IF EXISTS channel_tokens", "DROP TABLE IF EXISTS credential_checks", "DROP TABLE IF EXISTS digests", "PRAGMA user_version = 0"} {
					if _, err := db.Exec(q); err != nil {
						t.Fatal(err)
					}
				}
				db.Close()
			}
			open()
			startRuns()
		}
	}
	if dueChecks != 12*4 {
		t.Errorf("%d checks at due dates, want %d", dueChecks, 12*4)
	}
	if !strings.Contains(logs.String(), "migrated the store's layout") {
		t.Error("the restart onto the previous layout did not migrate it")
	}
	if v, err := st.Version(ctx); err != nil || v != store.Layout() {
		t.Errorf("the store's layout at the end: %d (%v)", v, err)
	}
	if heapMonth2[1] == 0 || heapMonth12[1] == 0 {
		t.Fatal("the heap was not measured in months 2 and 12")
	}
	mean2, mean12 := heapMonth2[0]/heapMonth2[1], heapMonth12[0]/heapMonth12[1]
	t.Logf("the heap: %d B in month 2, %d B in month 12 (means of a daily measure)", mean2, mean12)
	if float64(mean12) > 1.1*float64(mean2) {
		t.Errorf("the heap grew from %d B in month 2 to %d B in month 12, more than 10%%", mean2, mean12)
	}
	st.Close()
	fi, err := os.Stat(filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	// README ("Scaling"): the store of a small plan stays under 256 KB
	// over a year.
	if limit := int64(256 << 10); fi.Size() > limit {
		t.Errorf("the store takes %d bytes after a year, more than README's %d", fi.Size(), limit)
	}
	t.Logf("the store: %d bytes", fi.Size())
}

// heapNow is the live heap after a collection.
func heapNow() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
