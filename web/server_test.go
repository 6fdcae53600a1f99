package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/engine"
	"github.com/kpi-collector/kpi-collector/metrics"
	"github.com/kpi-collector/kpi-collector/store"
)

const token = "record-token-s3cr3t"

const testYAML = `
plan: {name: acme, goal: networking, timezone: Europe/Stockholm, start: 2026-07-01, end: 2026-12-31}
channels:
  offline:
    type: manual
    credentials: {token: ` + token + `}
  notoken:
    type: manual
  events:
    type: manual
    credentials: {token: events-token-0ther}
  blog:
    type: feed
    accounts: [http://127.0.0.1:1/feed.xml]
kpis:
  - {name: relationships, channel: offline, metric: relationships, count: growth, milestones: [{due: 2026-07-31, target: 5}]}
  - {name: guest_posts, channel: notoken, metric: guest_posts, count: total, baseline: 0, milestones: [{due: 2026-08-31, target: 3}]}
  - {name: talks, channel: events, metric: talks, count: total, baseline: 0, milestones: [{due: 2026-08-31, target: 3}]}
  - {name: articles, channel: blog, metric: posts, count: growth, milestones: [{due: 2026-07-31, target: 8}]}
`

func newServer(t testing.TB) (*httptest.Server, *engine.Engine, *bool) {
	t.Helper()
	cfg, err := config.Load("test.yml", []byte(testYAML), collectors.Types())
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
	e.SetClock(func() time.Time { return time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC) })
	if err := e.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	reloadFails := false
	s := &Server{Engine: e, EnableLifecycle: true, Metrics: metrics.Handler(metrics.NewCache(e.Snapshot, logger), prometheus.NewRegistry(), logger), Logger: logger, Reload: func(context.Context) error {
		if reloadFails {
			return errors.New("test.yml:3: plan.goal: \"sales\" is not a goal")
		}
		return nil
	}}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv, e, &reloadFails
}

