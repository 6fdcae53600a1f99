package digest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

var stockholm, _ = time.LoadLocation("Europe/Stockholm")

// day is the end of a plan day (a due time).
func dayEnd(y int, m time.Month, d int) time.Time { return time.Date(y, m, d+1, 0, 0, 0, 0, stockholm) }

// testKPI is a KPI of the test plan with its readings.
type testKPI struct {
	name, channel string
	count         vocab.Count
	milestones    []vocab.Milestone
	readings      []plan.Point
}

// testSnapshot evaluates kpis at the moment at in a plan from 2026-07-01 to
// 2026-12-31 in Stockholm, as the engine does.
func testSnapshot(at time.Time, kpis ...testKPI) *snapshot.Snapshot {
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, stockholm)
	s := &snapshot.Snapshot{At: at, Plan: snapshot.PlanInfo{
		Name: "acme-2026-h2", Goal: "brand_awareness", Timezone: "Europe/Stockholm",
		Start: "2026-07-01", End: "2026-12-31", StartTime: start, EndTime: dayEnd(2026, 12, 31),
	}}
	for _, k := range kpis {
		ev := plan.Evaluate(start, plan.KPI{Count: k.count, Tolerance: 0.05, Milestones: k.milestones, Interval: 6 * time.Hour}, k.readings, at)
		s.KPIs = append(s.KPIs, snapshot.KPIState{
			KPI:        &snapshot.KPI{Name: k.name, Channel: k.channel, Account: "acme", Metric: "followers", Count: k.count, Tolerance: 0.05, Milestones: k.milestones},
			Evaluation: ev,
		})
	}
	return s
}

// weekKPIs are three KPIs over a week in September: one on track, one that
// falls behind, one that misses a milestone due 2026-09-15.
func weekKPIs(upTo time.Time) []testKPI {
	var yt, x, blog []plan.Point
	for d := time.Date(2026, 6, 30, 12, 0, 0, 0, stockholm); !d.After(upTo); d = d.Add(24 * time.Hour) {
		days := d.Sub(time.Date(2026, 6, 30, 12, 0, 0, 0, stockholm)).Hours() / 24
		yt = append(yt, plan.Point{Time: d, Value: 1000 + 5*days})
		xv := 200 + 2*days
		if d.After(time.Date(2026, 9, 10, 0, 0, 0, 0, stockholm)) {
			xv = 200 + 2*72 // stalls from 10 September
		}
		x = append(x, plan.Point{Time: d, Value: xv})
		blog = append(blog, plan.Point{Time: d, Value: float64(int(days / 10))})
	}
	return []testKPI{
		{name: "youtube_subscribers", channel: "youtube", count: vocab.Total, readings: yt,
			milestones: []vocab.Milestone{{Due: dayEnd(2026, 9, 30), Target: 1450}, {Due: dayEnd(2026, 12, 31), Target: 1900}}},
		{name: "x_followers", channel: "x", count: vocab.Growth, readings: x,
			milestones: []vocab.Milestone{{Due: dayEnd(2026, 12, 31), Target: 350}}},
		{name: "blog_articles", channel: "blog", count: vocab.Growth, readings: blog,
			milestones: []vocab.Milestone{{Due: dayEnd(2026, 9, 15), Target: 12}, {Due: dayEnd(2026, 9, 22), Target: 20}, {Due: dayEnd(2026, 12, 31), Target: 30}}},
	}
}

// memoryRecords keeps digest records in memory, for unit tests (the daemon
// keeps them in the store; e2e tests use it).
type memoryRecords struct {
	mu sync.Mutex
	m  map[string]record
}

type record struct {
	at       time.Time
	failures int
	state    []byte
}

func (r *memoryRecords) DigestRecord(_ context.Context, name string) (time.Time, int, []byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.m[name]
	return rec.at, rec.failures, rec.state, nil
}

func (r *memoryRecords) SaveDigestRecord(_ context.Context, name string, at time.Time, failures int, state []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]record{}
	}
	r.m[name] = record{at, failures, state}
	return nil
}

// testConfig is a config with one digest of the given webhooks and smtp.
func testConfig(smtp *config.SMTP, hooks ...*config.Webhook) *config.Config {
	return &config.Config{
		Plan: config.Plan{Name: "acme-2026-h2", Timezone: "Europe/Stockholm", Location: stockholm},
		Digests: map[string]*config.Digest{"weekly": {
			Name: "weekly", Schedule: "0 8 * * MON", SMTP: smtp, Webhooks: hooks,
		}},
	}
}

// noSleep records the waits asked for and returns at once.
type noSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (n *noSleep) sleep(_ context.Context, d time.Duration) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.waits = append(n.waits, d)
	return nil
}

func (n *noSleep) String() string { return fmt.Sprint(n.waits) }
