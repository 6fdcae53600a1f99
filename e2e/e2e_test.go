package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

const (
	youtubeKey  = "AIzaSy-e2e-secret-key"
	recordToken = "e2e-record-token"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kpi-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "collector")
	build := exec.Command("go", "build", "-o", binary, "../cmd/collector")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the collector: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// apis fakes the YouTube Data API, a blog feed and the Bluesky AppView in the
// documented shapes: string counts, no items key when nothing matches, the
// 403 quotaExceeded body.
type apis struct {
	*httptest.Server
	failing atomic.Bool
}

func newAPIs(t *testing.T) *apis {
	a := &apis{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		if a.failing.Load() {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"error":{"code":403,"message":"The request cannot be completed because you have exceeded your \u003ca href=\"/youtube/v3/getting-started#quota\"\u003equota\u003c/a\u003e.","errors":[{"message":"quota","domain":"youtube.quota","reason":"quotaExceeded"}]}}`)
			return
		}
		switch r.URL.Path {
		case "/youtube/v3/channels":
			if r.Header.Get("X-Goog-Api-Key") != youtubeKey {
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","errors":[{"message":"API key not valid. Please pass a valid API key.","domain":"global","reason":"badRequest"}],"status":"INVALID_ARGUMENT"}}`)
				return
			}
			ids := strings.Join(r.URL.Query()["id"], ",")
			var items []string
			if strings.Contains(ids, "UC_x5XG1OV2P6uZZ5FSM9Ttw") {
				items = append(items, `{"kind":"youtube#channel","id":"UC_x5XG1OV2P6uZZ5FSM9Ttw","statistics":{"viewCount":"254851364","subscriberCount":"2510000","hiddenSubscriberCount":false,"videoCount":"6612"}}`)
			}
			if strings.Contains(ids, "UCHiddenSubs000000000000") {
				items = append(items, `{"kind":"youtube#channel","id":"UCHiddenSubs000000000000","statistics":{"viewCount":"120034","hiddenSubscriberCount":true,"videoCount":"42"}}`)
			}
			if len(items) == 0 {
				io.WriteString(w, `{"kind":"youtube#channelListResponse","etag":"x","pageInfo":{"totalResults":0,"resultsPerPage":0}}`)
				return
			}
			fmt.Fprintf(w, `{"kind":"youtube#channelListResponse","items":[%s]}`, strings.Join(items, ","))
		case "/feed.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Acme</title>
<item><guid>p1</guid><pubDate>Mon, 15 Jun 2026 09:00:00 GMT</pubDate></item>
<item><guid>p2</guid><pubDate>Thu, 02 Jul 2026 09:00:00 GMT</pubDate></item>
<item><guid>p3</guid><pubDate>Tue, 08 Sep 2026 09:00:00 GMT</pubDate></item>
<item><guid>p4</guid><pubDate>Tue, 03 Nov 2026 09:00:00 GMT</pubDate></item>
</channel></rss>`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(a.Close)
	return a
}

func writeConfig(t *testing.T, dir, apiURL string) string {
	t.Helper()
	cfg := fmt.Sprintf(`plan:
  name: e2e-plan
  goal: brand_awareness
  timezone: Europe/Stockholm
  start: 2026-07-01
  end: 2026-12-31
channels:
  youtube:
    type: youtube
    schedule: "@every 1h"
    api_url: %[1]s/
    credentials: { api_key: "${E2E_YOUTUBE_KEY}" }
    accounts: [UC_x5XG1OV2P6uZZ5FSM9Ttw, UCHiddenSubs000000000000, UCgoneGoneGone0000000000]
  blog:
    type: feed
    accounts: [%[1]s/feed.xml]
  offline:
    type: manual
    credentials: { token: "${E2E_RECORD_TOKEN}" }
kpis:
  - name: youtube_subscribers
    channel: youtube
    account: UC_x5XG1OV2P6uZZ5FSM9Ttw
    metric: subscribers
    milestones: [{ due: 2026-09-30, target: 1000000 }]
  - name: hidden_subscribers
    channel: youtube
    account: UCHiddenSubs000000000000
    metric: subscribers
    milestones: [{ due: 2026-12-31, target: 1000 }]
  - name: hidden_views
    channel: youtube
    account: UCHiddenSubs000000000000
    metric: views
    baseline: 0
    milestones: [{ due: 2026-12-31, target: 100000000 }]
  - name: blog_articles
    channel: blog
    metric: posts
    count: growth
    milestones: [{ due: 2026-12-31, target: 3 }]
  - name: new_relationships
    channel: offline
    metric: relationships
    count: growth
    milestones: [{ due: 2026-12-31, target: 100 }]
