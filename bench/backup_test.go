package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/backup"
	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/metrics"
	"github.com/kpi-collector/kpi-collector/store"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// BenchmarkBackup: a backup (backup.Write: VACUUM INTO, the check, the
// rename) of the store of N KPIs on YouTube channels with 60 days of
// six-hourly history of three metrics each (at 10,000: 7.2 million
// readings), while the daemon's work goes on: scrapes of /metrics and
// recordings by hand, back to back. Reports the backup's time and size and
// the longest a scrape and a recording took during it, beside the same
// before it.
func BenchmarkBackup(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	const days = 60
	for run := range days * 4 {
		r := store.Run{Channel: "youtube", Time: start.Add(time.Duration(run) * 6 * time.Hour), Success: true, Readings: make([]store.Reading, 0, 3*N)}
		for a := 1; a <= N; a++ {
			account := fmt.Sprintf("UCgen%d", a)
			r.Readings = append(r.Readings,
				store.Reading{Account: account, Metric: "subscribers", Value: float64(a*10 + run)},
				store.Reading{Account: account, Metric: "views", Value: float64(a*1000 + 37*run)},
				store.Reading{Account: account, Metric: "videos", Value: float64(a + run/28)})
		}
		if err := st.SaveRun(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()

	yml := strings.Replace(planYAML("http://127.0.0.1:9/", N), "\nkpis:\n", "\n  notes:\n    type: manual\n    credentials: {token: bench-token}\nkpis:\n", 1) +
		"  - {name: talks, channel: notes, metric: talks, milestones: [{due: 2026-12-31, target: 10}]}\n"
	cfg, err := config.Load("bench.yml", []byte(yml), collectors.Types())
	if err != nil {
		b.Fatal(err)
	}
	e, st := newEngine(b, dir, cfg)
	defer st.Close()
	record := func(i int) time.Duration {
		t0 := time.Now()
		if _, err := e.Record(ctx, vocab.ManualReading{Channel: "notes", Metric: "talks", Value: float64(i)}); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	h := metrics.Handler(metrics.NewCache(e.Snapshot, quiet), live(), quiet)
	scrapeTime := func() time.Duration {
		t0 := time.Now()
		scrape(b, h)
		return time.Since(t0)
	}
	scrape(b, h)
	var beforeScrape, beforeRecord time.Duration
	for i := range 20 {
		beforeScrape = max(beforeScrape, scrapeTime())
		beforeRecord = max(beforeRecord, record(i))
	}
	out := b.TempDir()
	// First a backup with nothing else going on, in its two parts: the
	// copy of the pages and the check of the copy.
	alone := filepath.Join(out, "alone.db")
	t0 := time.Now()
	if err := st.Backup(ctx, alone); err != nil {
		b.Fatal(err)
	}
	copied := time.Since(t0)
	if _, err := store.Inspect(ctx, alone); err != nil {
		b.Fatal(err)
	}
	checked := time.Since(t0) - copied
	b.ResetTimer()
	for n := range b.N {
		path := filepath.Join(out, fmt.Sprintf("kpi-%d.db", n))
		type result struct {
			sum  store.Summary
			took time.Duration
			err  error
		}
		done := make(chan result)
		go func() {
			t0 := time.Now()
			sum, err := backup.Write(ctx, st, path)
			done <- result{sum, time.Since(t0), err}
		}()
		var scrapes, records []time.Duration
		var res result
	loop:
		for i := 0; ; i++ {
			select {
			case res = <-done:
				break loop
			default:
			}
			scrapes = append(scrapes, scrapeTime())
			records = append(records, record(i))
		}
		if res.err != nil {
			b.Fatal(res.err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.took.Seconds(), "s-backup")
		b.ReportMetric(float64(fi.Size())/1e6, "MB-backup")
		b.ReportMetric(float64(res.sum.Readings)/1e6, "M-readings")
		b.ReportMetric(ms(slices.Max(scrapes)), "ms-worst-scrape-during")
		b.ReportMetric(ms(slices.Max(records)), "ms-worst-record-during")
		b.ReportMetric(ms(median(records)), "ms-median-record-during")
		b.ReportMetric(float64(len(records)), "records-during")
	}
	b.StopTimer()
	b.ReportMetric(copied.Seconds(), "s-copy-alone")
	b.ReportMetric(checked.Seconds(), "s-check-alone")
	b.ReportMetric(ms(beforeScrape), "ms-worst-scrape-before")
	b.ReportMetric(ms(beforeRecord), "ms-worst-record-before")
}
