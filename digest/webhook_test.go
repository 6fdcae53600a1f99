package digest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// checks are each service's documented payload shape and limits; each
// returns what is wrong with a body, or "".
var checks = map[string]func(body []byte) string{
	"slack": func(body []byte) string {
		var m struct {
			Text   string `json:"text"`
			Blocks []struct {
				Type string `json:"type"`
				Text *struct {
					Type string `json:"type"`
					Text string `json:"text"`
				} `json:"text"`
				Elements []struct {
					Type string `json:"type"`
					Text string `json:"text"`
				} `json:"elements"`
			} `json:"blocks"`
		}
		if err := json.Unmarshal(body, &m); err != nil {
			return err.Error()
		}
		if m.Text == "" || len(m.Blocks) == 0 || len(m.Blocks) > 50 {
			return fmt.Sprintf("text %q, %d blocks", m.Text, len(m.Blocks))
		}
		total := 0
		for i, b := range m.Blocks {
			switch {
			case b.Type == "header" && (b.Text == nil || b.Text.Type != "plain_text" || utf8.RuneCountInString(b.Text.Text) > 150):
				return fmt.Sprintf("block %d: a header's text must be plain_text of 150 characters at most", i)
			case b.Type == "section" && (b.Text == nil || b.Text.Type != "mrkdwn" || b.Text.Text == "" || utf8.RuneCountInString(b.Text.Text) > 3000):
				return fmt.Sprintf("block %d: a section's text must be mrkdwn of 1 to 3000 characters", i)
			case b.Type == "context" && len(b.Elements) == 0:
				return fmt.Sprintf("block %d: a context block needs elements", i)
			case b.Type != "header" && b.Type != "section" && b.Type != "context":
				return fmt.Sprintf("block %d: type %q", i, b.Type)
			}
			if b.Text != nil {
				total += utf8.RuneCountInString(b.Text.Text)
			}
		}
		if total > 13000 {
			return fmt.Sprintf("%d characters of blocks: msg_blocks_too_long", total)
		}
		return ""
	},
	"teams": func(body []byte) string {
		if len(body) > 28<<10 {
			return fmt.Sprintf("%d bytes: Request entity too large", len(body))
		}
		var m struct {
			Type        string `json:"type"`
			Attachments []struct {
				ContentType string           `json:"contentType"`
				ContentURL  *json.RawMessage `json:"contentUrl"`
				Content     struct {
					Schema  string           `json:"$schema"`
					Type    string           `json:"type"`
					Version string           `json:"version"`
					Body    []map[string]any `json:"body"`
				} `json:"content"`
			} `json:"attachments"`
		}
		if err := json.Unmarshal(body, &m); err != nil {
			return err.Error()
		}
		if m.Type != "message" || len(m.Attachments) != 1 {
			return "not a message with one attachment: the flow finds attachments null"
		}
		a := m.Attachments[0]
		if a.ContentType != "application/vnd.microsoft.card.adaptive" || a.Content.Type != "AdaptiveCard" || a.Content.Version != "1.4" ||
			a.Content.Schema != "http://adaptivecards.io/schemas/adaptive-card.json" || len(a.Content.Body) == 0 {
			return fmt.Sprintf("not an Adaptive Card 1.4: %+v", a)
		}
		for _, e := range a.Content.Body {
			if e["type"] != "TextBlock" || e["text"] == "" {
				return fmt.Sprintf("element %v", e)
			}
		}
		return ""
	},
	"mattermost": func(body []byte) string {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return err.Error()
		}
		text, _ := m["text"].(string)
		if text == "" || utf8.RuneCountInString(text) > 16383 || len(m) != 1 {
			return fmt.Sprintf("text of %d characters, keys %v", utf8.RuneCountInString(text), m)
		}
		return ""
	},
	"discord": func(body []byte) string {
		var m struct {
			Content string `json:"content"`
			Embeds  []struct {
				Title       string `json:"title"`
				Description string `json:"description"`
			} `json:"embeds"`
			AllowedMentions struct {
				Parse []string `json:"parse"`
			} `json:"allowed_mentions"`
		}
		if err := json.Unmarshal(body, &m); err != nil {
			return err.Error()
		}
		if m.Content == "" && len(m.Embeds) == 0 {
			return "an empty message (50006)"
		}
		if utf8.RuneCountInString(m.Content) > 2000 || len(m.Embeds) > 10 {
			return fmt.Sprintf("content of %d characters, %d embeds", utf8.RuneCountInString(m.Content), len(m.Embeds))
		}
		total := 0
		for i, e := range m.Embeds {
			t, d := utf8.RuneCountInString(e.Title), utf8.RuneCountInString(e.Description)
			if t > 256 || d > 4096 {
				return fmt.Sprintf("embed %d: title %d, description %d characters", i, t, d)
			}
			total += t + d
		}
		if total > 6000 {
			return fmt.Sprintf("embeds of %d characters in all", total)
		}
		return ""
	},
	"json": func(body []byte) string {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return err.Error()
		}
		for _, k := range []string{"digest", "plan", "at", "kpis", "changes", "milestones", "upcoming", "since", "next"} {
			if _, ok := m[k]; !ok {
				return "no key " + k
			}
		}
		return ""
	},
}

