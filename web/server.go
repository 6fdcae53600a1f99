package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/engine"
	"github.com/kpi-collector/kpi-collector/report"
)

// MaxBodySize caps request bodies.
const MaxBodySize = 1 << 20

// Server holds what the handlers need.
type Server struct {
	Engine *engine.Engine
	// Metrics serves the telemetry path (metrics.Handler).
	Metrics       http.Handler
	TelemetryPath string
	// Reload reloads the config; it returns the reason a new config was refused.
	Reload func(context.Context) error
	Logger *slog.Logger
}

// Handler routes every endpoint.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	path := s.TelemetryPath
	if path == "" {
		path = "/metrics"
	}
	mux.Handle("GET "+path, s.Metrics)
	mux.HandleFunc("GET /{$}", s.statusPage)
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "Healthy.\n") })
	mux.HandleFunc("GET /-/ready", s.ready)
	mux.HandleFunc("POST /-/reload", s.reload)
	mux.HandleFunc("GET /api/v1/kpis", s.kpis)
	mux.HandleFunc("POST /api/v1/observations", s.observations)
	return mux
}

func (s *Server) ready(w http.ResponseWriter, _ *http.Request) {
	if !s.Engine.Ready() {
		http.Error(w, "Not ready: loading stored readings.", http.StatusServiceUnavailable)
		return
	}
	_, _ = io.WriteString(w, "Ready.\n")
}

func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	if err := s.Reload(r.Context()); err != nil {
		http.Error(w, "The new config was refused; the old one keeps running.\n"+err.Error(), http.StatusBadRequest)
		return
	}
	_, _ = io.WriteString(w, "Reloaded.\n")
}

func (s *Server) kpis(w http.ResponseWriter, _ *http.Request) {
	snap := s.Engine.Snapshot()
	if snap == nil {
		http.Error(w, "Not ready.", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = report.WriteJSON(w, report.Build(snap))
}

// observation is the body of POST /api/v1/observations.
type observation struct {
	Channel string   `json:"channel"`
	Account string   `json:"account"`
	Metric  string   `json:"metric"`
	Value   *float64 `json:"value"`
	Add     *float64 `json:"add"`
	Time    string   `json:"time"`
}

// apiError is every 4xx/5xx body of the JSON API.
type apiError struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // a JSON answer, not HTML: "<token>" reads as written
	_ = enc.Encode(v)
}

func fail(w http.ResponseWriter, code int, format string, args ...any) {
	writeJSON(w, code, apiError{Error: fmt.Sprintf(format, args...)})
}

func (s *Server) observations(w http.ResponseWriter, r *http.Request) {
	// The token is checked before anything of the body is read or answered:
	// a caller without one learns nothing of the config.
	cfg := s.Engine.Config()
	token := presentedToken(r)
	if !anyManualToken(cfg, token) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kpi-collector"`)
		fail(w, http.StatusUnauthorized, "a manual channel's token (its credentials.token) is required: send it as \"Authorization: Bearer <token>\", or as \"%s: <token>\" where basic auth takes the Authorization header", TokenHeader)
		return
	}
	body := http.MaxBytesReader(w, r.Body, MaxBodySize)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	var o observation
	if err := dec.Decode(&o); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(w, http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", MaxBodySize)
			return
		}
		fail(w, http.StatusBadRequest, "the body is not a valid observation: %v", err)
		return
	}
	if dec.More() {
		fail(w, http.StatusBadRequest, "the body must hold one JSON object")
		return
	}

	ch, ok := cfg.Channels[o.Channel]
	if !ok || ch.Type != "manual" {
		m := engine.ManualReading{Channel: o.Channel}
		fail(w, http.StatusBadRequest, "%v", engine.CheckManual(cfg, &m, time.Now()))
		return
	}
	if !tokenMatches(token, ch.Credentials.Token.Reveal()) {
		fail(w, http.StatusForbidden, "the token given is not channel %q's (its credentials.token)", o.Channel)
		return
	}
	m := engine.ManualReading{Channel: o.Channel, Account: o.Account, Metric: o.Metric}
	switch {
	case (o.Value == nil) == (o.Add == nil):
		fail(w, http.StatusBadRequest, "give exactly one of value (set the reading) or add (raise it)")
		return
	case o.Value != nil:
		m.Value = *o.Value
	default:
		m.Value, m.Add = *o.Add, true
	}
	if o.Time != "" {
		t, err := time.Parse(time.RFC3339, o.Time)
		if err != nil {
			fail(w, http.StatusBadRequest, "time %q is not RFC 3339, such as 2026-07-31T17:00:00+02:00", o.Time)
			return
		}
		m.Time, m.Backdated = t, true
	}
	stored, err := s.Engine.Record(r.Context(), m)
	var bad *engine.InputError
	switch {
	case errors.As(err, &bad):
		fail(w, http.StatusBadRequest, "%s", bad.Msg)
		return
	case err != nil:
		s.Logger.Error("recording an observation failed", "channel", o.Channel, "err", err)
		fail(w, http.StatusInternalServerError, "the observation could not be stored")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"channel": stored.Channel, "account": stored.Account, "metric": stored.Metric, "value": stored.Value, "time": stored.Time.Format(time.RFC3339),
	})
}

// TokenHeader carries a manual channel's token where the Authorization
// header is taken by basic auth (--web.config.file's basic_auth_users).
const TokenHeader = "X-KPI-Token"

// presentedToken is the token a request carries: TokenHeader, else a
// bearer token in Authorization.
func presentedToken(r *http.Request) string {
	if t := r.Header.Get(TokenHeader); t != "" {
		return t
	}
	t, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return t
}

// anyManualToken reports whether token is some manual channel's token. It
// compares with every channel's token in constant time, so that neither the
// answer's time nor its text tells which channel, if any, came close.
func anyManualToken(cfg *config.Config, token string) bool {
	ok := false
	for _, ch := range cfg.Channels {
		if ch.Type == "manual" && tokenMatches(token, ch.Credentials.Token.Reveal()) {
			ok = true
		}
	}
	return ok
}

// tokenMatches compares in constant time. A channel without a token takes no
// recordings over HTTP.
func tokenMatches(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
