package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/store"
	"github.com/kpi-collector/kpi-collector/vocab"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// api is a small fake of the YouTube channels.list and a blog feed whose
// answers a test can change between runs.
type api struct {
	*httptest.Server
	subscribers atomic.Int64
	failing     atomic.Bool
	feedItems   atomic.Value // string: the <item>s of the feed
}

func newAPI(t *testing.T) *api {
	a := &api{}
	a.feedItems.Store("")
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.failing.Load() {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"error":{"code":403,"message":"quota","errors":[{"message":"quota","domain":"youtube.quota","reason":"quotaExceeded"}]}}`)
			return
		}
		switch r.URL.Path {
		case "/youtube/v3/channels":
			fmt.Fprintf(w, `{"items":[{"id":"UC1","statistics":{"viewCount":"500","subscriberCount":"%d","hiddenSubscriberCount":false,"videoCount":"7"}}]}`, a.subscribers.Load())
		case "/feed.xml":
			fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>b</title>%s</channel></rss>`, a.feedItems.Load())
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(a.Close)
	return a
}

func item(id string, published time.Time) string {
	return fmt.Sprintf("<item><guid>%s</guid><pubDate>%s</pubDate></item>", id, published.UTC().Format(time.RFC1123Z))
}

func testConfig(t *testing.T, apiURL string) *config.Config {
	t.Helper()
	yml := fmt.Sprintf(`
plan: {name: p, goal: seo, timezone: UTC, start: 2026-07-01, end: 2026-12-31}
channels:
  youtube:
    type: youtube
    api_url: %[1]s
    credentials: {api_key: k}
    accounts: [UC1]
    quota: 3
  blog:
    type: feed
    accounts: [%[1]s/feed.xml]
  offline:
    type: manual
    credentials: {token: t}
kpis:
  - {name: subs, channel: youtube, metric: subscribers, count: total, milestones: [{due: 2026-07-31, target: 1200}]}
  - {name: articles, channel: blog, metric: posts, count: growth, milestones: [{due: 2026-07-31, target: 8}]}
  - {name: relationships, channel: offline, metric: relationships, count: growth, milestones: [{due: 2026-07-31, target: 5}]}
`, apiURL)
	return loadYAML(t, yml)
}

// loadYAML loads a test plan or fails the test.
func loadYAML(t *testing.T, yml string) *config.Config {
	t.Helper()
	cfg, err := config.Load("test.yml", []byte(yml), collectors.Types())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func newEngine(t *testing.T, dir string, cfg *config.Config, now time.Time) (*Engine, *store.Store) {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := New(st, cfg, collectors.Types(), quiet)
	e.SetClock(func() time.Time { return now })
	if err := e.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e, st
}

func kpi(s *snapshot.Snapshot, name string) snapshot.KPIState {
	for _, k := range s.KPIs {
		if k.Name == name {
			return k
		}
	}
	panic("no KPI " + name)
}

func channel(s *snapshot.Snapshot, name string) snapshot.ChannelState {
	for _, c := range s.Channels {
		if c.Name == name {
			return c
		}
	}
	panic("no channel " + name)
}

// A failed run writes nothing and drops nothing: the last good value stays,
// with its time, and the failure is counted; a restart serves it at once.
func TestLastGoodValueSurvivesFailureAndRestart(t *testing.T) {
	a := newAPI(t)
	dir := t.TempDir()
	cfg := testConfig(t, a.URL)
	now := time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC)
	e, st := newEngine(t, dir, cfg, now)

	a.subscribers.Store(1100)
	if rep := e.RunChannel(context.Background(), "youtube"); !rep.OK() {
		t.Fatalf("first run failed: %+v", rep.Errors)
	}
	subs := kpi(e.Snapshot(), "subs")
	if subs.Value != 1100 || !subs.LastObservation.Equal(now) || !channel(e.Snapshot(), "youtube").Success {
		t.Fatalf("after a good run: %+v", subs)
	}

	a.failing.Store(true)
	e.SetClock(func() time.Time { return now.Add(time.Hour) })
	if rep := e.RunChannel(context.Background(), "youtube"); rep.OK() || rep.Errors[0].Reason != vocab.Quota {
		t.Fatalf("the failing run: %+v", rep.Errors)
	}
	snap := e.Snapshot()
	subs = kpi(snap, "subs")
	yt := channel(snap, "youtube")
	if subs.Value != 1100 || !subs.LastObservation.Equal(now) {
		t.Errorf("after a failed run the value is %v read at %v; want 1100 read at %v", subs.Value, subs.LastObservation, now)
	}
	if yt.Success || yt.Errors[vocab.Quota] != 1 || !yt.LastSuccess.Equal(now) {
		t.Errorf("channel health after a failure: %+v", yt)
	}
	st.Close()

	// Restart with the API still failing: the stored value is served before any run.
	e2, st2 := newEngine(t, dir, cfg, now.Add(2*time.Hour))
	defer st2.Close()
	snap = e2.Snapshot()
	if k := kpi(snap, "subs"); !k.HasValue || k.Value != 1100 {
		t.Errorf("after a restart: %+v", k)
	}
	if c := channel(snap, "youtube"); c.Success || !c.Ran || !c.LastSuccess.Equal(now) {
		t.Errorf("channel health after a restart: %+v", c)
	}
}