func post(t testing.TB, url, auth, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if name, value, ok := strings.Cut(auth, ": "); ok {
		req.Header.Set(name, value)
	} else if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestObservations(t *testing.T) {
	srv, e, _ := newServer(t)
	url := srv.URL + "/api/v1/observations"
	bearer := "Bearer " + token
	tests := []struct {
		name     string
		auth     string
		body     string
		wantCode int
		wantText string
	}{
		{"add one", bearer, `{"channel":"offline","metric":"relationships","add":1}`, 200, `"value":1`},
		{"add two more", bearer, `{"channel":"offline","metric":"relationships","add":2,"account":"default"}`, 200, `"value":3`},
		{"set a value at a time", bearer, `{"channel":"offline","metric":"relationships","value":4,"time":"2026-07-10T10:00:00+02:00"}`, 200, `"value":4`},
		{"the token in its own header (basic auth holds Authorization)", "X-KPI-Token: " + token, `{"channel":"offline","metric":"relationships","add":1}`, 200, `"value":4`},
		{"no token", "", `{"channel":"offline","metric":"relationships","add":1}`, 401, "token (its credentials.token) is required"},
		{"a wrong token", "Bearer nope", `{"channel":"offline","metric":"relationships","add":1}`, 401, "token (its credentials.token) is required"},
		{"a wrong token in the header", "X-KPI-Token: nope", `{"channel":"offline","metric":"relationships","add":1}`, 401, "token (its credentials.token) is required"},
		{"a channel without a token takes nothing over HTTP", "Bearer ", `{"channel":"notoken","metric":"guest_posts","add":1}`, 401, "token (its credentials.token) is required"},
		{"another channel's token", bearer, `{"channel":"events","metric":"talks","add":1}`, 403, "is not channel"},
		{"without a token, nothing of the config is told", "", `{"channel":"blog","metric":"posts","add":1}`, 401, "token (its credentials.token) is required"},
		{"without a token, nothing of the body is read", "", `{"channel":`, 401, "token (its credentials.token) is required"},
		{"the zero time is out of range", bearer, `{"channel":"offline","metric":"relationships","add":1,"time":"0001-01-01T00:00:00Z"}`, 400, "out of range"},
		{"a time in the future", bearer, `{"channel":"offline","metric":"relationships","add":1,"time":"2027-01-01T00:00:00Z"}`, 400, "in the future"},
		{"beyond what a count holds", bearer, `{"channel":"offline","metric":"relationships","value":1e308}`, 400, "2^53"},
		{"an add beyond what a count holds", bearer, `{"channel":"offline","metric":"relationships","add":9007199254740992}`, 400, "2^53"},
		{"bad JSON", bearer, `{"channel":`, 400, "not a valid observation"},
		{"an unknown field", bearer, `{"channel":"offline","metric":"relationships","add":1,"extra":true}`, 400, "unknown field"},
		{"a string value", bearer, `{"channel":"offline","metric":"relationships","value":"3"}`, 400, "not a valid observation"},
		{"negative", bearer, `{"channel":"offline","metric":"relationships","value":-1}`, 400, "not negative"},
		{"non-finite", bearer, `{"channel":"offline","metric":"relationships","value":1e999}`, 400, "not a valid observation"},
		{"both value and add", bearer, `{"channel":"offline","metric":"relationships","value":1,"add":1}`, 400, "exactly one"},
		{"neither", bearer, `{"channel":"offline","metric":"relationships"}`, 400, "exactly one"},
		{"unknown channel", bearer, `{"channel":"nope","metric":"relationships","add":1}`, 400, "not in the config"},
		{"not a manual channel", bearer, `{"channel":"blog","metric":"posts","add":1}`, 400, "only manual channels"},
		{"unknown metric", bearer, `{"channel":"offline","metric":"likes","add":1}`, 400, "not measured"},
		{"a bad time", bearer, `{"channel":"offline","metric":"relationships","add":1,"time":"yesterday"}`, 400, "RFC 3339"},
		{"two objects", bearer, `{"channel":"offline","metric":"relationships","add":1}{}`, 400, "one JSON object"},
		{"too large", bearer, `{"channel":"offline","metric":"relationships","add":1,"account":"` + strings.Repeat("x", MaxBodySize) + `"}`, 413, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := post(t, url, tt.auth, tt.body)
			if code != tt.wantCode || !strings.Contains(body, tt.wantText) {
				t.Errorf("got %d %s, want %d with %q", code, body, tt.wantCode, tt.wantText)
			}
			if strings.Contains(body, token) {
				t.Errorf("the answer shows the token: %s", body)
			}
		})
	}
	// A backdated set (4 on the 10th) leaves the later readings alone: the
	// latest is 4, after 1, 2 and 1 added at noon.
	var v float64
	for _, k := range e.Snapshot().KPIs {
		if k.Name == "relationships" {
			v = k.Value
		}
	}
	if v != 4 {
		t.Errorf("relationships = %v, want 4", v)
	}
}

