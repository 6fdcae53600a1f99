package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promcollectors "github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/engine"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
	"github.com/kpi-collector/kpi-collector/metrics"
	"github.com/kpi-collector/kpi-collector/store"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// N is the number of YouTube channels, each with a KPI: the target
// scale. KPI_BENCH_N overrides it for a quick run.
var N = envInt("KPI_BENCH_N", 10_000)

// Latency is the fake API's answer time.
const Latency = 20 * time.Millisecond

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// plan is a config of n YouTube channels (UCgen1…), a KPI on each.
func plan(api string, n int) *config.Config {
	cfg, err := config.Load("bench.yml", []byte(planYAML(api, n)), collectors.Types())
	if err != nil {
		panic(err)
	}
	return cfg
}

func planYAML(api string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "plan: {name: bench, goal: brand_awareness, timezone: UTC, start: 2026-07-01, end: 2026-12-31}\nchannels:\n  youtube:\n    type: youtube\n    api_url: %s\n    timeout: 2m\n    quota: 1000000\n    credentials: {api_key: %s}\n    accounts:\n", api, fakeapi.YouTubeKey)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "      - UCgen%d\n", i)
	}
	b.WriteString("kpis:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - {name: views_%d, channel: youtube, account: UCgen%d, metric: views, milestones: [{due: 2026-12-31, target: %d}]}\n", i, i, 2*i)
	}
	return b.String()
}

func newEngine(tb testing.TB, dir string, cfg *config.Config) (*engine.Engine, *store.Store) {
	st, err := store.Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	e := engine.New(st, cfg, collectors.Types(), quiet)
	if err := e.Load(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return e, st
}

// peakRSS reports the process's peak resident set size (VmHWM), in MB.
func peakRSS(b *testing.B) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			b.ReportMetric(kb/1024, "peak-RSS-MB")
		}
	}
}

// BenchmarkCollectCycle: one collection of N channels against a 20 ms API,
// from the first call until every value is stored and shown. Reports the
// calls per cycle (the floor is ceil(N/50)).
func BenchmarkCollectCycle(b *testing.B) {
	api := fakeapi.New()
	defer api.Close()
	api.Latency = Latency
	cfg := plan(api.URL, N)
	e, st := newEngine(b, b.TempDir(), cfg)
	defer st.Close()
	b.ResetTimer()
	for range b.N {
		before := api.Calls(fakeapi.YouTube)
		rep := e.RunChannel(context.Background(), "youtube")
		if !rep.OK() {
			b.Fatal(rep.Errors[0])
		}
		b.ReportMetric(float64(api.Calls(fakeapi.YouTube)-before), "calls/cycle")
	}
	b.StopTimer()
	if k := e.Snapshot().KPIs; len(k) != N || !k[N-1].HasValue {
		b.Fatalf("not every value was read: %d KPIs", len(k))
	}
	peakRSS(b)
}

// collected returns an engine after one collection of N channels.
func collected(b *testing.B) (*engine.Engine, func()) {
	api := fakeapi.New()
	e, st := newEngine(b, b.TempDir(), plan(api.URL, N))
	if rep := e.RunChannel(context.Background(), "youtube"); !rep.OK() {
		b.Fatal(rep.Errors[0])
	}
	return e, func() { st.Close(); api.Close() }
}

func scrape(b *testing.B, h http.Handler) int {
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("scrape: %d", rec.Code)
	}
	return rec.Body.Len()
}

func live() prometheus.Gatherer {
	r := prometheus.NewRegistry()
	r.MustRegister(promcollectors.NewGoCollector(), promcollectors.NewProcessCollector(promcollectors.ProcessCollectorOpts{}))
	return r
}

// BenchmarkScrape: /metrics for N KPIs as Prometheus asks for it (gzip),
// served from the pre-rendered exposition over a loopback connection;
// static-ns/scrape is the same bytes served by a handler that does nothing
// else, the target's measure ("within twice the time to serve the same bytes
// pre-compressed").
func BenchmarkScrape(b *testing.B) {
	e, done := collected(b)
	defer done()
	cache := metrics.NewCache(e.Snapshot, quiet)
	srv := httptest.NewServer(metrics.Handler(cache, live(), quiet))
	defer srv.Close()
	page := cache.Get().Gzip()
	static := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(page)
	}))
	defer static.Close()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(url string) int {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		n, _ := io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("scrape: %d", resp.StatusCode)
		}
		return int(n)
	}
	get(srv.URL) // a connection to reuse
	get(static.URL)
	runtime.GC()
	b.ResetTimer()
	var n int
	for range b.N {
		n = get(srv.URL)
	}
	b.StopTimer()
	runtime.GC()
	start := time.Now()
	for range b.N {
		get(static.URL)
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N), "static-ns/scrape")
	b.ReportMetric(float64(n), "gzip-bytes/scrape")
	text := cache.Get().Text() // inflating 16 MB (170 MB at 100,000): not a scrape's cost
	b.ReportMetric(float64(len(text)), "text-bytes/scrape")
	b.ReportMetric(float64(bytes.Count(text, []byte("\n"))), "lines")
	peakRSS(b)
}