// Feed posts are counted from the ledger: items that scroll out still count,
// and growth counts items by their own publication dates.
func TestFeedLedger(t *testing.T) {
	a := newAPI(t)
	cfg := testConfig(t, a.URL)
	now := time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC)
	e, st := newEngine(t, t.TempDir(), cfg, now)
	defer st.Close()
	june := time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC)
	july := func(d int) time.Time { return time.Date(2026, 7, d, 9, 0, 0, 0, time.UTC) }

	a.feedItems.Store(item("old", june) + item("a", july(2)) + item("b", july(5)))
	if rep := e.RunChannel(context.Background(), "blog"); !rep.OK() {
		t.Fatal(rep.Errors)
	}
	if k := kpi(e.Snapshot(), "articles"); k.Value != 2 {
		t.Errorf("growth with one June and two July posts = %v, want 2", k.Value)
	}
	// The feed now shows only the newest: a and b scrolled out, c is new.
	a.feedItems.Store(item("c", july(10)))
	e.SetClock(func() time.Time { return now.Add(time.Hour) })
	if rep := e.RunChannel(context.Background(), "blog"); !rep.OK() {
		t.Fatal(rep.Errors)
	}
	k := kpi(e.Snapshot(), "articles")
	if k.Value != 3 || !k.LastObservation.Equal(now.Add(time.Hour)) {
		t.Errorf("after items scrolled out: value %v at %v, want 3 at the last read", k.Value, k.LastObservation)
	}
	var posts float64
	for av, v := range e.Snapshot().Accounts.All() {
		if av.Channel == "blog" {
			posts = v
		}
	}
	if posts != 4 {
		t.Errorf("kpi_account_value posts = %v, want 4 (every item known)", posts)
	}
}

// The daily budget is checked before a run and persisted across restarts.
func TestQuotaBudget(t *testing.T) {
	a := newAPI(t)
	dir := t.TempDir()
	cfg := testConfig(t, a.URL) // quota: 3 units, 1 per run
	now := time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC)
	e, st := newEngine(t, dir, cfg, now)
	for i := range 2 {
		if rep := e.RunChannel(context.Background(), "youtube"); !rep.OK() {
			t.Fatalf("run %d: %v", i, rep.Errors)
		}
	}
	st.Close()
	e, st = newEngine(t, dir, cfg, now)
	defer st.Close()
	if rep := e.RunChannel(context.Background(), "youtube"); !rep.OK() {
		t.Fatalf("third run: %v", rep.Errors)
	}
	rep := e.RunChannel(context.Background(), "youtube")
	if rep.OK() || rep.Errors[0].Reason != vocab.Quota {
		t.Fatalf("a fourth run over the budget of 3 ran: %+v", rep)
	}
	yt := channel(e.Snapshot(), "youtube")
	if !yt.HasQuota || yt.QuotaUsed != 3 || yt.QuotaLimit != 3 {
		t.Errorf("quota = %v of %v, want 3 of 3", yt.QuotaUsed, yt.QuotaLimit)
	}
	// The next day in Los Angeles, the budget is back.
	e.SetClock(func() time.Time { return now.Add(24 * time.Hour) })
	if rep := e.RunChannel(context.Background(), "youtube"); !rep.OK() {
		t.Errorf("the next day's run: %v", rep.Errors)
	}
}