func TestPagesAndAPI(t *testing.T) {
	srv, _, reloadFails := newServer(t)
	get := func(path string) (int, string, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	for _, tt := range []struct {
		path, wantType string
		wantText       []string
	}{
		{"/", "text/html", []string{"acme", "networking", "relationships", "no_data", "2026-07-01", `<svg class="spark"`, `stroke-dasharray="4 3"`, "by the end of 2026-07-31"}},
		{"/-/healthy", "text/plain", []string{"Healthy"}},
		{"/-/ready", "text/plain", []string{"Ready"}},
		{"/metrics", "text/plain", []string{`kpi_plan_info{end="2026-12-31",goal="networking",plan="acme",start="2026-07-01"} 1`}},
		{"/api/v1/kpis", "application/json", []string{`"kpis"`, `"status": "no_data"`, `"due": "2026-08-01T00:00:00+02:00"`}},
	} {
		code, ctype, body := get(tt.path)
		if code != 200 || !strings.HasPrefix(ctype, tt.wantType) {
			t.Errorf("%s: %d %s", tt.path, code, ctype)
		}
		for _, w := range tt.wantText {
			if !strings.Contains(body, w) {
				t.Errorf("%s does not show %q", tt.path, w)
			}
		}
		if strings.Contains(body, token) {
			t.Errorf("%s shows the token", tt.path)
		}
	}
	var doc struct {
		Plan map[string]any   `json:"plan"`
		At   string           `json:"at"`
		KPIs []map[string]any `json:"kpis"`
	}
	_, _, body := get("/api/v1/kpis")
	if err := json.Unmarshal([]byte(body), &doc); err != nil || len(doc.KPIs) != 4 || doc.KPIs[0]["value"] != nil {
		t.Errorf("kpis JSON: %v %+v", err, doc)
	}
	if code, ct, body := get("/api/v1/milestones.ics"); code != 200 || ct != "text/calendar; charset=utf-8" || !strings.Contains(body, "BEGIN:VCALENDAR") || strings.Count(body, "BEGIN:VEVENT") < 4 {
		t.Errorf("milestones.ics: %d %s\n%s", code, ct, body)
	}
	if code, _ := post(t, srv.URL+"/-/reload", "", ""); code != 200 {
		t.Errorf("reload: %d", code)
	}
	*reloadFails = true
	if code, body := post(t, srv.URL+"/-/reload", "", ""); code != 400 || !strings.Contains(body, "is not a goal") {
		t.Errorf("a refused reload: %d %s", code, body)
	}
	if code, _, _ := get("/nope"); code != 404 {
		t.Errorf("/nope: %d", code)
	}
	// Without --web.enable-lifecycle, a post (such as a web page's form
	// would make) reloads nothing.
	*reloadFails = false
	reloads := 0
	off := &Server{Engine: nil, Metrics: http.NotFoundHandler(), Reload: func(context.Context) error { reloads++; return nil }}
	offSrv := httptest.NewServer(off.Handler())
	defer offSrv.Close()
	if code, body := post(t, offSrv.URL+"/-/reload", "", ""); code != http.StatusForbidden || !strings.Contains(body, "--web.enable-lifecycle") || reloads != 0 {
		t.Errorf("a reload without --web.enable-lifecycle: %d %s, %d reloads", code, body, reloads)
	}
	if code, _, _ := get("/nope"); code != 404 {
		t.Errorf("/nope: %d", code)
	}
}

// FuzzObservations posts arbitrary bodies: the answer is 200 or a 4xx with a
// reason, never a 5xx or a panic, and the token never shows.
func FuzzObservations(f *testing.F) {
	for _, seed := range []string{
		`{"channel":"offline","metric":"relationships","add":1}`,
		`{"channel":"offline","metric":"relationships","value":3,"time":"2026-07-10T10:00:00+02:00"}`,
		`{"channel":"offline","metric":"relationships","value":-1}`,
		`{"channel":"blog","metric":"posts","add":1}`,
		`{"channel":`, `[]`, `null`, `{"value":1e999}`, ``,
	} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	srv, _, _ := newServer(f) // one daemon for every input: what one input stores, the next sees
	f.Fuzz(func(t *testing.T, body string, withToken bool) {
		auth := ""
		if withToken {
			auth = "Bearer " + token
		}
		code, answer := post(t, srv.URL+"/api/v1/observations", auth, body)
		if code != 200 && (code < 400 || code > 499) {
			t.Errorf("%q: %d %s", body, code, answer)
		}
		if code != 200 && !strings.Contains(answer, `"error"`) {
			t.Errorf("%q: %d without a reason: %s", body, code, answer)
		}
		if strings.Contains(answer, token) {
			t.Errorf("the answer shows the token")
		}
	})
}
