package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// elsewhere is an engine whose every recording belongs to shard 1: the
// server under test only ever forwards.
type elsewhere struct{}

func (elsewhere) Snapshot() *snapshot.Snapshot { return nil }
func (elsewhere) Ready() bool                  { return true }
func (elsewhere) TokenKnown(t string) bool     { return t == token }
func (elsewhere) RecordingShard(string, string, string) (int, error) {
	return 1, nil
}

func (elsewhere) Record(context.Context, vocab.ManualReading) (vocab.ManualReading, error) {
	panic("a recording for another shard was stored here")
}

// seen records the requests a host received.
type seen struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (s *seen) add(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, r)
}

func (s *seen) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

const stored = `{"account":"default","channel":"offline","metric":"relationships","time":"2026-07-16T12:00:00Z","value":1}` + "\n"

// The owner's answer is relayed only when it is the API's own; anything else
// (a redirect, a proxy's page, a torn or oversized body, silence) is a 502
// that says the recording may have been stored, and no redirect is followed:
// the token never reaches another host.
func TestForwardRelaysOnlyTheAPIsAnswer(t *testing.T) {
	foreign := &seen{}
	foreignSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreign.add(r)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, stored)
	}))
	defer foreignSrv.Close()

	tests := []struct {
		name     string
		owner    http.HandlerFunc
		wantCode int
		wantText string
	}{
		{"stored", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, stored)
		}, 200, `"value":1`},
		{"refused by the owner", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"metric \"likes\" is not measured"}`+"\n")
		}, 400, "is not measured"},
		{"a redirect to another host", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, foreignSrv.URL+"/api/v1/observations", http.StatusTemporaryRedirect)
		}, 502, "may have been stored"},
		{"a permanent redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, foreignSrv.URL+"/api/v1/observations", http.StatusPermanentRedirect)
		}, 502, "answered 308"},
		{"a proxy's page", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<html><body>recorded</body></html>")
		}, 502, "may have been stored"},
		{"JSON that is not the API's answer", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"ok":true}`)
		}, 502, "may have been stored"},
		{"an error without a reason", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{}`)
		}, 502, "may have been stored"},
		{"an answer larger than the API gives", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"error":"`+strings.Repeat("x", 5<<20)+`"}`)
		}, 502, "may have been stored"},
		{"headers, then silence", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"account":"default",`)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, 502, "may have been stored"},
		{"the body taken, no answer", func(_ http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			<-r.Context().Done()
		}, 502, "may have been stored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			owner := httptest.NewServer(tt.owner)
			defer owner.Close()
			logger := slog.New(slog.NewTextHandler(io.Discard, nil))
			s := &Server{Engine: elsewhere{}, Metrics: http.NotFoundHandler(), Logger: logger, Peers: []string{"http://127.0.0.1:1", owner.URL},
				PeerClient: &http.Client{Timeout: time.Second}}
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/observations", strings.NewReader(`{"channel":"offline","metric":"relationships","add":1}`))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set(TokenHeader, token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode || !strings.Contains(string(body), tt.wantText) {
				t.Errorf("got %d %.300s, want %d with %q", resp.StatusCode, body, tt.wantCode, tt.wantText)
			}
			if resp.StatusCode == http.StatusBadGateway && !strings.Contains(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("a 502 of %s, want the API's JSON error", resp.Header.Get("Content-Type"))
			}
			if n := foreign.count(); n > 0 {
				t.Errorf("the recording reached a host outside --shard.peers %d times, with headers %v", n, foreign.reqs[0].Header)
			}
		})
	}
}

// An owner that cannot be reached stored nothing: the 502 says so, so that
// the client may simply retry.
func TestForwardToAnOwnerThatIsDown(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	s := &Server{Engine: elsewhere{}, Metrics: http.NotFoundHandler(), Logger: logger, Peers: []string{"http://127.0.0.1:1", down.URL}}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	code, body := post(t, srv.URL+"/api/v1/observations", "Bearer "+token, `{"channel":"offline","metric":"relationships","add":1}`)
	if code != http.StatusBadGateway || !strings.Contains(body, "was not stored") {
		t.Errorf("got %d %s", code, body)
	}
}

// A recording sent again with its Idempotency-Key counts once, whichever
// replica it goes through; the key with another body is refused.
func TestIdempotencyKey(t *testing.T) {
	srv, e, _ := newServer(t)
	url := srv.URL + "/api/v1/observations"
	send := func(key, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if key != "" {
			req.Header.Set(IdempotencyKeyHeader, key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	add := `{"channel":"offline","metric":"relationships","add":1}`
	steps := []struct {
		key, body string
		wantCode  int
		wantText  string
	}{
		{"8e03978e-40d5-43e8-bc93-6894a57f9324", add, 200, `"value":1`},
		{"8e03978e-40d5-43e8-bc93-6894a57f9324", add, 200, `"value":1`},
		{`"8e03978e-40d5-43e8-bc93-6894a57f9324"`, add, 200, `"value":1`},
		{"8e03978e-40d5-43e8-bc93-6894a57f9324", `{"channel":"offline","metric":"relationships","add":2}`, 422, "came with another request"},
		{"a refused one", add, 400, "printable ASCII"},
		{"second", `{"channel":"offline","metric":"likes","add":1}`, 400, "not measured"},
		{"second", add, 200, `"value":2`},
		{"", add, 200, `"value":3`},
	}
	for i, st := range steps {
		code, body := send(st.key, st.body)
		if code != st.wantCode || !strings.Contains(body, st.wantText) {
			t.Errorf("step %d (%s): %d %s, want %d with %q", i, st.key, code, body, st.wantCode, st.wantText)
		}
	}
	for _, k := range e.Snapshot().KPIs {
		if k.Name == "relationships" && k.Value != 3 {
			t.Errorf("relationships = %v after three recordings, want 3", k.Value)
		}
	}
}
