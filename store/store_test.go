package store

import (
	"context"
	"math"
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
	rs, err := s.ReadingsAfter(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
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
	if rest, _ := s.ReadingsAfter(ctx, rs[1].ID, 100); len(rest) != 1 {
		t.Errorf("tailing after the second reading gives %d, want 1", len(rest))
	}
}

func TestRecord(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	// Hourly readings for 500 days of one series.
	for h := 0; h < 500*24; h += 1 {
		at := now.Add(-time.Duration(h) * time.Hour)
		if err := s.SaveRun(ctx, Run{Channel: "yt", Time: at, Success: true, Readings: []Reading{{Account: "UC1", Metric: "views", Value: float64(h)}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Prune(ctx, now, 400*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	rs, err := s.ReadingsAfter(ctx, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	perDay := map[string]int{}
	for _, r := range rs {
		if now.Sub(r.Time) > 400*24*time.Hour {
			t.Fatalf("a reading older than the retention stays: %v", r.Time)
		}
		if now.Sub(r.Time) > ThinAfter {
			perDay[r.Time.UTC().Format(time.DateOnly)]++
		}
	}
	for day, n := range perDay {
		if n != 1 {
			t.Errorf("%s keeps %d readings, want 1", day, n)
		}
	}
	// 30 days hourly, then one a day up to 400 days.
	if want := 30*24 + 370; len(rs) < want-2 || len(rs) > want+2 {
		t.Errorf("%d readings left, want about %d", len(rs), want)
	}
	// The day's last reading is the one kept.
	for _, r := range rs {
		if now.Sub(r.Time) > ThinAfter+48*time.Hour && r.Time.UTC().Hour() != 23 {
			t.Errorf("kept %v, not the day's last reading", r.Time)
			break
		}
	}
}
