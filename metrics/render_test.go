package metrics

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/prometheus/client_golang/prometheus"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/expfmt"

	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// viaClientGolang renders the way promhttp would: Gather, then expfmt.
func viaClientGolang(t testing.TB, snap *snapshot.Snapshot, extra ...prometheus.Collector) []byte {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewExporter(func() *snapshot.Snapshot { return snap }))
	reg.MustRegister(extra...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// bigSnapshot has n KPIs with awkward labels: quotes, backslashes, newlines.
func bigSnapshot(n int) *snapshot.Snapshot {
	s := sampleSnapshot()
	s.KPIs, s.Accounts = nil, snapshot.AccountValues{}
	views := &snapshot.ChannelMetric{Channel: "youtube", Metric: "views"}
	for i := range n {
		s.KPIs = append(s.KPIs, snapshot.KPIState{
			KPI: &snapshot.KPI{Name: fmt.Sprintf("kpi_%05d", n-i), Channel: "youtube", Account: fmt.Sprintf("UC\"odd\\%d\n", i%7), Metric: "subscribers"},
			Evaluation: plan.Evaluation{Status: vocab.Statuses[i%6], HasValue: i%3 != 0, Value: float64(i) * 1.5, Expected: 1e7 / float64(i+1),
				HasTarget: true, Target: 1e9, Due: time.Unix(1798758000, 0), HasProgress: i%2 == 0, Progress: 0.1 * float64(i%13),
				HasPace: true, Forecast: float64(i) * 1e-9, DailyGrowth: -3, HasRequired: true, RequiredDailyGrowth: 1e21},
		})
		s.Accounts.Series = append(s.Accounts.Series, snapshot.SeriesName{ChannelMetric: views, Account: fmt.Sprintf("UC%d", i)})
		s.Accounts.Values = append(s.Accounts.Values, float64(i))
	}
	s.Quarantined = []snapshot.QuarantinedSeries{{Channel: "blog", Account: "https://blog.example/feed.xml", Metric: "posts", Days: 1}, {Channel: "youtube", Account: "UC\"odd\\1\n", Metric: "views", Days: 3}}
	return s
}

// The fast renderer writes exactly what client_golang writes.
func TestRenderMatchesClientGolang(t *testing.T) {
	build := versioncollector.NewCollector("kpi_collector")
	for _, snap := range []*snapshot.Snapshot{sampleSnapshot(), bigSnapshot(500)} {
		want := viaClientGolang(t, snap, build)
		r, err := Render(snap, build)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(r.Text(), want) {
			t.Fatalf("the rendered exposition differs from client_golang's:\n%s", firstDiff(r.Text(), want))
		}
		zr, err := gzip.NewReader(bytes.NewReader(r.Gzip()))
		if err != nil {
			t.Fatal(err)
		}
		unzipped, _ := io.ReadAll(zr)
		if !bytes.Equal(unzipped, want) {
			t.Error("the gzipped exposition is not the text")
		}
	}
}

func firstDiff(a, b []byte) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			lo := max(0, i-200)
			return fmt.Sprintf("at byte %d:\n got …%s\nwant …%s", i, a[lo:min(len(a), i+100)], b[lo:min(len(b), i+100)])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(a), len(b))
}

// The handler serves the same exposition plain and gzipped, live families
// in their place by name.
func TestHandlerPlainAndGzip(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	live := prometheus.NewRegistry()
	live.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "go_test_value", Help: "before the KPIs"}, func() float64 { return 1 }))
	live.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "process_test_value", Help: "after the KPIs"}, func() float64 { return 2 }))
	srv := httptest.NewServer(Handler(NewCache(sampleSnapshot, logger), live, logger))
	defer srv.Close()
	get := func(gz bool) []byte {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body := io.Reader(resp.Body)
		if gz {
			if resp.Header.Get("Content-Encoding") != "gzip" {
				t.Fatal("no gzip")
			}
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		return b
	}
	plain, unzipped := get(false), get(true)
	if !bytes.Equal(plain, unzipped) {
		t.Error("gzipped and plain expositions differ")
	}
	want := append(append([]byte("# HELP go_test_value before the KPIs\n# TYPE go_test_value gauge\ngo_test_value 1\n"),
		viaClientGolang(t, sampleSnapshot())...), "# HELP process_test_value after the KPIs\n# TYPE process_test_value gauge\nprocess_test_value 2\n"...)
	if !bytes.Equal(plain, want) {
		t.Errorf("served:\n%s", firstDiff(plain, want))
	}
}

// The cache renders a snapshot once, renders again when another is
// published, and does not keep a snapshot alive once the engine has let it
// go: at 100,000 KPIs a snapshot is about 70 MB.
func TestCacheRendersEachSnapshotOnce(t *testing.T) {
	current := sampleSnapshot()
	cache := NewCache(func() *snapshot.Snapshot { return current }, slog.New(slog.DiscardHandler))
	first := cache.Get()
	if again := cache.Refresh(); again != first {
		t.Error("the same snapshot was rendered again")
	}
	old := weak.Make(current)
	next := *current
	next.Plan.Name = "renamed"
	current = &next
	second := cache.Refresh()
	if second == first || !second.Of(current) || first.Of(current) {
		t.Fatal("a new snapshot was not rendered anew")
	}
	if !bytes.Contains(second.Text(), []byte(`plan="renamed"`)) {
		t.Error("the new rendering does not show the new snapshot")
	}
	runtime.GC()
	runtime.GC()
	if old.Value() != nil {
		t.Error("the cache keeps a snapshot the engine let go")
	}
	runtime.KeepAlive(first)
}

// Each new rendering is logged at debug level with its duration and size
// (what the daemon benchmark waits for); the same snapshot is not rendered,
// nor logged, twice.
func TestCacheLogsEachRendering(t *testing.T) {
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	current := sampleSnapshot()
	cache := NewCache(func() *snapshot.Snapshot { return current }, logger)
	r := cache.Get()
	cache.Refresh()
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `msg="metrics rendered"`) || !strings.Contains(lines[0], fmt.Sprintf("gzip_bytes=%d", len(r.Piece.Deflate))) || !strings.Contains(lines[0], "duration=") {
		t.Errorf("log after rendering one snapshot:\n%s", log.String())
	}
}