func TestManual(t *testing.T) {
	a := newAPI(t)
	cfg := testConfig(t, a.URL)
	now := time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC)
	e, st := newEngine(t, t.TempDir(), cfg, now)
	defer st.Close()
	ctx := context.Background()
	for _, add := range []float64{2, 1} {
		if _, err := e.Record(ctx, vocab.ManualReading{Channel: "offline", Metric: "relationships", Value: add, Add: true}); err != nil {
			t.Fatal(err)
		}
	}
	if k := kpi(e.Snapshot(), "relationships"); k.Value != 3 || k.Status == vocab.NoData {
		t.Errorf("after adding 2 and 1: %+v; growth counts from nothing", k.Evaluation)
	}
	tests := []struct {
		name string
		m    vocab.ManualReading
		want string
	}{
		{"unknown channel", vocab.ManualReading{Channel: "nope", Metric: "relationships"}, `channel "nope" is not in the config`},
		{"not a manual channel", vocab.ManualReading{Channel: "youtube", Metric: "subscribers"}, "only manual channels"},
		{"unknown metric", vocab.ManualReading{Channel: "offline", Metric: "likes"}, `metric "likes" is not measured`},
		{"unknown account", vocab.ManualReading{Channel: "offline", Account: "x", Metric: "relationships"}, `account "x"`},
		{"negative", vocab.ManualReading{Channel: "offline", Metric: "relationships", Value: -1}, "not negative"},
		{"in the future", vocab.ManualReading{Channel: "offline", Metric: "relationships", Value: 1, Time: now.Add(time.Hour), Backdated: true}, "in the future"},
		{"the zero time", vocab.ManualReading{Channel: "offline", Metric: "relationships", Value: 1, Backdated: true}, "out of range"},
		{"beyond 2^53", vocab.ManualReading{Channel: "offline", Metric: "relationships", Value: 1e308}, "2^53"},
		{"an add that would pass 2^53", vocab.ManualReading{Channel: "offline", Metric: "relationships", Value: 1 << 53, Add: true}, "2^53"},
	}
	for _, tt := range tests {
		_, err := e.Record(ctx, tt.m)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error saying %q", tt.name, err, tt.want)
		}
	}
}

type panicking struct{}

func (panicking) Collect(context.Context, []string) collectors.Result { panic("boom") }

func TestPanickingCollectorIsRecovered(t *testing.T) {
	res := safeCollect(context.Background(), panicking{}, []string{"a"})
	if len(res.Errors) != 1 || res.Errors[0].Reason != vocab.Server || len(res.Readings) != 0 {
		t.Errorf("a panicking collector gave %+v", res)
	}
}

// The scheduler runs every channel once at start and stops without leaving
// goroutines behind.
func TestSchedulerRunsAtStartAndStops(t *testing.T) {
	a := newAPI(t)
	a.subscribers.Store(900)
	cfg := testConfig(t, a.URL)
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := New(st, cfg, collectors.Types(), quiet)
	if err := e.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := NewScheduler(e, quiet)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for kpi(e.Snapshot(), "subs").Value != 900 {
		if time.Now().After(deadline) {
			t.Fatal("the first run did not happen")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Reloading the same config does not rerun unchanged channels.
	before := channel(e.Snapshot(), "youtube").Requests["200"]
	if err := s.Reload(testConfig(t, a.URL)); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if after := channel(e.Snapshot(), "youtube").Requests["200"]; after != before {
		t.Errorf("an unchanged channel ran again on reload: %v calls, then %v", before, after)
	}
}

// A hundred reloads, then a shutdown, leave no goroutine behind (goleak in
// TestMain checks after every test).
func TestReloadsLeakNothing(t *testing.T) {
	a := newAPI(t)
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := New(st, testConfig(t, a.URL), collectors.Types(), quiet)
	if err := e.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := NewScheduler(e, quiet)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		cfg := testConfig(t, a.URL)
		if i%2 == 1 { // every other reload changes a channel, so its collector is rebuilt and runs
			cfg.Channels["youtube"].Timeout += time.Second
		}
		if err := s.Reload(cfg); err != nil {
			t.Fatal(err)
		}
	}
	s.Stop()
}

// A run whose readings cannot be committed (disk full, store gone) shows
// none of them: the last good value stays.
func TestUnstoredReadingsAreNotShown(t *testing.T) {
	a := newAPI(t)
	now := time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC)
	e, st := newEngine(t, t.TempDir(), testConfig(t, a.URL), now)
	a.feedItems.Store(item("a", time.Date(2026, 7, 2, 9, 0, 0, 0, time.UTC)))
	if rep := e.RunChannel(context.Background(), "blog"); !rep.OK() {
		t.Fatal(rep.Errors)
	}
	st.Close() // every write now fails
	a.feedItems.Store(item("a", time.Date(2026, 7, 2, 9, 0, 0, 0, time.UTC)) + item("b", time.Date(2026, 7, 3, 9, 0, 0, 0, time.UTC)))
	rep := e.RunChannel(context.Background(), "blog")
	if rep.SaveError == nil || rep.OK() {
		t.Fatalf("the run stored into a closed store: %+v", rep)
	}
	snap := e.Snapshot()
	if k := kpi(snap, "articles"); k.Value != 1 {
		t.Errorf("an unstored reading is shown: %v", k.Value)
	}
	if c := channel(snap, "blog"); c.Success || !strings.HasPrefix(c.LastError, "store:") {
		t.Errorf("the channel's health does not say the store failed: %+v", c)
	}
}

