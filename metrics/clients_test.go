package metrics

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	promcollectors "github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kpi-collector/kpi-collector/internal/browsertest"
	"github.com/kpi-collector/kpi-collector/internal/testtool"
	"github.com/kpi-collector/kpi-collector/snapshot"
)

// metricsServer serves /metrics for a snapshot of 1,000 KPIs (a page of
// about 80 kB compressed, many deflate blocks) with the real Go
// and process families around it, and the page as it should read.
func metricsServer(t *testing.T) (*httptest.Server, []byte) {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	live := prometheus.NewRegistry()
	live.MustRegister(promcollectors.NewGoCollector(), promcollectors.NewProcessCollector(promcollectors.ProcessCollectorOpts{}))
	snap, want := bigPage(t)
	srv := httptest.NewServer(Handler(NewCache(func() *snapshot.Snapshot { return snap }, logger), live, logger))
	t.Cleanup(srv.Close)
	return srv, want
}

// bigPage is a snapshot of 1,000 KPIs and its exposition, made once for
// all the tests that serve it.
var bigPage = func() func(testing.TB) (*snapshot.Snapshot, []byte) {
	var once sync.Once
	var snap *snapshot.Snapshot
	var want []byte
	return func(t testing.TB) (*snapshot.Snapshot, []byte) {
		once.Do(func() {
			snap = bigSnapshot(1000)
			want = viaClientGolang(t, snap)
		})
		return snap, want
	}
}()

// checkPage checks that a page read by some client holds the whole
// exposition: every KPI series, and the live families on either side.
func checkPage(t *testing.T, client string, page, kpis []byte) {
	t.Helper()
	switch {
	case !bytes.Contains(page, kpis):
		t.Errorf("%s read %d bytes, without the whole KPI exposition (%d bytes) in them", client, len(page), len(kpis))
	case !bytes.Contains(page, []byte("\ngo_goroutines ")) || !bytes.Contains(page, []byte("\nprocess_")):
		t.Errorf("%s read no Go or process families", client)
	}
}

// Asked for gzip, /metrics is one gzip member: a reader that stops at the
// end of the first member (as curl, wget and browsers do) reads the whole
// page, the trailer's CRC-32 and length check, and nothing follows.
func TestGzipIsOneMember(t *testing.T) {
	srv, kpis := metricsServer(t)
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatal("not gzipped")
	}
	if resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("Vary %q: a cache in front would serve gzip to clients that did not ask", resp.Header.Get("Vary"))
	}
	br := bytes.NewReader(body)
	zr, err := gzip.NewReader(br)
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	page, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("the first member: %v", err)
	}
	if br.Len() != 0 {
		t.Errorf("%d of %d bytes follow the first gzip member", br.Len(), len(body))
	}
	checkPage(t, "Go's gzip reader, one member", page, kpis)
}

// curl --compressed reads the whole page and exits 0.
func TestGzipInCurl(t *testing.T) {
	curl := testtool.Path(t, "curl", "curl")
	srv, kpis := metricsServer(t)
	var out, errs bytes.Buffer
	cmd := exec.Command(curl, "--silent", "--show-error", "--fail", "--compressed", srv.URL)
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("curl --compressed: %v: %s", err, errs.String())
	}
	checkPage(t, "curl --compressed", out.Bytes(), kpis)
}

// wget --compression=gzip keeps the whole page.
func TestGzipInWget(t *testing.T) {
	wget := testtool.Path(t, "wget", "wget")
	srv, kpis := metricsServer(t)
	file := filepath.Join(t.TempDir(), "metrics")
	if out, err := exec.Command(wget, "--quiet", "--compression=gzip", "-O", file, srv.URL).CombinedOutput(); err != nil {
		t.Fatalf("wget --compression=gzip: %v: %s", err, out)
	}
	page, _ := os.ReadFile(file)
	checkPage(t, "wget --compression=gzip", page, kpis)
}

