package bench

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
	"github.com/kpi-collector/kpi-collector/store"
)

// BenchmarkDaemon runs the real binary, built as the image builds it
// (scripts/build.sh), on N YouTube channels against the fake API (20 ms a
// call) and reports what the targets name: the time until every
// value is read and shown, from the daemon's start and from its first call,
// the calls that took, the best of 5 scrapes asked the way Prometheus asks
// (gzip), and the daemon's peak RSS. "fresh" starts from an empty store with
// the plan written out (a KPI entry a channel); "short" the same with the
// plan kept short (accounts_file and account: "*"); "history" from a store
// holding what the daemon stores in KPI_BENCH_HISTORY_DAYS (default 60) days
// of runs every six hours (the YouTube default), three metrics a channel,
// without the cache checkpoint.
func BenchmarkDaemon(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "collector")
	build := exec.Command("sh", "scripts/build.sh", bin)
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building: %v\n%s", err, out)
	}
	api := fakeapi.New()
	defer api.Close()
	api.Latency = Latency
	cfg := filepath.Join(dir, "plan.yml")
	if err := os.WriteFile(cfg, []byte(planYAML(api.URL, N)), 0o600); err != nil {
		b.Fatal(err)
	}
	short := filepath.Join(dir, "short.yml")
	if err := os.WriteFile(short, []byte(shortPlanYAML(b, dir, api.URL, N)), 0o600); err != nil {
		b.Fatal(err)
	}
	history := filepath.Join(dir, "history")
	fillHistory(b, history, envInt("KPI_BENCH_HISTORY_DAYS", 60), 6*time.Hour)
	lastValue := fmt.Sprintf(`kpi_value{account="UCgen%d",channel="youtube",kpi="views_%d",metric="views"}`, N, N)
	b.Run("fresh", func(b *testing.B) { runDaemon(b, bin, cfg, api, "", lastValue) })
	b.Run("short", func(b *testing.B) {
		runDaemon(b, bin, short, api, "", fmt.Sprintf(`kpi_value{account="UCgen%d",channel="youtube",kpi="views:UCgen%d",metric="views"}`, N, N))
	})
	b.Run("history", func(b *testing.B) {
		runDaemon(b, bin, cfg, api, history, `kpi_collection_duration_seconds{channel="youtube"}`)
	})
}

// shortPlanYAML is planYAML's channels and KPIs kept short, as a large plan
// can be: the accounts in a file beside it (accounts_file) and one KPI entry
// for every account (account: "*"), each KPI named views:<account> and all
// with the same milestone.
func shortPlanYAML(b *testing.B, dir, api string, n int) string {
	var accounts strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&accounts, "UCgen%d\n", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "accounts.txt"), []byte(accounts.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	return fmt.Sprintf(`plan: {name: bench, goal: brand_awareness, timezone: UTC, start: 2026-07-01, end: 2026-12-31}
channels:
  youtube:
    type: youtube
    api_url: %s
    timeout: 2m
    quota: 1000000
    credentials: {api_key: %s}
    accounts_file: accounts.txt
kpis:
  - {name: views, channel: youtube, account: "*", metric: views, milestones: [{due: 2026-12-31, target: 1000}]}
`, api, fakeapi.YouTubeKey)
}

// runDaemon starts the binary b.N times, each on a copy of the store in from
// (an empty store when from is ""), and waits each time for the first
// run's metrics to show want.
func runDaemon(b *testing.B, bin, cfg string, api *fakeapi.Server, from, want string) {
	dir := b.TempDir()
	for i := range b.N {
		data := filepath.Join(dir, fmt.Sprint("data", i))
		if from != "" {
			if err := os.CopyFS(data, os.DirFS(from)); err != nil {
				b.Fatal(err)
			}
		}
		addr := freeAddr(b)
		before := api.Calls(fakeapi.YouTube)
		var firstCall time.Time
		var once sync.Once
		api.OnCall(func(fakeapi.API) { once.Do(func() { firstCall = time.Now() }) })
		start := time.Now()
		cmd := exec.Command(bin, "--config.file="+cfg, "--storage.path="+data, "--web.listen-address="+addr, "--log.level=debug")
		rendered := watchLog(b, cmd)
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		// Every value read and shown: the first run has ended, logged once
		// its values are published ("collection done"), and the metrics
		// rendered after it ("metrics rendered") show want: the last
		// channel's KPI's value or, with a history (values shown from the
		// store at once), the run's duration. A render that began before the run
		// ended shows neither, and the next one is waited for. Scraping all
		// the time instead would measure the scrapes: at 100,000 KPIs
		// inflating and searching a page takes the benchmark longer than
		// the daemon takes to render it, on the same two cores.
		// Prometheus scrapes meanwhile, every second, with gzip: what it
		// costs the daemon counts in its peak.
		stopScraping := scrapeEverySecond(addr)
		var allRead time.Time
		for allRead.IsZero() {
			select {
			case at := <-rendered:
				if shows(b, addr, want) {
					allRead = at
				}
			case <-time.After(2 * time.Minute):
				b.Fatal("the first run was not done and shown within two minutes")
			}
		}
		stopScraping()
		once.Do(func() {}) // firstCall is written
		api.OnCall(nil)
		b.ReportMetric(allRead.Sub(start).Seconds(), "s-until-all-read")
		b.ReportMetric(allRead.Sub(firstCall).Seconds(), "s-from-first-call")
		b.ReportMetric(float64(api.Calls(fakeapi.YouTube)-before), "calls/cycle")
		best, page := bestOf5(b, addr)
		b.ReportMetric(float64(best.Microseconds())/1000, "ms-best-scrape")
		b.ReportMetric(float64(len(page))/1e6, "MB-gzip-scraped")
		b.ReportMetric(vmHWM(cmd.Process.Pid), "peak-RSS-MB")
		// The same bytes served as they are, by a server that does nothing
		// else: what a scrape of a pre-compressed page costs at best.
		static := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(page)
		}))
		bestStatic, _ := bestOf5(b, strings.TrimPrefix(static.URL, "http://"))
		static.Close()
		b.ReportMetric(float64(bestStatic.Microseconds())/1000, "ms-best-static")
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
}

