package web

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/engine"
	"github.com/kpi-collector/kpi-collector/metrics"
	"github.com/kpi-collector/kpi-collector/peers"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/store"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// kpiYAML is a plan whose KPI names need escaping in a path and in HTML.
const kpiYAML = `
plan: {name: acme, goal: networking, timezone: Europe/Stockholm, start: 2026-07-01, end: 2026-12-31}
channels:
  offline:
    type: manual
    credentials: {token: ` + token + `}
kpis:
  - {name: relationships, channel: offline, metric: relationships, count: growth, milestones: [{due: 2026-07-31, target: 5}, {due: 2026-09-30, target: 12}, {due: 2026-12-31, target: 20}]}
  - {name: "guest posts/month <b>?#", channel: offline, metric: guest_posts, count: total, baseline: 0, milestones: [{due: 2026-08-31, target: 3}]}
  - {name: "..", channel: offline, metric: talks, count: total, baseline: 0, milestones: [{due: 2026-08-31, target: 3}]}
`

// newKPIServer serves kpiYAML on 2026-10-20 with relationships recorded by
// hand over the months before.
func newKPIServer(t *testing.T) *httptest.Server {
	t.Helper()
	cfg, err := config.Load("test.yml", []byte(kpiYAML), collectors.Types())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := engine.New(st, cfg, collectors.Types(), logger)
	loc, _ := time.LoadLocation("Europe/Stockholm")
	e.SetClock(func() time.Time { return time.Date(2026, 10, 20, 12, 0, 0, 0, loc) })
	if err := e.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		m    time.Month
		d    int
		add  float64
		kind string
	}{{7, 3, 1, "relationships"}, {7, 20, 2, "relationships"}, {8, 14, 3, "relationships"}, {9, 2, 2, "relationships"}, {10, 12, 1, "relationships"}, {8, 1, 2, "guest_posts"}} {
		m := vocab.ManualReading{Channel: "offline", Metric: r.kind, Value: r.add, Add: true, Time: time.Date(2026, r.m, r.d, 15, 30, 0, 0, loc), Backdated: true}
		if _, err := e.Record(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{Engine: e, Metrics: metrics.Handler(metrics.NewCache(e.Snapshot, logger), prometheus.NewRegistry(), logger), Logger: logger,
		Reload: func(context.Context) error { return nil }}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func TestKPIPage(t *testing.T) {
	srv := newKPIServer(t)
	get := func(path string) (*http.Response, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	// The status page links each KPI's page, its name escaped as a segment.
	_, status := get("/")
	for _, want := range []string{`href="kpi/relationships"`, `href="kpi/guest%20posts%2fmonth%20%3cb%3e%3f%23"`, `href="kpi/%2e%2e"`} {
		if !strings.Contains(strings.ToLower(status), strings.ToLower(want)) {
			t.Errorf("the status page has no link %s", want)
		}
	}
	tests := []struct {
		name     string
		path     string
		wantCode int
		want     []string
	}{
		{"a KPI kept by hand", "/kpi/relationships", 200, []string{
			"<h1 class=\"name\">relationships</h1>", `<span class="status missed">missed</span>`,
			`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 720 320"`, `viewBox="0 0 340 280"`,
			"<title>2026-10-12 15:30: 9 relationships</title>",
			"<title>milestone: 5 relationships by the end of 2026-07-31, reached</title>",
			"<title>milestone: 12 relationships by the end of 2026-09-30, missed</title>",
			"<title>today, 2026-10-20 12:00</title>",
			`<td>2026-09-30</td><td>12</td><td class="m-missed">missed</td>`,
			"<td>2026-10-12 15:30</td><td>9</td>", "<td>2026-07-03 15:30</td><td>1</td>",
			"a day from now meets 2026-12-31", "missed: 12 due by the end of 2026-09-30",
			`href="../static/kpi.css"`,
		}},
		{"a name to escape", "/kpi/" + url.PathEscape("guest posts/month <b>?#"), 200, []string{
			"<h1 class=\"name\">guest posts/month &lt;b&gt;?#</h1>", `aria-label="guest posts/month &lt;b&gt;?#: guest_posts over the plan`,
			"<td>2026-08-01 15:30</td><td>2</td>",
		}},
		{"a name of dots", "/kpi/%2E%2E", 200, []string{"<h1 class=\"name\">..</h1>"}},
		{"an unknown name", "/kpi/nope", 404, []string{"no KPI of that name"}},
		{"an unknown name that looks like markup", "/kpi/" + url.PathEscape("<script>"), 404, []string{"no KPI of that name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(tt.path)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("%s: %d, want %d\n%s", tt.path, resp.StatusCode, tt.wantCode, body)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); csp != statusPageCSP {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("the page does not show %s", w)
				}
			}
			if strings.Contains(body, "<script") || strings.Contains(body, "<b>") || strings.Contains(body, token) {
				t.Errorf("the page holds a script, unescaped markup or the token:\n%s", body)
			}
			if tt.wantCode != 200 {
				return
			}
			// Each chart is well-formed XML on its own.
			for _, part := range strings.Split(body, "<svg ")[1:] {
				svg := "<svg " + part[:strings.Index(part, "</svg>")+len("</svg>")]
				dec := xml.NewDecoder(strings.NewReader(svg))
				for {
					_, err := dec.Token()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Fatalf("a chart is not well-formed: %v", err)
					}
				}
			}
		})
	}
}