// success is each service's documented answer to a good post.
var success = map[string]func(w http.ResponseWriter){
	"slack": func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "ok")
	},
	"teams": func(w http.ResponseWriter) { w.WriteHeader(http.StatusAccepted) },
	"mattermost": func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "ok")
	},
	"discord": func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) },
	"json":    func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) },
}

// service is an httptest server that checks each post against its
// service's shape and answers as the service does.
type service struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	wrong  []string
}

func newService(t *testing.T, kind string) *service {
	s := &service{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			s.wrong = append(s.wrong, r.Method+" "+r.Header.Get("Content-Type"))
		}
		if msg := checks[kind](body); msg != "" {
			s.wrong = append(s.wrong, msg)
			s.mu.Unlock()
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, "invalid_payload")
			return
		}
		s.mu.Unlock()
		success[kind](w)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestWebhooksSpeakEachServicesShape(t *testing.T) {
	at := time.Date(2026, 9, 21, 8, 0, 0, 0, stockholm)
	small := testSnapshot(at, weekKPIs(at)...)
	// A large plan: 300 KPIs with long names, far past every limit.
	var many []testKPI
	for i := range 300 {
		k := weekKPIs(at)[i%3]
		k.name = fmt.Sprintf("%s_%03d_%s", k.name, i, strings.Repeat("ä", 120))
		many = append(many, k)
	}
	large := testSnapshot(at, many...)
	for _, kind := range config.WebhookTypes {
		for name, snap := range map[string]any{"small": small, "large": large} {
			t.Run(kind+" "+name, func(t *testing.T) {
				svc := newService(t, kind)
				cfg := testConfig(nil, &config.Webhook{Type: kind, URL: config.Secret(svc.URL + "/hooks/secret-part")})
				s := snap
				// Only a mail carries charts: none is drawn for a webhook.
				var drawn atomic.Int32
				charts := func(*snapshot.Snapshot, *snapshot.KPIState) ([]byte, error) { drawn.Add(1); return nil, nil }
				r := NewRunner(cfg, func() *snapshot.Snapshot { return s.(*snapshot.Snapshot) }, &memoryRecords{}, Options{ExternalURL: "https://kpi.acme.example/", Charts: charts, Now: func() time.Time { return at }, Sleep: (&noSleep{}).sleep})
				res, err := r.Send(context.Background(), "weekly", at)
				if err != nil || !res.OK() {
					t.Fatalf("Send: %v %+v", err, res)
				}
				if drawn.Load() != 0 {
					t.Errorf("%d charts drawn for a webhook", drawn.Load())
				}
				if len(svc.wrong) > 0 || len(svc.bodies) != 1 {
					t.Fatalf("%d posts; wrong: %v", len(svc.bodies), svc.wrong)
				}
				body := string(svc.bodies[0])
				if !strings.Contains(body, "acme-2026-h2") {
					t.Errorf("the post does not name the plan: %.300s", body)
				}
				if kind != "json" && name == "small" && !strings.Contains(body, "https://kpi.acme.example/kpi/blog_articles") {
					t.Errorf("the post does not link a KPI's page: %.2000s", body)
				}
			})
		}
	}
}