`, apiURL)
	path := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// daemon is a running collector.
type daemon struct {
	cmd  *exec.Cmd
	addr string
	logs *syncBuffer
	done chan error
}

// syncBuffer is a bytes.Buffer the process writes while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func env() []string {
	return append(os.Environ(), "E2E_YOUTUBE_KEY="+youtubeKey, "E2E_RECORD_TOKEN="+recordToken)
}

func start(t *testing.T, configFile, storage string) *daemon {
	t.Helper()
	return startAt(t, freeAddr(t), configFile, storage)
}

// startAt starts the daemon listening on addr, with extra flags, and waits
// until it is ready. It lets POST /-/reload reload (--web.enable-lifecycle),
// as the tests of reloads post it.
func startAt(t *testing.T, addr, configFile, storage string, extra ...string) *daemon {
	t.Helper()
	return startAs(t, "", "", addr, configFile, storage, extra...)
}

// startAs is startAt for a daemon behind basic auth (--web.config.file):
// user and password, where given, ask whether it is ready.
func startAs(t *testing.T, user, password, addr, configFile, storage string, extra ...string) *daemon {
	t.Helper()
	d := &daemon{addr: addr, logs: &syncBuffer{}, done: make(chan error, 1)}
	d.cmd = exec.Command(binary, append([]string{"--config.file=" + configFile, "--storage.path=" + storage, "--web.listen-address=" + d.addr, "--log.level=debug", "--web.enable-lifecycle"}, extra...)...)
	d.cmd.Env = env()
	d.cmd.Stdout, d.cmd.Stderr = d.logs, d.logs
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.done <- d.cmd.Wait() }()
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			d.cmd.Process.Kill()
			<-d.done
		}
		if t.Failed() {
			t.Logf("collector logs:\n%s", d.logs)
		}
	})
	waitFor(t, "ready", func() bool {
		req, _ := http.NewRequest(http.MethodGet, "http://"+d.addr+"/-/ready", nil)
		if user != "" {
			req.SetBasicAuth(user, password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return d
}

func (d *daemon) stop(t *testing.T) {
	t.Helper()
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.done:
		if err != nil {
			t.Errorf("the collector exited with %v after SIGTERM, want 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the collector did not stop within 15s of SIGTERM")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// scrape fetches /metrics and returns the raw text and the parsed families.
func (d *daemon) scrape(t *testing.T) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	resp, err := http.Get("http://" + d.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return string(raw), mfs
}

// value returns the sample of name whose labels include want, and whether it exists.
func value(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	mf, ok := mfs[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		if m.GetGauge() != nil {
			return m.GetGauge().GetValue(), true
		}
		return m.GetCounter().GetValue(), true
	}
	return 0, false
}

func status(mfs map[string]*dto.MetricFamily, kpi string) string {
	for _, st := range []string{"no_data", "met", "missed", "behind", "ahead", "on_track"} {
		if v, _ := value(mfs, "kpi_status", map[string]string{"kpi": kpi, "status": st}); v == 1 {
			return st
		}
	}
	return "none"
}

func TestEndToEnd(t *testing.T) {
	a := newAPIs(t)
	dir := t.TempDir()
	configFile := writeConfig(t, dir, a.URL)
	storage := filepath.Join(dir, "data")

	d := start(t, configFile, storage)
	var mfs map[string]*dto.MetricFamily
	var raw string
	waitFor(t, "both channels' first runs", func() bool {
		raw, mfs = d.scrape(t)
		_, yt := value(mfs, "kpi_collection_success", map[string]string{"channel": "youtube"})
		_, blog := value(mfs, "kpi_collection_success", map[string]string{"channel": "blog"})
		return yt && blog
	})

	checks := []struct {
		name   string
		metric string
		labels map[string]string
		want   float64
	}{
		{"string counts are numbers", "kpi_value", map[string]string{"kpi": "youtube_subscribers"}, 2510000},
		{"every value read is exported", "kpi_account_value", map[string]string{"channel": "youtube", "account": "UCHiddenSubs000000000000", "metric": "views"}, 120034},
		{"feed growth counts the posts since plan start by their dates", "kpi_value", map[string]string{"kpi": "blog_articles"}, 3},
		{"the feed's posts are every item known", "kpi_account_value", map[string]string{"channel": "blog", "metric": "posts"}, 4},
		{"a missing id fails the youtube run", "kpi_collection_success", map[string]string{"channel": "youtube"}, 0},
		{"and is counted as not found", "kpi_collection_errors_total", map[string]string{"channel": "youtube", "reason": "not_found"}, 1},
		{"the blog run succeeds", "kpi_collection_success", map[string]string{"channel": "blog"}, 1},
		{"one youtube call for three ids", "kpi_api_requests_total", map[string]string{"channel": "youtube", "code": "200"}, 1},
		{"the quota spent", "kpi_api_quota_used", map[string]string{"channel": "youtube"}, 1},
		{"the plan", "kpi_plan_info", map[string]string{"plan": "e2e-plan", "goal": "brand_awareness", "start": "2026-07-01", "end": "2026-12-31"}, 1},
		{"the config loaded", "kpi_config_last_reload_successful", nil, 1},
	}
	for _, c := range checks {
		if got, ok := value(mfs, c.metric, c.labels); !ok || got != c.want {
			t.Errorf("%s: %s%v = %v (present %v), want %v", c.name, c.metric, c.labels, got, ok, c.want)
		}
	}
	if _, ok := value(mfs, "kpi_value", map[string]string{"kpi": "hidden_subscribers"}); ok {
		t.Error("a hidden subscriber count was exported as a value; it is unknown")
	}
	// ... and it says so where people look: the page and the JSON API.
	for path, want := range map[string]string{
		"/":            "no reading: the count is hidden by the account",
		"/api/v1/kpis": `"note": "subscribers hidden by the account"`,
		"/?":           "read in steps of 10000: YouTube rounds subscriber counts above 1,000 to three significant figures",
	} {
		resp, err := http.Get("http://" + d.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), want) {
			t.Errorf("%s does not say %q", path, want)
		}
	}
	for kpi, want := range map[string]string{
		"youtube_subscribers": "met", "hidden_subscribers": "no_data", "hidden_views": "behind", "blog_articles": "met", "new_relationships": "no_data",
	} {
		if got := status(mfs, kpi); got != want {
			t.Errorf("status of %s = %s, want %s", kpi, got, want)
		}
	}
	if strings.Contains(raw, youtubeKey) || strings.Contains(raw, recordToken) {
		t.Error("/metrics shows a secret")
	}
	promtoolCheck(t, raw)

	// A manual reading recorded with the command line while the daemon runs.
	rec := exec.Command(binary, "record", "--config.file="+configFile, "--storage.path="+storage,
		"--channel=offline", "--metric=relationships", "--add=7")
	rec.Env = env()
	if out, err := rec.CombinedOutput(); err != nil {
		t.Fatalf("collector record: %v\n%s", err, out)
	}
	waitFor(t, "the recorded value on /metrics", func() bool {
		_, mfs = d.scrape(t)
		v, ok := value(mfs, "kpi_value", map[string]string{"kpi": "new_relationships"})
		return ok && v == 7
	})

	// The report reads the same store.
	report := exec.Command(binary, "report", "--config.file="+configFile, "--storage.path="+storage, "--format=csv")
	report.Env = env()
	out, err := report.Output()
	if err != nil {
		t.Fatalf("collector report: %v", err)
	}
	if !strings.HasPrefix(string(out), "kpi,channel,account,metric,value,expected,target,due,status,progress,forecast,note,advice,posts_in_window,versus\n") ||
		!strings.Contains(string(out), "youtube_subscribers,youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,2510000,") ||
		!strings.Contains(string(out), ",no_data,,,subscribers hidden by the account,,,\n") {
		t.Errorf("report CSV:\n%s", out)
	}
	// The HTML report from the same store: a chart per KPI, every KPI named.
	htmlReport := exec.Command(binary, "report", "--config.file="+configFile, "--storage.path="+storage, "--format=html")
	htmlReport.Env = env()
	out, err = htmlReport.Output()
	if err != nil {
		t.Fatalf("collector report --format=html: %v", err)
	}
	if n := strings.Count(string(out), "<svg "); n != strings.Count(string(out), `<div class="kpi">`) || n == 0 ||
		!strings.Contains(string(out), "<h3>youtube_subscribers</h3>") || strings.Contains(string(out), "<script") {
		t.Errorf("report HTML: %d charts\n%s", n, out)
	}
	d.stop(t)

	// Restart with every API failing: the stored values are served at once,
	// and the failure shows.
	a.failing.Store(true)
	d = start(t, configFile, storage)
	_, mfs = d.scrape(t)
	for kpi, want := range map[string]float64{"youtube_subscribers": 2510000, "blog_articles": 3, "new_relationships": 7} {
		if got, ok := value(mfs, "kpi_value", map[string]string{"kpi": kpi}); !ok || got != want {
			t.Errorf("after a restart %s = %v (present %v), want the stored %v", kpi, got, ok, want)
		}
	}
	waitFor(t, "the failing runs", func() bool {
		_, mfs = d.scrape(t)
		v, _ := value(mfs, "kpi_collection_errors_total", map[string]string{"channel": "youtube", "reason": "quota"})
		return v >= 1
	})
	if got, _ := value(mfs, "kpi_value", map[string]string{"kpi": "youtube_subscribers"}); got != 2510000 {
		t.Errorf("after a failed run the value is %v, want the last good 2510000", got)
	}
	if got, _ := value(mfs, "kpi_collection_success", map[string]string{"channel": "youtube"}); got != 0 {
		t.Error("a failing channel shows success")
	}
	if strings.Contains(d.logs.String(), youtubeKey) || strings.Contains(d.logs.String(), recordToken) {
		t.Error("the logs show a secret")
	}
	d.stop(t)
}

// promtoolCheck runs `promtool check metrics` where promtool is installed
// (CI installs it); it must find nothing to say.
func promtoolCheck(t *testing.T, exposition string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is not installed; CI must install Debian's prometheus package")
		}
		t.Log("promtool not installed; skipping `promtool check metrics`")
		return
	}
	cmd := exec.CommandContext(context.Background(), path, "check", "metrics")
	cmd.Stdin = strings.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	good := writeConfig(t, dir, "http://127.0.0.1:1")
	cmd := exec.Command(binary, "check", "--config.file="+good)
	cmd.Env = env()
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "is valid") {
		t.Errorf("check of a good config: %v\n%s", err, out)
	}
	data, _ := os.ReadFile(good)
	bad := filepath.Join(dir, "bad.yml")
	os.WriteFile(bad, bytes.Replace(data, []byte("goal: brand_awareness"), []byte("goal: [brand_awareness, seo]"), 1), 0o600)
	cmd = exec.Command(binary, "check", "--config.file="+bad)
	cmd.Env = env()
	out, err := cmd.CombinedOutput()
	if code := exitCode(err); code != 1 || !strings.Contains(string(out), bad+":3: plan.goal: a plan has exactly one goal") {
		t.Errorf("check of a config with two goals: exit %d\n%s", code, out)
	}
	// A target finer than YouTube shows the count is warned about, with its
	// line; the file is still valid.
	fine := filepath.Join(dir, "fine.yml")
	os.WriteFile(fine, bytes.Replace(data, []byte("target: 1000000 }"), []byte("target: 1000050 }"), 1), 0o600)
	cmd = exec.Command(binary, "check", "--config.file="+fine)
	cmd.Env = env()
	out, err = cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "is valid") || !strings.Contains(string(out), fine+":25: kpis.youtube_subscribers: target 1000050 (due 2026-09-30) is finer than the API shows") {
		t.Errorf("check of a target finer than the API's rounding: %v\n%s", err, out)
	}
	// Without the environment the credentials are missing: said, not printed.
	cmd = exec.Command(binary, "check", "--config.file="+good)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err = cmd.CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), "E2E_YOUTUBE_KEY is not set") {
		t.Errorf("check without the environment: %v\n%s", err, out)
	}
}

func TestOnceCommand(t *testing.T) {
	a := newAPIs(t)
	dir := t.TempDir()
	configFile := writeConfig(t, dir, a.URL)
	cmd := exec.Command(binary, "once", "--config.file="+configFile, "--storage.path="+filepath.Join(dir, "data"))
	cmd.Env = env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	// One id is gone, so the youtube channel fails: exit 1, and the rest is printed.
	if exitCode(err) != 1 {
		t.Errorf("once with a missing account: exit %d, want 1", exitCode(err))
	}
	var lines []string
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	for _, want := range []string{"youtube\tUC_x5XG1OV2P6uZZ5FSM9Ttw\tsubscribers\t2510000", "youtube\tUC_x5XG1OV2P6uZZ5FSM9Ttw\tviews\t254851364", "youtube\tUCHiddenSubs000000000000\tviews\t120034", "blog\t" + a.URL + "/feed.xml\tposts\t4"} {
		found := false
		for _, l := range lines {
			found = found || l == want
		}
		if !found {
			t.Errorf("once did not print %q:\n%s", want, stdout.String())
		}
	}
	if !strings.Contains(stderr.String(), "not_found for UCgoneGoneGone0000000000") {
		t.Errorf("once did not report the missing account:\n%s", stderr.String())
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}