// BenchmarkScrapeClientGolang: the same, the plain client_golang way (const
// metrics built at every scrape, promhttp compressing), for comparison.
func BenchmarkScrapeClientGolang(b *testing.B) {
	e, done := collected(b)
	defer done()
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewExporter(e.Snapshot))
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	b.ResetTimer()
	for range b.N {
		scrape(b, h)
	}
	peakRSS(b)
}

// BenchmarkRender: the background rendering that a published snapshot costs,
// as the cache does it (sized from the render before).
func BenchmarkRender(b *testing.B) {
	e, done := collected(b)
	defer done()
	c := metrics.NewCache(e.Snapshot, quiet)
	c.Get()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if err := e.Refresh(context.Background()); err != nil { // a new snapshot to render
			b.Fatal(err)
		}
		b.StartTimer()
		c.Refresh()
	}
	b.StopTimer()
	peakRSS(b)
}

// BenchmarkStartup: from opening a store of R readings (KPI_BENCH_READINGS,
// default 1,000,000, over N series) until /metrics is served with them; the
// config is loaded before the clock starts, as the daemon loads it before it
// opens the store. "checkpoint" starts from the cache checkpoint a clean
// shutdown (or the six-hourly write) leaves; "store" reads every reading.
func BenchmarkStartup(b *testing.B) {
	readings := envInt("KPI_BENCH_READINGS", 1_000_000)
	dir := b.TempDir()
	api := fakeapi.New()
	defer api.Close()
	cfg := plan(api.URL, N)
	fill(b, dir, readings)
	for _, mode := range []string{"checkpoint", "store"} {
		b.Run(mode, func(b *testing.B) {
			os.Remove(filepath.Join(dir, engine.CheckpointFile))
			if mode == "checkpoint" {
				e, st := newEngine(b, dir, cfg)
				if err := e.WriteCheckpoint(context.Background()); err != nil {
					b.Fatal(err)
				}
				st.Close()
			}
			b.ResetTimer()
			for range b.N {
				e, st := newEngine(b, dir, cfg)
				cache := metrics.NewCache(e.Snapshot, quiet)
				scrape(b, metrics.Handler(cache, live(), quiet))
				st.Close()
			}
			b.StopTimer()
			peakRSS(b)
		})
	}
}

// fill writes readings spread over N series, hourly, into a store.
func fill(b *testing.B, dir string, readings int) {
	st, err := store.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	perSeries := max(readings/N, 1)
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	for h := range perSeries {
		run := store.Run{Channel: "youtube", Time: start.Add(time.Duration(h) * time.Hour), Success: true}
		for i := 1; i <= N; i++ {
			run.Readings = append(run.Readings, store.Reading{Account: fmt.Sprintf("UCgen%d", i), Metric: "views", Value: float64(i + h)})
		}
		if err := st.SaveRun(context.Background(), run); err != nil {
			b.Fatal(err)
		}
	}
	fi, _ := os.Stat(filepath.Join(dir, store.FileName))
	if fi != nil {
		b.Logf("store: %d readings, %.1f MB", perSeries*N, float64(fi.Size())/1e6)
	}
}

// runtimeMem is here so that a benchmark can print the heap when debugging.
var _ = runtime.GC

// BenchmarkStoreYear: a simulated year of hourly readings of A accounts × 3
// metrics (KPI_BENCH_YEAR_ACCOUNTS, default 100), pruned daily as the daemon
// does; reports the store's size and that size scaled to 10,000 accounts.
func BenchmarkStoreYear(b *testing.B) {
	accounts := envInt("KPI_BENCH_YEAR_ACCOUNTS", 100)
	for range b.N {
		dir := b.TempDir()
		st, err := store.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Date(2025, 11, 25, 0, 0, 0, 0, time.UTC)
		for h := range 365 * 24 {
			at := start.Add(time.Duration(h) * time.Hour)
			run := store.Run{Channel: "youtube", Time: at, Success: true}
			for a := range accounts {
				for _, m := range []string{"subscribers", "views", "videos"} {
					run.Readings = append(run.Readings, store.Reading{Account: fmt.Sprintf("UCgen%d", a), Metric: m, Value: float64(a*1000 + h)})
				}
			}
			if err := st.SaveRun(context.Background(), run); err != nil {
				b.Fatal(err)
			}
			if h%24 == 23 {
				if _, err := st.Prune(context.Background(), at, 400*24*time.Hour); err != nil {
					b.Fatal(err)
				}
			}
		}
		st.Close() // checkpoints the WAL into the file
		fi, err := os.Stat(filepath.Join(dir, store.FileName))
		if err != nil {
			b.Fatal(err)
		}
		size := float64(fi.Size())
		b.ReportMetric(size/1e6, "MB")
		b.ReportMetric(size/1e6*10000/float64(accounts), "MB-at-10k-accounts")
	}
}