// snapshotEngine serves a fixed snapshot and takes no recording.
type snapshotEngine struct{ snap *snapshot.Snapshot }

func (e snapshotEngine) Snapshot() *snapshot.Snapshot { return e.snap }
func (snapshotEngine) Ready() bool                    { return true }
func (snapshotEngine) TokenKnown(string) bool         { return false }
func (snapshotEngine) RecordingShard(string, string, string) (int, error) {
	return -1, vocab.ErrWrongToken
}
func (snapshotEngine) Record(context.Context, vocab.ManualReading) (vocab.ManualReading, error) {
	return vocab.ManualReading{}, vocab.ErrWrongToken
}

// On a replica of a sharded plan, a KPI of another shard has its page too;
// while a shard does not answer, a name not found here may be its, and is
// not called unknown.
func TestKPIPageOfAnotherShard(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Stockholm")
	frame := snapshot.Snapshot{At: time.Date(2026, 10, 20, 12, 0, 0, 0, loc),
		Plan: snapshot.PlanInfo{Name: "acme", Goal: "networking", Timezone: "Europe/Stockholm", Start: "2026-07-01", End: "2026-12-31",
			StartTime: time.Date(2026, 7, 1, 0, 0, 0, 0, loc), EndTime: time.Date(2027, 1, 1, 0, 0, 0, 0, loc), ShardKPIs: []int{1, 1}}}
	local, remote := frame, frame
	local.KPIs = []snapshot.KPIState{{KPI: &snapshot.KPI{Name: "here", Channel: "offline", Metric: "talks", Position: 0}}}
	remote.Plan.ShardIndex = 1
	remote.KPIs = []snapshot.KPIState{{
		KPI: &snapshot.KPI{Name: "over there", Channel: "offline", Metric: "talks", Position: 1, Milestones: []vocab.Milestone{{Due: time.Date(2026, 12, 1, 0, 0, 0, 0, loc), Target: 4}}},
	}}
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { peers.ServePart(w, r, &remote) }))
	defer peer.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range []struct {
		name     string
		peer     string
		path     string
		wantCode int
		want     string
	}{
		{"a KPI of the other shard", peer.URL, "/kpi/over%20there", 200, "milestone: 4 talks by the end of 2026-11-30, next"},
		{"a KPI of this shard", peer.URL, "/kpi/here", 200, "<h1 class=\"name\">here</h1>"},
		{"unknown with every shard answering", peer.URL, "/kpi/nope", 404, "no KPI of that name"},
		{"unknown with a shard away", gone.URL, "/kpi/nope", 503, "shard 1 of the plan did not answer: it may be its"},
		{"this shard's KPI with a shard away", gone.URL, "/kpi/here", 200, "<h1 class=\"name\">here</h1>"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{Engine: snapshotEngine{&local}, Logger: logger, Metrics: http.NotFoundHandler(),
				Shards: &peers.Peers{URLs: []string{"http://127.0.0.1:1", tt.peer}, Self: 0, Client: peers.NewClient(), TTL: -1}}
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			resp, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantCode || !strings.Contains(string(b), tt.want) {
				t.Errorf("%s: %d, want %d with %q:\n%s", tt.path, resp.StatusCode, tt.wantCode, tt.want, b)
			}
		})
	}
}
