package engine

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/vocab"
)

// Recordings that come while a refresh runs share the next one; a new
// refresh is queued only once that one has started.
func TestRecordingsShareARefresh(t *testing.T) {
	a := newAPI(t)
	e, st := newEngine(t, t.TempDir(), testConfig(t, a.URL), time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC))
	defer st.Close()
	e.refreshOne.Lock() // a refresh is running: the next ones wait for it
	first, second := e.refreshSoon(), e.refreshSoon()
	if first != second {
		t.Error("two recordings while a refresh runs queued two refreshes")
	}
	e.refreshOne.Unlock()
	<-first.done
	third := e.refreshSoon()
	if third == first {
		t.Error("a recording after the refresh started shares it, and may not be read by it")
	}
	<-third.done
}

// A recording is acknowledged once stored, even while publishing cannot
// keep up; the snapshot shows it once the publish comes.
func TestRecordingAcknowledgedOnceStored(t *testing.T) {
	a := newAPI(t)
	e, st := newEngine(t, t.TempDir(), testConfig(t, a.URL), time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC))
	defer st.Close()
	e.refreshOne.Lock() // hold publishing back, as a reload of a large plan would
	m, err := e.Record(context.Background(), vocab.ManualReading{Channel: "offline", Metric: "relationships", Value: 4})
	if err != nil || m.Value != 4 {
		t.Fatalf("Record: %+v, %v", m, err)
	}
	if k := kpi(e.Snapshot(), "relationships"); k.HasValue {
		t.Errorf("the snapshot shows %v before any publish", k.Value)
	}
	if got, ok, err := st.Latest(context.Background(), "offline", "default", "relationships"); err != nil || !ok || got.Value != 4 {
		t.Errorf("stored: %+v %v %v, want 4", got, ok, err)
	}
	e.refreshOne.Unlock()
	call := e.refreshSoon()
	<-call.done
	if k := kpi(e.Snapshot(), "relationships"); !k.HasValue || k.Value != 4 {
		t.Errorf("after the publish the KPI is %+v, want 4", k.Evaluation)
	}
}

// A recording does not wait for a publish that cannot come within the wait:
// after a refresh that took longer (a plan of 100,000 KPIs), it is answered
// once stored. Here the wait is an hour and publishing is held back, so a
// recording that waited would not be answered.
func TestRecordingSkipsAWaitThatCannotEnd(t *testing.T) {
	a := newAPI(t)
	e, st := newEngine(t, t.TempDir(), testConfig(t, a.URL), time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC))
	defer st.Close()
	e.recordWait = time.Hour
	e.lastRefresh.Store(int64(2 * time.Hour))
	e.refreshOne.Lock()
	answered := make(chan error, 1)
	go func() {
		_, err := e.Record(context.Background(), vocab.ManualReading{Channel: "offline", Metric: "relationships", Value: 4})
		answered <- err
	}()
	select {
	case err := <-answered:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the recording waited for a publish that could not come within the wait")
	}
	e.refreshOne.Unlock()
	call := e.refreshSoon()
	<-call.done
	if k := kpi(e.Snapshot(), "relationships"); !k.HasValue || k.Value != 4 {
		t.Errorf("after the publish the KPI is %+v, want 4", k.Evaluation)
	}
}

// A recording for an unknown account of a manual channel with 200,000
// accounts is refused in a line that names a few and the count, not every
// account.
func TestUnknownAccountNamesAFew(t *testing.T) {
	var b strings.Builder
	b.WriteString("plan: {name: p, goal: networking, timezone: UTC, start: 2026-07-01, end: 2026-12-31}\nchannels:\n  offline:\n    type: manual\n    credentials: {token: t}\n    accounts: [")
	for i := range 200_000 {
		fmt.Fprintf(&b, "acc%d,", i)
	}
	b.WriteString("]\nkpis:\n  - {name: rel, channel: offline, account: acc0, metric: relationships, count: growth, milestones: [{due: 2026-07-31, target: 5}]}\n")
	e, st := newEngine(t, t.TempDir(), loadYAML(t, b.String()), time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC))
	defer st.Close()
	_, err := e.Record(context.Background(), vocab.ManualReading{Channel: "offline", Account: "nope", Metric: "relationships", Value: 1})
	want := `account "nope" is not among channel "offline"'s 200000 accounts (acc0, acc1, acc2, … and 199997 more)`
	if err == nil || err.Error() != want {
		t.Errorf("got %.300v\nwant %s", err, want)
	}
}

// Each reload builds the channels' HTTP clients anew; the old ones' idle
// connections are closed, not left to the transport's 90 s idle time-out
// (two goroutines and a descriptor each).
func TestReloadClosesIdleConnections(t *testing.T) {
	a := newAPI(t)
	e, st := newEngine(t, t.TempDir(), testConfig(t, a.URL), time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC))
	defer st.Close()
	ctx := context.Background()
	e.RunChannel(ctx, "blog")
	for range 30 {
		e.ApplyConfig(ctx, testConfig(t, a.URL)) // a config of new pointers: new clients
		e.RunChannel(ctx, "blog")
	}
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	if n := strings.Count(stacks, "net/http.(*persistConn).readLoop"); n > 2 {
		t.Errorf("%d connections of old clients stay open after 30 reloads", n)
	}
}