// BenchmarkReloadBlocking: a reload of a changed plan (every milestone
// moved, so the cache is read from the store again) while N accounts are
// cached, with scrapes and recordings going on. Reports how long the reload
// took, the longest a scrape took and the median and longest a recording
// took while it ran, beside the same before it (the same work without a
// reload): the difference is what the reload delayed them. Before all that,
// the longest a recording took during the first run, which adds the N
// accounts' series to an empty store.
func BenchmarkReloadBlocking(b *testing.B) {
	api := fakeapi.New()
	defer api.Close()
	const manual = "\n  notes:\n    type: manual\n    credentials: {token: bench-token}\n"
	withManual := func(yml string, target int) *config.Config {
		yml = strings.Replace(yml, "\nkpis:\n", manual+"kpis:\n", 1)
		yml += fmt.Sprintf("  - {name: talks, channel: notes, metric: talks, milestones: [{due: 2026-12-31, target: %d}]}\n", target)
		cfg, err := config.Load("bench.yml", []byte(yml), collectors.Types())
		if err != nil {
			b.Fatal(err)
		}
		return cfg
	}
	first := withManual(planYAML(api.URL, N), 10)
	// The changed plan: every milestone a month earlier.
	changed := withManual(strings.ReplaceAll(planYAML(api.URL, N), "due: 2026-12-31", "due: 2026-11-30"), 12)
	e, st := newEngine(b, b.TempDir(), first)
	defer st.Close()
	record := func(i int) time.Duration {
		t0 := time.Now()
		if _, err := e.Record(context.Background(), vocab.ManualReading{Channel: "notes", Metric: "talks", Value: float64(i)}); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	// The first run, which adds every series to the store, with a recording
	// every 10 ms beside it.
	ran := make(chan engine.RunReport)
	go func() { ran <- e.RunChannel(context.Background(), "youtube") }()
	var firstRunRecords []time.Duration
first:
	for i := 0; ; i++ {
		select {
		case rep := <-ran:
			if !rep.OK() {
				b.Fatal(rep.Errors[0])
			}
			break first
		case <-time.After(10 * time.Millisecond):
		}
		firstRunRecords = append(firstRunRecords, record(i))
	}
	cache := metrics.NewCache(e.Snapshot, quiet)
	h := metrics.Handler(cache, live(), quiet)
	scrapeTime := func() time.Duration {
		t0 := time.Now()
		scrape(b, h)
		return time.Since(t0)
	}
	scrape(b, h) // the first scrape waits for the first rendering
	// Before: the same mix for a while without a reload.
	var beforeScrape time.Duration
	var beforeRecords []time.Duration
	for i := range 20 {
		beforeScrape = max(beforeScrape, scrapeTime())
		beforeRecords = append(beforeRecords, record(i))
	}
	b.ResetTimer()
	for n := range b.N {
		cfg := changed
		if n%2 == 1 {
			cfg = first
		}
		done := make(chan time.Duration)
		go func() {
			t0 := time.Now()
			e.ApplyConfig(context.Background(), cfg)
			done <- time.Since(t0)
		}()
		var worstScrape, took time.Duration
		var records []time.Duration
	loop:
		for i := 0; ; i++ {
			select {
			case took = <-done:
				break loop
			default:
			}
			worstScrape = max(worstScrape, scrapeTime())
			records = append(records, record(i))
		}
		b.ReportMetric(took.Seconds(), "s-reload")
		b.ReportMetric(float64(worstScrape.Microseconds())/1000, "ms-worst-scrape-during")
		b.ReportMetric(ms(slices.Max(records)), "ms-worst-record-during")
		b.ReportMetric(ms(median(records)), "ms-median-record-during")
	}
	b.StopTimer()
	b.ReportMetric(float64(beforeScrape.Microseconds())/1000, "ms-worst-scrape-before")
	b.ReportMetric(ms(slices.Max(beforeRecords)), "ms-worst-record-before")
	b.ReportMetric(ms(median(beforeRecords)), "ms-median-record-before")
	b.ReportMetric(ms(slices.Max(firstRunRecords)), "ms-worst-record-first-run")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkPublish: evaluating the plan of N KPIs and publishing a snapshot,
// with nothing new stored: what every recording and every run pays on top of
// its own work.
func BenchmarkPublish(b *testing.B) {
	e, done := collected(b)
	defer done()
	b.ResetTimer()
	for range b.N {
		if err := e.Refresh(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