// Python's zlib, asked for a gzip stream, reaches the end of the member
// with nothing left over: one member, its trailer right.
func TestGzipInPythonZlib(t *testing.T) {
	python := testtool.Path(t, "python3", "python3")
	srv, kpis := metricsServer(t)
	const script = `
import sys, urllib.request, zlib
req = urllib.request.Request(sys.argv[1], headers={"Accept-Encoding": "gzip"})
with urllib.request.urlopen(req) as resp:
    assert resp.headers["Content-Encoding"] == "gzip", resp.headers
    body = resp.read()
d = zlib.decompressobj(16 + zlib.MAX_WBITS)
page = d.decompress(body) + d.flush()
if not d.eof:
    sys.exit("the gzip stream ends before its trailer")
if d.unused_data != b"":
    sys.exit("%d bytes follow the first gzip member" % len(d.unused_data))
sys.stdout.buffer.write(page)
`
	var out, errs bytes.Buffer
	cmd := exec.Command(python, "-c", script, srv.URL)
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("python3: %v: %s", err, errs.String())
	}
	checkPage(t, "Python's zlib", out.Bytes(), kpis)
}

// Chromium opening /metrics (it asks for gzip) shows the KPI series.
func TestGzipInChromium(t *testing.T) {
	browser := browsertest.Path(t)
	srv, _ := metricsServer(t)
	var dom, logs strings.Builder
	cmd := exec.Command(browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
		"--user-data-dir="+filepath.Join(t.TempDir(), "profile"), "--dump-dom", srv.URL)
	cmd.Stdout, cmd.Stderr = &dom, &logs
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium --dump-dom: %v\n%s", err, logs.String())
	}
	for _, want := range []string{"\nkpi_value{account=", "\nkpi_status{account=", "\nkpi_plan_info{", "\nprocess_"} {
		if !strings.Contains(dom.String(), want) {
			t.Errorf("the page as Chromium shows it has no %q (%d bytes)", strings.TrimSpace(want), dom.Len())
		}
	}
}

// Accept-Encoding is read as RFC 9110 says: a weight of 0 refuses a
// coding, "*" stands for any coding not named.
func TestAcceptsGzip(t *testing.T) {
	for _, tc := range []struct {
		headers []string
		want    bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"GZIP"}, true},
		{[]string{"x-gzip"}, true},
		{[]string{"gzip, deflate, br, zstd"}, true},
		{[]string{"identity"}, false},
		{[]string{"gzip;q=0, identity"}, false},
		{[]string{"gzip; q=0"}, false},
		{[]string{"gzip;q=0.000"}, false},
		{[]string{"gzip;q=0.001"}, true},
		{[]string{"gzip;q=1"}, true},
		{[]string{"gzip;q=nonsense"}, false},
		{[]string{"*"}, true},
		{[]string{"*;q=0"}, false},
		{[]string{"gzip;q=0, *"}, false},
		{[]string{"*;q=0, gzip;q=0.5"}, true},
		{[]string{"br", "gzip"}, true},
		{[]string{"gzip", "gzip;q=0"}, true},
		{[]string{"nogzip"}, false},
	} {
		if got := acceptsGzip(tc.headers); got != tc.want {
			t.Errorf("Accept-Encoding %q: gzip %v, want %v", tc.headers, got, tc.want)
		}
	}
}

// A client that refuses gzip with q=0 gets the plain text.
func TestGzipRefusedWithQZero(t *testing.T) {
	srv, kpis := metricsServer(t)
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Accept-Encoding", "gzip;q=0, identity")
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if ce := resp.Header.Get("Content-Encoding"); ce != "" {
		t.Fatalf("Content-Encoding %q for a client that refuses gzip", ce)
	}
	if resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("Vary %q on the plain answer", resp.Header.Get("Vary"))
	}
	checkPage(t, "a client refusing gzip", page, kpis)
}