func TestWebhookRetries(t *testing.T) {
	type answer struct {
		status int
		header string // Retry-After
		body   string
	}
	tests := []struct {
		name      string
		kind      string
		answers   []answer
		wantCalls int
		wantWaits []time.Duration
		wantOK    bool
		wantErr   string
	}{
		{"Discord 429 with retry_after", "discord", []answer{{429, "", `{"message": "You are being rate limited.", "retry_after": 1.5, "global": false}`}, {204, "", ""}},
			2, []time.Duration{1500 * time.Millisecond}, true, ""},
		{"Slack 429 with Retry-After", "slack", []answer{{429, "30", "rate_limited"}, {200, "", "ok"}}, 2, []time.Duration{30 * time.Second}, true, ""},
		{"5xx, backing off", "mattermost", []answer{{500, "", `{"id":"x","message":"boom","status_code":500}`}, {502, "", ""}, {200, "", "ok"}},
			3, []time.Duration{10 * time.Second, 20 * time.Second}, true, ""},
		{"Slack 400 invalid_payload: no retry", "slack", []answer{{400, "", "invalid_payload"}}, 1, nil, false, "400 Bad Request: invalid_payload"},
		{"Slack 404 channel_not_found: no retry", "slack", []answer{{404, "", "channel_not_found"}}, 1, nil, false, "channel_not_found"},
		{"Discord 404 unknown webhook: no retry", "discord", []answer{{404, "", `{"message": "Unknown Webhook", "code": 10015}`}}, 1, nil, false, "Unknown Webhook"},
		{"Mattermost invalid webhook: no retry", "mattermost", []answer{{400, "", `{"id":"web.incoming_webhook.invalid.app_error","message":"Invalid webhook.","status_code":400}`}}, 1, nil, false, "Invalid webhook."},
		{"a wait too long", "discord", []answer{{429, "", `{"retry_after": 3600}`}}, 1, nil, false, "asks to wait 1h0m0s"},
		{"always 503: five tries", "teams", []answer{{503, "", ""}, {503, "", ""}, {503, "", ""}, {503, "", ""}, {503, "", ""}},
			5, []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second}, false, "503"},
		{"a redirect is not followed", "json", []answer{{302, "", ""}}, 1, nil, false, "redirect"},
	}
	at := time.Date(2026, 9, 21, 8, 0, 0, 0, stockholm)
	snap := testSnapshot(at, weekKPIs(at)...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				mu.Lock()
				a := tt.answers[min(calls, len(tt.answers)-1)]
				calls++
				mu.Unlock()
				if a.header != "" {
					w.Header().Set("Retry-After", a.header)
				}
				if a.status == 302 {
					w.Header().Set("Location", "https://elsewhere.example/")
				}
				w.WriteHeader(a.status)
				_, _ = io.WriteString(w, a.body)
			}))
			defer srv.Close()
			sl := &noSleep{}
			rec := &memoryRecords{}
			cfg := testConfig(nil, &config.Webhook{Type: tt.kind, URL: config.Secret(srv.URL + "/api/webhooks/1/tok-secret-part")})
			r := NewRunner(cfg, func() *snapshot.Snapshot { return snap }, rec, Options{Now: func() time.Time { return at }, Sleep: sl.sleep})
			res, err := r.Send(context.Background(), "weekly", at)
			if calls != tt.wantCalls || fmt.Sprint(sl.waits) != fmt.Sprint(tt.wantWaits) {
				t.Errorf("%d calls, waits %v; want %d, %v", calls, sl.waits, tt.wantCalls, tt.wantWaits)
			}
			if res.OK() != tt.wantOK || (tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr))) {
				t.Errorf("ok %v, err %v; want ok %v, %q", res.OK(), err, tt.wantOK, tt.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), "tok-secret-part") || strings.Contains(err.Error(), srv.URL)) {
				t.Errorf("the error shows the webhook's URL: %v", err)
			}
			_, failures, state, _ := rec.DigestRecord(context.Background(), "weekly")
			if tt.wantOK != (failures == 0) || tt.wantOK != (state != nil) {
				t.Errorf("record: %d failures, state %q", failures, state)
			}
		})
	}
}

// outcome follows the plan's statuses: a milestone is missed as the status
// says, met where the value reached it, pending before a reading decides.
func TestMilestoneOutcomes(t *testing.T) {
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, stockholm)
	due := dayEnd(2026, 9, 15)
	ms := []vocab.Milestone{{Due: due, Target: 10}, {Due: dayEnd(2026, 9, 22), Target: 20}}
	p := func(day int, v float64) plan.Point {
		return plan.Point{Time: time.Date(2026, 9, day, 12, 0, 0, 0, stockholm), Value: v}
	}
	tests := []struct {
		name     string
		readings []plan.Point
		at       time.Time
		want     []string
	}{
		{"reached", []plan.Point{p(1, 0), p(15, 12), p(16, 13)}, dayEnd(2026, 9, 16), []string{OutcomeMet}},
		{"missed", []plan.Point{p(1, 0), p(15, 8), p(16, 9)}, dayEnd(2026, 9, 16), []string{OutcomeMissed}},
		{"no reading after the due time yet", []plan.Point{p(1, 0), p(10, 8)}, dayEnd(2026, 9, 16), []string{OutcomePending}},
		{"both missed", []plan.Point{p(1, 0), p(15, 8), p(23, 9)}, dayEnd(2026, 9, 23), []string{OutcomeMissed, OutcomeMissed}},
		{"the first met, the second missed", []plan.Point{p(1, 0), p(15, 11), p(23, 12)}, dayEnd(2026, 9, 23), []string{OutcomeMet, OutcomeMissed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := testKPI{name: "k", count: vocab.Total, milestones: ms, readings: tt.readings}
			snap := testSnapshot(tt.at, k)
			c := Build("d", snap, nil, start, time.Time{}, "")
			var got []string
			for _, m := range c.Milestones {
				got = append(got, m.Outcome)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("outcomes %v, want %v (status %s)", got, tt.want, snap.KPIs[0].Status)
			}
		})
	}
}