// Retention and the plan's needs thin the series in memory: every reading of
// the pace's window stays, a few older ones the plan asks for, none older
// than the retention, and the latest value.
func TestPruneKeepsTheLatestAndThinsTheOld(t *testing.T) {
	a := newAPI(t)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	e, st := newEngine(t, t.TempDir(), testConfig(t, a.URL), now)
	defer st.Close()
	for h := 60 * 24; h >= 0; h-- {
		if _, err := st.Record(context.Background(), "offline", "default", "relationships", now.Add(-time.Duration(h)*time.Hour), float64(60*24-h), false); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Prune(context.Background(), 40*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	ps := e.cache.get(seriesKey{"offline", "default", "relationships"})
	window := 0
	for _, p := range ps {
		if now.Sub(p.time()) <= plan.PaceWindow {
			window++
		}
		if now.Sub(p.time()) > 40*24*time.Hour {
			t.Errorf("a point older than the retention stays: %v", p)
		}
	}
	if want := 14*24 + 1; window != want {
		t.Errorf("%d points of the pace's window in memory, want %d", window, want)
	}
	if older := len(ps) - window; older > 2+snapshot.SparkPoints {
		t.Errorf("%d older points in memory, want at most %d", older, 2+snapshot.SparkPoints)
	}
	if k := kpi(e.Snapshot(), "relationships"); k.Value != 60*24 {
		t.Errorf("the latest value after pruning: %v", k.Value)
	}
}

// Eight bytes changed in a checkpoint (a value of 1000 made 7) fail its
// checksum: the checkpoint is ignored and the store's 1000 served.
func TestCheckpointChecksum(t *testing.T) {
	a := newAPI(t)
	dir := t.TempDir()
	now := time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC)
	cfg := testConfig(t, a.URL)
	e, st := newEngine(t, dir, cfg, now)
	a.subscribers.Store(1000)
	e.RunChannel(context.Background(), "youtube")
	if err := e.WriteCheckpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	path := filepath.Join(dir, CheckpointFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var from, to [8]byte
	binary.LittleEndian.PutUint64(from[:], math.Float64bits(1000))
	binary.LittleEndian.PutUint64(to[:], math.Float64bits(7))
	if !bytes.Contains(good, from[:]) {
		t.Fatal("the checkpoint does not hold 1000")
	}
	if err := os.WriteFile(path, bytes.Replace(good, from[:], to[:], 1), 0o600); err != nil {
		t.Fatal(err)
	}
	e2, st2 := newEngine(t, dir, cfg, now.Add(time.Hour))
	defer st2.Close()
	if ps := e2.cache.get(seriesKey{"youtube", "UC1", "subscribers"}); len(ps) != 1 || ps[0].value != 1000 {
		t.Errorf("after a damaged checkpoint the series is %v, want the store's 1000", ps)
	}
}

// A restart reads the checkpoint and tails only what came since; a foreign
// or damaged checkpoint is ignored and the store read whole.
func TestCheckpoint(t *testing.T) {
	a := newAPI(t)
	dir := t.TempDir()
	now := time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC)
	cfg := testConfig(t, a.URL)
	e, st := newEngine(t, dir, cfg, now)
	a.subscribers.Store(1000)
	e.RunChannel(context.Background(), "youtube")
	if err := e.WriteCheckpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.subscribers.Store(1100) // stored after the checkpoint
	e.SetClock(func() time.Time { return now.Add(time.Hour) })
	e.RunChannel(context.Background(), "youtube")
	st.Close()

	for _, tt := range []struct {
		name   string
		damage func()
	}{
		{"from the checkpoint and the tail", func() {}},

		{"a damaged checkpoint", func() { os.WriteFile(filepath.Join(dir, CheckpointFile), []byte("KPIC1\n\x99garbage"), 0o600) }},
		{"another store's checkpoint", func() {
			other := t.TempDir()
			e2, st2 := newEngine(t, other, cfg, now)
			a.subscribers.Store(5)
			e2.RunChannel(context.Background(), "youtube") // the other store has its own readings
			e2.WriteCheckpoint(context.Background())
			st2.Close()
			data, _ := os.ReadFile(filepath.Join(other, CheckpointFile))
			os.WriteFile(filepath.Join(dir, CheckpointFile), data, 0o600)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.damage()
			e2, st2 := newEngine(t, dir, cfg, now.Add(2*time.Hour))
			defer st2.Close()
			ps := e2.cache.get(seriesKey{"youtube", "UC1", "subscribers"})
			if len(ps) != 2 || ps[0].value != 1000 || ps[1].value != 1100 {
				t.Errorf("series after restart: %v", ps)
			}
		})
	}
}

// A reload whose plan needs readings the cache dropped reads them from the
// store again; so does a start whose checkpoint was thinned for another plan
// or a later moment.
func TestCacheFollowsThePlansNeeds(t *testing.T) {
	a := newAPI(t)
	dir := t.TempDir()
	now := time.Date(2026, 9, 30, 12, 0, 0, 0, time.UTC)
	cfg := testConfig(t, a.URL)
	e, st := newEngine(t, dir, cfg, now)
	for h := 90 * 24; h >= 0; h -= 6 {
		if _, err := st.Record(context.Background(), "offline", "default", "relationships", now.Add(-time.Duration(h)*time.Hour), float64(90*24-h), false); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	key := seriesKey{"offline", "default", "relationships"}
	at := func(c *cache, t0 time.Time) bool {
		for _, p := range c.get(key) {
			if p.time().Equal(t0) {
				return true
			}
		}
		return false
	}
	dueAug15 := time.Date(2026, 8, 16, 0, 0, 0, 0, time.UTC) // 24:00 of 2026-08-15; a reading falls on it
	if at(e.cache, dueAug15) {
		t.Fatal("the cache keeps a reading no rule asks for")
	}
	if err := e.WriteCheckpoint(context.Background()); err != nil {
		t.Fatal(err)
	}

	next := testConfig(t, a.URL)
	next.KPIs[2].Due = append([]vocab.Milestone{{Due: dueAug15, Target: 3}}, next.KPIs[2].Due...)
	next.KPIs[2].Due[1].Due = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	e.ApplyConfig(context.Background(), next)
	if !at(e.cache, dueAug15) {
		t.Error("after the reload the cache lacks the reading at the new milestone's due time")
	}
	st.Close()

	for _, tt := range []struct {
		name string
		cfg  *config.Config
		now  time.Time
	}{
		{"another plan", next, now},
		{"an earlier moment", cfg, now.Add(-30 * 24 * time.Hour)},
	} {
		e2, st2 := newEngine(t, dir, tt.cfg, tt.now)
		if !at(e2.cache, dueAug15) && tt.cfg == next {
			t.Errorf("%s: the checkpoint of the old plan was used", tt.name)
		}
		if tt.now.Before(now) && !at(e2.cache, tt.now.Add(-2*24*time.Hour)) {
			t.Errorf("%s: the checkpoint of a later moment was used: the pace's window then is missing", tt.name)
		}
		st2.Close()
	}
}

// A reload that reads the store again for a new plan holds no lock while it
// reads: a recording, a run of another channel and a publish all finish
// while the reload sits between its read and its swap.
func TestReloadReadingTheStoreBlocksNothing(t *testing.T) {
	a := newAPI(t)
	now := time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC)
	cfg := testConfig(t, a.URL)
	e, st := newEngine(t, t.TempDir(), cfg, now)
	defer st.Close()
	a.subscribers.Store(1000)
	reading := make(chan struct{})
	release := make(chan struct{})
	e.afterReloadRead = func() {
		close(reading)
		<-release
	}
	changed := testConfig(t, a.URL)
	changed.KPIs[0].Due = append([]vocab.Milestone(nil), changed.KPIs[0].Due...)
	changed.KPIs[0].Due[0].Due = changed.KPIs[0].Due[0].Due.Add(-24 * time.Hour) // other readings needed
	reloaded := make(chan struct{})
	go func() {
		e.ApplyConfig(context.Background(), changed)
		close(reloaded)
	}()
	<-reading
	done := make(chan error, 1)
	go func() {
		if _, err := e.Record(context.Background(), vocab.ManualReading{Channel: "offline", Metric: "relationships", Value: 1, Add: true}); err != nil {
			done <- err
			return
		}
		if rep := e.RunChannel(context.Background(), "youtube"); !rep.OK() {
			done <- fmt.Errorf("run: %v: %w", rep.Errors, rep.SaveError)
			return
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second): // a deadlock, not a slow machine
		t.Fatal("a recording and a run waited for the reload's read of the store")
	}
	select {
	case <-reloaded:
		t.Fatal("the reload finished before it was released")
	default:
	}
	close(release)
	<-reloaded
	if k := kpi(e.Snapshot(), "relationships"); !k.HasValue || k.Value != 1 {
		t.Errorf("after the reload the recording made during it is %+v", k.Evaluation)
	}
}

// The snapshot lists the latest reading of every configured account's
// series, in channel, account, metric order, as series appear, as a reload
// drops a channel and as a prune drops series: the order is kept between
// publishes and must follow every change of the set.
func TestAccountsFollowTheSeries(t *testing.T) {
	a := newAPI(t)
	a.subscribers.Store(10)
	cfg := testConfig(t, a.URL)
	now := time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC)
	e, st := newEngine(t, t.TempDir(), cfg, now)
	defer st.Close()
	ctx := context.Background()
	listed := func() []string {
		var out []string
		for av := range e.Snapshot().Accounts.All() {
			out = append(out, av.Channel+"/"+av.Account+"/"+av.Metric)
		}
		return out
	}
	youtube := []string{"youtube/UC1/subscribers", "youtube/UC1/videos", "youtube/UC1/views"}
	steps := []struct {
		name string
		do   func()
		want []string
	}{
		{"nothing stored", func() {}, nil},
		{"a run adds three series", func() { e.RunChannel(ctx, "youtube") }, youtube},
		{"a recording adds one before them", func() {
			if _, err := e.Record(ctx, vocab.ManualReading{Channel: "offline", Metric: "relationships", Value: 1}); err != nil {
				t.Fatal(err)
			}
		}, append([]string{"offline/default/relationships"}, youtube...)},
		{"a publish with nothing new", func() { e.Refresh(ctx) }, append([]string{"offline/default/relationships"}, youtube...)},
		{"a reload without youtube", func() {
			next := testConfig(t, a.URL)
			delete(next.Channels, "youtube")
			next.KPIs = slices.DeleteFunc(next.KPIs, func(k *config.KPI) bool { return k.Channel == "youtube" })
			e.ApplyConfig(ctx, next)
		}, []string{"offline/default/relationships"}},
		{"a prune drops every series, a year on", func() {
			e.SetClock(func() time.Time { return now.AddDate(1, 0, 0) })
			if _, err := e.Prune(ctx, 30*24*time.Hour); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"a recording adds one again", func() {
			if _, err := e.Record(ctx, vocab.ManualReading{Channel: "offline", Metric: "relationships", Value: 2}); err != nil {
				t.Fatal(err)
			}
		}, []string{"offline/default/relationships"}},
	}
	for _, s := range steps {
		s.do()
		if got := listed(); !slices.Equal(got, s.want) {
			t.Errorf("%s: accounts %q, want %q", s.name, got, s.want)
		}
	}
}