// watchLog passes cmd's warnings and errors, and the line that says how long
// the collection took, on to the benchmark's output. Once the YouTube
// channel's first collection is done, it sends the time it read each line
// that says the metrics were rendered.
func watchLog(b *testing.B, cmd *exec.Cmd) <-chan time.Time {
	out, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	rendered := make(chan time.Time, 100)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		collected := false
		for sc.Scan() {
			line := sc.Text()
			switch {
			case !collected && strings.Contains(line, `msg="collection done"`) && strings.Contains(line, "channel=youtube"):
				collected = true
			case collected && strings.Contains(line, `msg="metrics rendered"`):
				select {
				case rendered <- time.Now():
				default:
				}
			}
			if strings.Contains(line, "collection done") || !strings.Contains(line, "level=DEBUG") && !strings.Contains(line, "level=INFO") {
				fmt.Fprintln(os.Stderr, line)
			}
		}
	}()
	return rendered
}

// fillHistory stores the runs of the last days, one every interval, of N
// channels with three metrics each, as the YouTube collector stores them.
func fillHistory(b *testing.B, dir string, days int, every time.Duration) {
	st, err := store.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	var readings int
	for at := now.Add(-time.Duration(days) * 24 * time.Hour); at.Before(now); at = at.Add(every) {
		run := store.Run{Channel: "youtube", Time: at, Success: true}
		h := float64(at.Unix() / 3600)
		for i := 1; i <= N; i++ {
			account := fmt.Sprintf("UCgen%d", i)
			run.Readings = append(run.Readings,
				store.Reading{Account: account, Metric: "subscribers", Value: float64(i) + h/10},
				store.Reading{Account: account, Metric: "views", Value: float64(i) + h},
				store.Reading{Account: account, Metric: "videos", Value: float64(i) + h/100})
		}
		if err := st.SaveRun(context.Background(), run); err != nil {
			b.Fatal(err)
		}
		readings += len(run.Readings)
	}
	if fi, _ := os.Stat(filepath.Join(dir, store.FileName)); fi != nil {
		b.Logf("history: %d readings, %.1f MB", readings, float64(fi.Size())/1e6)
	}
}

// fetch scrapes /metrics as Prometheus asks (gzip) and returns the bytes
// received; the time it takes is the server's answer, not the decompression.
func fetch(b *testing.B, addr string) []byte {
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1")
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	return page
}

// scrapeEverySecond scrapes addr's /metrics with gzip every second, reading
// each answer whole, until the function it returns is called. A daemon not
// listening yet is asked again a second later.
func scrapeEverySecond(addr string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
			req.Header.Set("Accept-Encoding", "gzip")
			if resp, err := client.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}()
	return func() { close(done); <-finished }
}

// bestOf5 is the quickest of five scrapes of addr, and the last page.
func bestOf5(b *testing.B, addr string) (time.Duration, []byte) {
	best := time.Hour
	var page []byte
	for range 5 {
		t := time.Now()
		page = fetch(b, addr)
		best = min(best, time.Since(t))
	}
	return best, page
}

// shows scrapes /metrics with gzip and reports whether the page has a line
// that starts with line; it reads the text only until that line.
func shows(b *testing.B, addr, line string) bool {
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), line) {
			return true
		}
	}
	return false
}

func vmHWM(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func freeAddr(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