// The counters start at 0 for every digest of the config, count each send
// by result, and a digest removed by a reload leaves the exposition.
func TestMetrics(t *testing.T) {
	at := time.Date(2026, 9, 21, 8, 0, 0, 0, stockholm)
	snap := testSnapshot(at, weekKPIs(at)...)
	svc := newService(t, "slack")
	reg := prometheus.NewRegistry()
	cfg := testConfig(nil, &config.Webhook{Type: "slack", URL: config.Secret(svc.URL)})
	r := NewRunner(cfg, func() *snapshot.Snapshot { return snap }, &memoryRecords{}, Options{Metrics: NewMetrics(reg), Now: func() time.Time { return at }, Sleep: (&noSleep{}).sleep})
	if _, err := r.Send(context.Background(), "weekly", at); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP kpi_digest_failures_in_a_row How many of the digest's latest sends failed in a row (0 after a success); kept in the store across restarts.
# TYPE kpi_digest_failures_in_a_row gauge
kpi_digest_failures_in_a_row{digest="weekly"} 0
# HELP kpi_digest_sent_total Digests sent, by result: success when every destination took it (after retries), else failure.
# TYPE kpi_digest_sent_total counter
kpi_digest_sent_total{digest="weekly",result="failure"} 0
kpi_digest_sent_total{digest="weekly",result="success"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	next := testConfig(nil)
	next.Digests = map[string]*config.Digest{}
	r.SetConfig(next)
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 0 {
		t.Errorf("%d series after the digest was removed (%v)", n, err)
	}
}

// On a sharded plan the digest tells the whole plan (Options.Whole); while
// a shard does not answer, none goes out and the send counts as failed.
func TestWholePlanOrNone(t *testing.T) {
	at := time.Date(2026, 9, 21, 8, 0, 0, 0, stockholm)
	kpis := weekKPIs(at)
	part := testSnapshot(at, kpis[0])
	whole := testSnapshot(at, kpis...)
	var shardDown bool
	wholeOf := func(_ context.Context, p *snapshot.Snapshot) (*snapshot.Snapshot, error) {
		if p != part {
			t.Errorf("Whole was given another snapshot than this replica's")
		}
		if shardDown {
			return nil, errors.New("shard 1 (2 KPIs): it did not answer within 2s")
		}
		return whole, nil
	}
	svc := newService(t, "json")
	reg := prometheus.NewRegistry()
	cfg := testConfig(nil, &config.Webhook{Type: "json", URL: config.Secret(svc.URL + "/hooks/secret-part")})
	rec := &memoryRecords{}
	r := NewRunner(cfg, func() *snapshot.Snapshot { return part }, rec, Options{Whole: wholeOf, Metrics: NewMetrics(reg), Now: func() time.Time { return at }, Sleep: (&noSleep{}).sleep})

	shardDown = true
	res, err := r.Send(context.Background(), "weekly", at)
	if res.OK() || err == nil || !strings.Contains(err.Error(), "the whole plan could not be read: shard 1 (2 KPIs)") || len(svc.bodies) != 0 {
		t.Fatalf("a shard down: ok %v, err %v, %d posts", res.OK(), err, len(svc.bodies))
	}
	if got := testutil.ToFloat64(r.opts.Metrics.failures.WithLabelValues("weekly")); got != 1 {
		t.Errorf("failures in a row %v, want 1", got)
	}

	shardDown = false
	next := at.Add(7 * 24 * time.Hour)
	if res, err := r.Send(context.Background(), "weekly", next); err != nil || !res.OK() || len(svc.bodies) != 1 {
		t.Fatalf("every shard up: ok %v, err %v, %d posts", res.OK(), err, len(svc.bodies))
	}
	for _, k := range kpis {
		if !strings.Contains(string(svc.bodies[0]), k.name) {
			t.Errorf("the digest does not tell %s, of another shard", k.name)
		}
	}
}
