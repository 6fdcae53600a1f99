package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRunsReadingsAndLedger(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	items := []Item{
		{Account: "https://blog.example/feed", ItemID: "a", Published: t0.Add(-48 * time.Hour)},
		{Account: "https://blog.example/feed", ItemID: "b"},
	}
	run := Run{Channel: "blog", Time: t0, Items: items, ItemAccounts: []string{"https://blog.example/feed"}, Success: true}
	if err := s.SaveRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	// The next run sees only "b" and a new "c": "a" scrolled out but still counts.
	run2 := Run{Channel: "blog", Time: t0.Add(time.Hour), Items: []Item{{Account: items[0].Account, ItemID: "b"}, {Account: items[0].Account, ItemID: "c"}},
		ItemAccounts: []string{items[0].Account}, Success: true}
	if err := s.SaveRun(ctx, run2); err != nil {
		t.Fatal(err)
	}
	failed := Run{Channel: "yt", Time: t0.Add(2 * time.Hour), Readings: []Reading{{Account: "UC1", Metric: "views", Value: 7}}, Success: false, Error: "quota"}
	if err := s.SaveRun(ctx, failed); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Everything is there after reopening.
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rs, err := s.Readings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Channel < rs[j].Channel })
	if len(rs) != 3 {
		t.Fatalf("got %d readings, want 3: %+v", len(rs), rs)
	}
	if rs[0].Value != 2 || rs[1].Value != 3 || rs[1].Source != SourceFeed {
		t.Errorf("posts readings = %v, %v; want 2 then 3 (the ledger keeps a)", rs[0].Value, rs[1].Value)
	}
	its, err := s.ItemsAfter(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(its) != 3 || !its[1].Published.Equal(t0) {
		t.Errorf("ledger = %+v; want 3 items, b dated when first seen", its)
	}
	runs, err := s.ChannelRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !runs["blog"].LastSuccess.Equal(t0.Add(time.Hour)) || !runs["yt"].LastSuccess.IsZero() || runs["yt"].LastError != "quota" {
		t.Errorf("channel runs = %+v", runs)
	}
	// Tailing: the next write shows up after the sequence number seen so far.
	seen, err := s.MaxSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record(ctx, "offline", "default", "relationships", t0, 1, false); err != nil {
		t.Fatal(err)
	}
	var tailed []Chunk
	if _, err := s.ChunksAfter(ctx, seen, func(c Chunk) error { tailed = append(tailed, c); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(tailed) != 1 || tailed[0].Metric != "relationships" || tailed[0].Readings[0].Source != SourceManual {
		t.Errorf("tailing after seq %d gives %+v, want the one new reading", seen, tailed)
	}
}

// The chunk encoding gives back what it was given: whole numbers as deltas,
// others as floats, times to the millisecond, sources.
func TestChunkEncoding(t *testing.T) {
	day := dayOf(time.Date(2026, 7, 1, 15, 0, 0, 0, time.UTC))
	start := time.UnixMilli(day * dayMs)
	rs := []Reading{
		{Time: start, Value: 0, Source: SourceAPI},
		{Time: start.Add(time.Hour + 123*time.Millisecond), Value: 2510000, Source: SourceFeed},
		{Time: start.Add(2 * time.Hour), Value: 2509990, Source: SourceManual},
		{Time: start.Add(3 * time.Hour), Value: 0.25, Source: SourceAPI},
		{Time: start.Add(4 * time.Hour), Value: -7, Source: SourceAPI},
		{Time: start.Add(5 * time.Hour), Value: 1e300, Source: SourceAPI},
		{Time: start.Add(24*time.Hour - time.Millisecond), Value: 9007199254740991, Source: SourceAPI},
	}
	data := encode(day, rs)
	got, err := decode(day, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rs) {
		t.Fatalf("got %d readings back, want %d", len(got), len(rs))
	}
	for i := range rs {
		if !got[i].Time.Equal(rs[i].Time) || got[i].Value != rs[i].Value || got[i].Source != rs[i].Source {
			t.Errorf("reading %d: got %+v, want %+v", i, got[i], rs[i])
		}
	}
	if per := float64(len(encode(day, rs[:3]))) / 3; per > 6 {
		t.Errorf("%.1f bytes a whole-number reading, want a few", per)
	}
	if _, err := decode(day, []byte{0xff}); err == nil {
		t.Error("a damaged chunk must be an error")
	}
}

func FuzzChunkDecode(f *testing.F) {
	f.Add([]byte{0, 0})
	f.Add(encode(20000, []Reading{{Time: time.UnixMilli(20000 * dayMs), Value: 3.5}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := decode(20000, data)
		if err == nil {
			if again, _ := decode(20000, encode(20000, rs)); len(again) != len(rs) {
				t.Errorf("%d readings re-encode to %d", len(rs), len(again))
			}
		}
	})
}

func TestRecord(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	t0 := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		at    time.Time
		value float64
		add   bool
		want  float64
	}{
		{"add to nothing starts from 0", t0, 1, true, 1},
		{"add raises the last reading", t0.Add(time.Hour), 2, true, 3},
		{"value sets the reading", t0.Add(2 * time.Hour), 10, false, 10},
		{"add in the past counts from the reading before it", t0.Add(90 * time.Minute), 1, true, 4},
	}
	for _, tt := range tests {
		got, err := s.Record(ctx, "offline", "default", "relationships", tt.at, tt.value, tt.add)
		if err != nil || got != tt.want {
			t.Errorf("%s: got %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := s.Record(ctx, "offline", "default", "relationships", t0, math.NaN(), false); err == nil {
		t.Error("a NaN reading must be refused")
	}
	// The backdated add also raised the later reading: it counts from then on.
	rs, err := s.Readings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	for _, r := range rs {
		got = append(got, r.Value)
	}
	if want := []float64{1, 3, 4, 11}; !slices.Equal(got, want) {
		t.Errorf("series %v, want %v", got, want)
	}
	// A recording made "now" with a clock behind the latest reading is stored
	// at the latest reading's time, after it: it counts on top of it.
	r, err := s.Save(ctx, Recording{Channel: "offline", Account: "default", Metric: "relationships", Time: t0, Value: 1, Add: true})
	if err != nil || r.Value != 12 || !r.Time.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("an add made now: %+v, %v; want 12 at %v", r, err, t0.Add(2*time.Hour))
	}
	if _, err := s.Save(ctx, Recording{Channel: "offline", Account: "default", Metric: "relationships", Time: t0, Value: MaxValue, Add: true}); !errors.Is(err, ErrBeyondMaxValue) {
		t.Errorf("an add beyond 2^53: %v, want ErrBeyondMaxValue", err)
	}
}

// Adds made at once from many goroutines each count once.
func TestConcurrentAdds(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	now := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each takes its own "now", some earlier than others' commits.
			at := now.Add(time.Duration(i%7) * time.Millisecond)
			if _, err := s.Save(ctx, Recording{Channel: "offline", Account: "default", Metric: "relationships", Time: at, Value: 1, Add: true}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	rs, err := s.Readings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last := rs[len(rs)-1].Value; last != 200 {
		t.Errorf("200 adds of 1 ended at %v", last)
	}
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	// Readings every three hours for 500 days of one series.
	for h := 0; h < 500*24; h += 3 {
		at := now.Add(-time.Duration(h) * time.Hour)
		if err := s.SaveRun(ctx, Run{Channel: "yt", Time: at, Success: true, Readings: []Reading{{Account: "UC1", Metric: "views", Value: float64(h)}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Prune(ctx, now, 400*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	rs, err := s.Readings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	perDay := map[string]int{}
	for _, r := range rs {
		if now.Sub(r.Time) > 400*24*time.Hour {
			t.Fatalf("a reading older than the retention stays: %v", r.Time)
		}
		if now.Sub(r.Time) > ThinAfter+24*time.Hour { // whole UTC days beyond 30 days
			perDay[r.Time.UTC().Format(time.DateOnly)]++
		}
	}
	for day, n := range perDay {
		if n != 1 {
			t.Errorf("%s keeps %d readings, want 1", day, n)
		}
	}
	// 30 days of eight a day (and the half day before them), then one a day up to 400 days.
	if want := 30*8 + 4 + 370; len(rs) < want-3 || len(rs) > want+3 {
		t.Errorf("%d readings left, want about %d", len(rs), want)
	}
	// The day's last reading is the one kept.
	for _, r := range rs {
		if now.Sub(r.Time) > ThinAfter+48*time.Hour && r.Time.UTC().Hour() < 21 {
			t.Errorf("kept %v, not the day's last reading", r.Time)
			break
		}
	}
}

// Appending to a chunk writes what encoding the whole day would.
func TestAppendToChunk(t *testing.T) {
	day := dayOf(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))
	start := time.UnixMilli(day * dayMs)
	rs := []Reading{{Time: start.Add(time.Hour), Value: 10, Source: SourceAPI}, {Time: start.Add(2 * time.Hour), Value: 0.5, Source: SourceManual}}
	more := []Reading{{Time: start.Add(3 * time.Hour), Value: 12, Source: SourceAPI}, {Time: start.Add(3 * time.Hour), Value: 13, Source: SourceFeed}}
	got, ok, err := appendTo(day, encode(day, rs), more)
	if err != nil || !ok {
		t.Fatalf("append: %v %v", ok, err)
	}
	if want := encode(day, append(append([]Reading(nil), rs...), more...)); string(got) != string(want) {
		t.Errorf("appended %x, want %x", got, want)
	}
	if _, ok, _ := appendTo(day, encode(day, rs), []Reading{{Time: start, Value: 1}}); ok {
		t.Error("an earlier reading must make the chunk rebuilt, not appended")
	}
}

// Pruning while runs are saved makes neither fail: each write transaction
// takes the write lock when it begins, so the other waits (busy_timeout)
// instead of failing when a read turns into a write.
func TestPruneBesideRuns(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for h := 60 * 24; h > 0; h -= 6 { // 60 days, 100 accounts: thinning takes two batches
		run := Run{Channel: "youtube", Time: now.Add(-time.Duration(h) * time.Hour), Success: true}
		for a := range 100 {
			run.Readings = append(run.Readings, Reading{Account: fmt.Sprintf("UC%d", a), Metric: "views", Value: float64(h)})
		}
		if err := s.SaveRun(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Prune(ctx, now, 400*24*time.Hour)
		done <- err
	}()
	for i := 0; ; i++ {
		run := Run{Channel: "youtube", Time: now.Add(time.Duration(i) * time.Second), Success: true,
			Readings: []Reading{{Account: "UC1", Metric: "views", Value: float64(i)}}}
		if err := s.SaveRun(ctx, run); err != nil {
			t.Fatalf("a run saved beside pruning failed: %v", err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("pruning beside runs failed: %v", err)
			}
			return
		default:
		}
	}
}

// openTemp opens a store in a fresh folder, closed when the test ends.
func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A store file that is missing or empty while the folder shows it held one
// is refused; --storage.init (Init) starts over on purpose; a fresh folder
// just starts.
func TestLostStoreIsRefused(t *testing.T) {
	ctx := context.Background()
	fresh := t.TempDir()
	s, err := Open(fresh)
	if err != nil {
		t.Fatalf("a fresh folder: %v", err)
	}
	if _, err := s.Record(ctx, "offline", "default", "relationships", time.Now(), 10, false); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, tt := range []struct {
		name   string
		damage func(dir string)
	}{
		{"the file is gone", func(dir string) { os.Remove(filepath.Join(dir, FileName)) }},
		{"the file is empty", func(dir string) { os.Truncate(filepath.Join(dir, FileName), 0) }},
		{"only a checkpoint is left", func(dir string) {
			os.Remove(filepath.Join(dir, FileName))
			os.Remove(filepath.Join(dir, MarkerFile))
			os.WriteFile(filepath.Join(dir, CheckpointFile), []byte("KPIC3\n..."), 0o600)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, name := range []string{FileName, MarkerFile} {
				data, err := os.ReadFile(filepath.Join(fresh, name))
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(dir, name), data, 0o600)
			}
			tt.damage(dir)
			_, err := Open(dir)
			var lost *LostError
			if !errors.As(err, &lost) || !strings.Contains(err.Error(), "--storage.init") {
				t.Fatalf("Open = %v, want a LostError saying how to start over", err)
			}
			s, err := Init(dir)
			if err != nil {
				t.Fatalf("Init: %v", err)
			}
			defer s.Close()
			if rs, _ := s.Readings(ctx); len(rs) != 0 {
				t.Errorf("a store started over holds %d readings", len(rs))
			}
			s.Close()
			if s, err := Open(dir); err != nil {
				t.Errorf("reopening the store started over: %v", err)
			} else {
				s.Close()
			}
		})
	}
}

// One damaged chunk costs its own day of its own series: runs go on storing
// every series, reading the store skips it, and it is set aside (named)
// rather than failing the channel or the start.
func TestDamagedChunkIsSetAside(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	day1 := time.Date(2026, 7, 1, 6, 0, 0, 0, time.UTC)
	run := func(at time.Time, v float64) error {
		return s.SaveRun(ctx, Run{Channel: "youtube", Time: at, Success: true, Readings: []Reading{
			{Account: "UC1", Metric: "views", Value: v}, {Account: "UC2", Metric: "views", Value: v},
		}})
	}
	for _, at := range []time.Time{day1, day1.Add(time.Hour), day1.Add(24 * time.Hour)} {
		if err := run(at, 10); err != nil {
			t.Fatal(err)
		}
	}
	garbage := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}
	if _, err := s.db.ExecContext(ctx, `UPDATE chunks SET data = ? WHERE day = ? AND series IN (SELECT id FROM series WHERE account = 'UC1')`, garbage, dayOf(day1)); err != nil {
		t.Fatal(err)
	}

	// Reading the whole store (a start) skips the damaged day and sets it aside.
	var read int
	if _, err := s.ChunksAfter(ctx, 0, func(c Chunk) error { read += len(c.Readings); return nil }); err != nil {
		t.Fatalf("reading a store with a damaged chunk: %v", err)
	}
	if read != 4 { // UC2's three readings and UC1's on day 2
		t.Errorf("read %d readings, want 4", read)
	}
	want := []Damaged{{Channel: "youtube", Account: "UC1", Metric: "views", Day: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)}}
	got := s.Damaged()
	if len(got) != 1 || got[0].Channel != want[0].Channel || got[0].Account != want[0].Account || !got[0].Day.Equal(want[0].Day) || got[0].Reason == "" {
		t.Errorf("damaged = %v, want %v", got, want)
	}

	// A run writing to a day whose chunk is damaged stores every series.
	if _, err := s.db.ExecContext(ctx, `UPDATE chunks SET data = ? WHERE day = ? AND series IN (SELECT id FROM series WHERE account = 'UC2')`, garbage, dayOf(day1)); err != nil {
		t.Fatal(err)
	}
	if err := run(day1.Add(2*time.Hour), 11); err != nil {
		t.Fatalf("a run beside a damaged chunk: %v", err)
	}
	if len(s.Damaged()) != 2 {
		t.Errorf("damaged = %v, want both days named", s.Damaged())
	}
	s.Close()

	// The list survives a restart; a scan finds nothing more.
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.Damaged()) != 2 {
		t.Errorf("after a restart: %v", s.Damaged())
	}
	if more, err := s.Scan(ctx); err != nil || len(more) != 0 {
		t.Errorf("scan: %v, %v", more, err)
	}
}

// TestSeriesIDs adds more series than one INSERT holds, with a key repeated
// and a key already known, from several goroutines at once: every caller
// learns the same id for the same key, and a reopened store agrees.
func TestSeriesIDs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	known := seriesKey{"youtube", "UCknown", "views"}
	if _, err := s.seriesIDs(ctx, []seriesKey{known}); err != nil {
		t.Fatal(err)
	}
	keys := []seriesKey{known}
	defer func(n int) { seriesPerTx = n }(seriesPerTx)
	seriesPerTx = 2 * seriesPerInsert
	for i := range seriesPerTx + 10 { // two transactions, three statements
		keys = append(keys, seriesKey{"youtube", fmt.Sprintf("UC%d", i), "views"})
	}
	keys = append(keys, keys[5]) // a repeat: in key order, in its first's statement
	results := make([][]int64, 4)
	var wg sync.WaitGroup
	for g := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids, err := s.seriesIDs(ctx, keys)
			if err != nil {
				t.Error(err)
			}
			results[g] = ids
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	seen := map[int64]seriesKey{}
	for i, id := range results[0] {
		for g := range results {
			if results[g][i] != id {
				t.Fatalf("key %v: caller %d got id %d, caller 0 got %d", keys[i], g, results[g][i], id)
			}
		}
		if other, ok := seen[id]; ok && other != keys[i] {
			t.Fatalf("id %d given to %v and %v", id, other, keys[i])
		}
		seen[id] = keys[i]
	}
	if len(seen) != seriesPerTx+11 {
		t.Fatalf("%d distinct ids, want %d", len(seen), seriesPerTx+11)
	}
	s.Close()
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	again, err := s.seriesIDs(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again, results[0]) {
		t.Fatal("a reopened store gives other ids")
	}
}

// A run's readings are cut into one group a series, in the series' id
// order, each series' readings in the order the run gave them.
func TestGroupBySeries(t *testing.T) {
	at := func(s int) Value { return Value{Value: float64(s)} }
	tests := []struct {
		name string
		ids  []int64
		want map[int64][]float64
	}{
		{"in order", []int64{1, 2, 2, 3}, map[int64][]float64{1: {0}, 2: {1, 2}, 3: {3}}},
		{"out of order", []int64{3, 1, 3, 2, 1}, map[int64][]float64{1: {1, 4}, 2: {3}, 3: {0, 2}}},
		{"one series", []int64{7, 7, 7}, map[int64][]float64{7: {0, 1, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := make([]Value, len(tt.ids))
			for i := range values {
				values[i] = at(i)
			}
			ids := append(slices.Clone(tt.ids), 99) // an id after the values' stays
			var groups []int64
			for id, vs := range groupBySeries(ids, values) {
				if n := len(groups); n > 0 && groups[n-1] >= id {
					t.Errorf("group %d (series %d) after series %d", n, id, groups[n-1])
				}
				groups = append(groups, id)
				var got []float64
				for _, v := range vs {
					got = append(got, v.Value)
				}
				if !slices.Equal(got, tt.want[id]) {
					t.Errorf("series %d: %v, want %v", id, got, tt.want[id])
				}
			}
			if len(groups) != len(tt.want) {
				t.Fatalf("%d groups, want %d", len(groups), len(tt.want))
			}
			if ids[len(ids)-1] != 99 {
				t.Error("an id after the readings moved")
			}
		})
	}
}

// A run's values (the engine's form) and the same readings given as
// readings without a time store the same, beside a feed's posts count and a
// dated reading, each with its source and time.
func TestValuesStoreAsReadings(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	window := t0.Add(-72 * time.Hour)
	stored := func(run Run) []Reading {
		t.Helper()
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		run.Channel, run.Time, run.Success = "yt", t0, true
		run.ItemAccounts = []string{"UC2"}
		run.Readings = append(run.Readings, Reading{Account: "UC1", Metric: "clicks", Value: 4, Time: window})
		if err := s.SaveRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		rs, err := s.Readings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sort.Slice(rs, func(i, j int) bool { return rs[i].Account+rs[i].Metric < rs[j].Account+rs[j].Metric })
		return rs
	}
	asValues := stored(Run{Values: []Value{{Account: "UC2", Metric: "views", Value: 9}, {Account: "UC1", Metric: "views", Value: 7}, {Account: "UC1", Metric: "subscribers", Value: 1.5}}})
	asReadings := stored(Run{Readings: []Reading{{Account: "UC2", Metric: "views", Value: 9}, {Account: "UC1", Metric: "views", Value: 7}, {Account: "UC1", Metric: "subscribers", Value: 1.5}}})
	want := []Reading{
		{Channel: "yt", Account: "UC1", Metric: "clicks", Time: window, Value: 4, Source: SourceAPI},
		{Channel: "yt", Account: "UC1", Metric: "subscribers", Time: t0, Value: 1.5, Source: SourceAPI},
		{Channel: "yt", Account: "UC1", Metric: "views", Time: t0, Value: 7, Source: SourceAPI},
		{Channel: "yt", Account: "UC2", Metric: "posts", Time: t0, Value: 0, Source: SourceFeed},
		{Channel: "yt", Account: "UC2", Metric: "views", Time: t0, Value: 9, Source: SourceAPI},
	}
	for _, got := range [][]Reading{asValues, asReadings} {
		if len(got) != len(want) {
			t.Fatalf("stored %+v, want %+v", got, want)
		}
		for i := range want {
			if g, w := got[i], want[i]; g.Channel != w.Channel || g.Account != w.Account || g.Metric != w.Metric || !g.Time.Equal(w.Time) || g.Value != w.Value || g.Source != w.Source {
				t.Errorf("reading %d: %+v, want %+v", i, g, w)
			}
		}
	}
}

// A count the API withholds stays hidden until a reading of it comes, in
// either form a run carries readings: a value at the run's time (as the
// engine saves its runs) or a reading of its own time.
func TestReadingClearsHidden(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		back Run
	}{
		{"value", Run{Values: []Value{{Account: "UC1", Metric: "subscribers", Value: 1100}}}},
		{"dated reading", Run{Readings: []Reading{{Account: "UC1", Metric: "subscribers", Value: 1100, Time: t0}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			hidden := Run{Channel: "yt", Time: t0, Success: true, Hidden: []Hidden{{Account: "UC1", Metric: "subscribers", Why: "hidden by the account"}}}
			if err := s.SaveRun(ctx, hidden); err != nil {
				t.Fatal(err)
			}
			key := HiddenKey{Channel: "yt", Account: "UC1", Metric: "subscribers"}
			if s.HiddenCounts()[key] == "" {
				t.Fatal("the hidden count was not kept")
			}
			back := tc.back
			back.Channel, back.Time, back.Success = "yt", t0.Add(time.Hour), true
			if err := s.SaveRun(ctx, back); err != nil {
				t.Fatal(err)
			}
			if why, ok := s.HiddenCounts()[key]; ok {
				t.Errorf("still hidden (%q) after a reading of it", why)
			}
		})
	}
}
