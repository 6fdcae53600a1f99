package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kpi-collector/kpi-collector/internal/idempotency"
	"github.com/kpi-collector/kpi-collector/peers"
	"github.com/kpi-collector/kpi-collector/report"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// MaxBodySize caps request bodies.
const MaxBodySize = 1 << 20

// Engine is what the handlers ask of the engine: the published snapshot,
// and recordings by hand. The server sees nothing else of it (the engine
// satisfies it; tests may pass their own).
type Engine interface {
	Snapshot() *snapshot.Snapshot
	// Ready reports whether the stored readings are loaded.
	Ready() bool
	// TokenKnown reports whether token is some manual channel's.
	TokenKnown(token string) bool
	// RecordingShard is the shard that owns a recording's account, or -1
	// for this one; a *vocab.InputError or vocab.ErrWrongToken refuses it.
	RecordingShard(token, channel, account string) (int, error)
	// Record stores a reading by hand and returns it as stored.
	Record(ctx context.Context, m vocab.ManualReading) (vocab.ManualReading, error)
}

// Server holds what the handlers need.
type Server struct {
	Engine Engine
	// Metrics serves the telemetry path (metrics.Handler).
	Metrics       http.Handler
	TelemetryPath string
	// Reload reloads the config; it returns the reason a new config was refused.
	Reload func(context.Context) error
	// EnableLifecycle lets POST /-/reload reload (--web.enable-lifecycle),
	// as Prometheus gates it: the endpoint takes no credential, and any web
	// page can make a browser post to it. SIGHUP always reloads.
	EnableLifecycle bool
	Logger          *slog.Logger
	// Peers are the base URLs of every replica, in shard order
	// (--shard.peers): a recording for an account another shard owns is
	// forwarded to it, so that a Service may send it to any replica.
	Peers []string
	// PeerClient forwards recordings (default: a client that waits
	// ForwardTimeout of a 10 s busy time-out). It never follows a redirect,
	// whatever its CheckRedirect.
	PeerClient *http.Client
	// Backup serves GET /api/v1/backup (the backup package's handler,
	// given with --web.enable-admin-api); nil: the path is not found.
	Backup http.Handler
	// IdempotencyKeys remembers the answers to recordings sent with an
	// Idempotency-Key (default: kept IdempotencyKeysKept, in memory).
	IdempotencyKeys *idempotency.Keys
	keysOnce        sync.Once
	// Shards, where set, asks the other replicas for their parts of the
	// plan, so that the page, the JSON API, the calendar and the KPI pages
	// show the whole plan (nil: this replica's part is the whole plan).
	Shards *peers.Peers
}

// ForwardedHeader marks a recording forwarded by a replica, so that it is
// never forwarded twice.
const ForwardedHeader = "X-KPI-Forwarded"

// Handler routes every endpoint.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	path := s.TelemetryPath
	if path == "" {
		path = "/metrics"
	}
	mux.Handle("GET "+path, s.Metrics)
	mux.HandleFunc("GET /{$}", s.statusPage)
	mux.HandleFunc("GET /kpi/{name}", s.kpiPage)
	mux.Handle("GET /static/", staticFiles)
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "Healthy.\n") })
	mux.HandleFunc("GET /-/ready", s.ready)
	mux.HandleFunc("POST /-/reload", s.reload)
	mux.HandleFunc("GET /api/v1/kpis", s.kpis)
	mux.HandleFunc("GET /api/v1/milestones.ics", s.milestones)
	mux.HandleFunc("POST /api/v1/observations", s.observations)
	if s.Backup != nil {
		mux.Handle("GET /api/v1/backup", s.Backup)
	}
	mux.HandleFunc("GET "+peers.PartPath, s.part)
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
	if !s.EnableLifecycle {
		http.Error(w, "Lifecycle API is not enabled: start with --web.enable-lifecycle, or send the process SIGHUP.", http.StatusForbidden)
		return
	}
	if err := s.Reload(r.Context()); err != nil {
		http.Error(w, "The new config was refused; the old one keeps running.\n"+err.Error(), http.StatusBadRequest)
		return
	}
	_, _ = io.WriteString(w, "Reloaded.\n")
}

// published returns the published snapshot, or answers 503 and returns nil
// before the first one (the stored readings are still loading).
func (s *Server) published(w http.ResponseWriter) *snapshot.Snapshot {
	snap := s.Engine.Snapshot()
	if snap == nil {
		http.Error(w, "Not ready: loading stored readings.", http.StatusServiceUnavailable)
	}
	return snap
}

// whole is the published snapshot with the other shards' parts merged in,
// and the shards missing from it; it answers 503 and returns nil before the
// first snapshot.
func (s *Server) whole(w http.ResponseWriter, r *http.Request) (*snapshot.Snapshot, []report.Missing) {
	snap := s.published(w)
	if snap == nil || s.Shards == nil {
		return snap, nil
	}
	return s.Shards.Whole(r.Context(), snap, r.Header.Get("Authorization"))
}

// part serves this replica's own part of the plan to the other replicas.
func (s *Server) part(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("scope") == peers.ScopeWhole {
		if snap, missing := s.whole(w, r); snap != nil {
			peers.WriteWhole(w, snap, missing)
		}
		return
	}
	if snap := s.published(w); snap != nil {
		peers.ServePart(w, r, snap)
	}
}

func (s *Server) kpis(w http.ResponseWriter, r *http.Request) {
	if local := s.Engine.Snapshot(); s.Shards != nil && local != nil && wholeSize(local) > peers.StreamAbove {
		// Too large to merge in memory: the peers' rows are streamed.
		w.Header().Set("Content-Type", "application/json")
		if err := s.Shards.WriteJSON(r.Context(), w, local, r.Header.Get("Authorization")); err != nil {
			s.Logger.Debug("streaming the whole plan's KPIs stopped", "err", err)
		}
		return
	}
	snap, missing := s.whole(w, r)
	if snap == nil {
		return
	}
	doc := report.Build(snap)
	doc.Partial, doc.Missing = len(missing) > 0, missing
	w.Header().Set("Content-Type", "application/json")
	_ = report.WriteJSON(w, doc)
}

// wholeSize is how many KPIs the whole plan has.
func wholeSize(snap *snapshot.Snapshot) int {
	n := 0
	for _, k := range snap.Plan.ShardKPIs {
		n += k
	}
	return max(n, len(snap.KPIs))
}

// milestones serves every milestone as an iCalendar feed, to subscribe to.
// A shard that does not answer leaves out its milestones, no more.
func (s *Server) milestones(w http.ResponseWriter, r *http.Request) {
	snap, _ := s.whole(w, r)
	if snap == nil {
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="milestones.ics"`)
	_ = report.WriteICS(w, snap)
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
	token := presentedToken(r)
	if !s.Engine.TokenKnown(token) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kpi-collector"`)
		fail(w, http.StatusUnauthorized, "a manual channel's token (its credentials.token) is required: send it as \"Authorization: Bearer <token>\", or as \"%s: <token>\" where basic auth takes the Authorization header", TokenHeader)
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodySize))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(w, http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", MaxBodySize)
			return
		}
		fail(w, http.StatusBadRequest, "the body could not be read: %v", err)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var o observation
	if err := dec.Decode(&o); err != nil {
		fail(w, http.StatusBadRequest, "the body is not a valid observation: %v", err)
		return
	}
	if dec.More() {
		fail(w, http.StatusBadRequest, "the body must hold one JSON object")
		return
	}

	shard, err := s.Engine.RecordingShard(token, o.Channel, o.Account)
	var bad *vocab.InputError
	switch {
	case errors.As(err, &bad):
		fail(w, http.StatusBadRequest, "%s", bad.Msg)
		return
	case errors.Is(err, vocab.ErrWrongToken):
		fail(w, http.StatusForbidden, "the token given is not channel %q's (its credentials.token)", o.Channel)
		return
	case err != nil:
		fail(w, http.StatusInternalServerError, "the recording could not be routed")
		return
	case shard >= 0:
		s.forward(w, r, shard, raw)
		return
	}
	m := vocab.ManualReading{Channel: o.Channel, Account: o.Account, Metric: o.Metric}
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
	var claim *idempotency.Claim
	if key, ok := idempotencyKey(r); ok {
		c, replay, err := s.idempotency().Begin(key, raw)
		switch {
		case errors.Is(err, idempotency.ErrBadKey):
			fail(w, http.StatusBadRequest, "%s: %v", IdempotencyKeyHeader, err)
			return
		case errors.Is(err, idempotency.ErrInFlight):
			fail(w, http.StatusConflict, "%v", err)
			return
		case errors.Is(err, idempotency.ErrReused):
			fail(w, http.StatusUnprocessableEntity, "%v", err)
			return
		case replay != nil:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(replay.Code)
			_, _ = w.Write(replay.Body)
			return
		}
		claim = c
	}
	stored, err := s.Engine.Record(r.Context(), m)
	if err != nil && claim != nil {
		claim.Forget() // nothing was stored: a retry is recorded anew
	}
	switch {
	case errors.As(err, &bad):
		fail(w, http.StatusBadRequest, "%s", bad.Msg)
		return
	case err != nil:
		s.Logger.Error("recording an observation failed", "channel", o.Channel, "err", err)
		fail(w, http.StatusInternalServerError, "the observation could not be stored")
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // as writeJSON
	_ = enc.Encode(map[string]any{
		"channel": stored.Channel, "account": stored.Account, "metric": stored.Metric, "value": stored.Value, "time": stored.Time.Format(time.RFC3339),
	})
	answer := buf.Bytes()
	if claim != nil {
		claim.Keep(idempotency.Answer{Code: http.StatusOK, Body: answer})
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(answer)
}

// IdempotencyKeyHeader names a recording, so that sending it again counts
// it once (the IETF httpapi draft's header).
const IdempotencyKeyHeader = "Idempotency-Key"

// IdempotencyKeysKept is how long a recording's idempotency key is kept.
const IdempotencyKeysKept = 24 * time.Hour

// idempotencyKey is the request's Idempotency-Key, bare or as a quoted
// string (the draft's Structured Field form).
func idempotencyKey(r *http.Request) (string, bool) {
	vs := r.Header.Values(IdempotencyKeyHeader)
	if len(vs) == 0 {
		return "", false
	}
	v := strings.TrimSpace(vs[0])
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	return v, true
}

func (s *Server) idempotency() *idempotency.Keys {
	s.keysOnce.Do(func() {
		if s.IdempotencyKeys == nil {
			s.IdempotencyKeys = idempotency.New(IdempotencyKeysKept, time.Now)
		}
	})
	return s.IdempotencyKeys
}

// forward sends a recording to the replica that owns its account and relays
// its answer, when the answer is the API's own: a 200 with the stored
// reading, or an error status with a reason. Anything else (a redirect, a
// proxy's page, a torn, oversized or late body) is a 502 that says whether
// the recording may have been stored. No redirect is followed: the token
// goes to the replicas of --shard.peers and nowhere else.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, owner int, body []byte) {
	switch {
	case r.Header.Get(ForwardedHeader) != "":
		fail(w, http.StatusMisdirectedRequest, "this recording was forwarded here, but shard %d owns its account: the replicas' --shard.peers disagree", owner)
		return
	case owner >= len(s.Peers):
		fail(w, http.StatusMisdirectedRequest, "shard %d owns this account; record on that replica, or give every replica --shard.peers so that any of them forwards it", owner)
		return
	}
	// Whether the body went out decides what a failure may mean: before it,
	// nothing was stored; after it, the owner may have stored the recording.
	var sent atomic.Bool
	ctx := httptrace.WithClientTrace(r.Context(), &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { sent.Store(true) },
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(s.Peers[owner], "/")+"/api/v1/observations", bytes.NewReader(body))
	if err != nil {
		fail(w, http.StatusInternalServerError, "forwarding to shard %d: %v", owner, err)
		return
	}
	for _, h := range []string{"Authorization", TokenHeader, "Content-Type", IdempotencyKeyHeader} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	req.Header.Set(ForwardedHeader, "1")
	resp, err := s.peerClient().Do(req) //nolint:gosec // the peers are the operator's --shard.peers
	if err != nil {
		s.Logger.Error("forwarding a recording to its shard failed", "shard", owner, "err", err)
		if !sent.Load() {
			fail(w, http.StatusBadGateway, "shard %d, which owns this account, could not be reached; the recording was not stored", owner)
			return
		}
		fail(w, http.StatusBadGateway, "shard %d, which owns this account, did not answer: %s", owner, mayBeStored)
		return
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodySize+1))
	reason := ""
	switch {
	case err != nil:
		reason = "its answer broke off"
	case len(answer) > MaxBodySize:
		reason = fmt.Sprintf("its answer is larger than the API's (over %d bytes)", MaxBodySize)
	default:
		reason = apiAnswer(resp, answer)
	}
	if reason != "" {
		s.Logger.Error("a shard's answer to a forwarded recording is not the API's", "shard", owner, "status", resp.StatusCode, "reason", reason)
		fail(w, http.StatusBadGateway, "shard %d, which owns this account, answered %d, but %s: %s", owner, resp.StatusCode, reason, mayBeStored)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
}

// mayBeStored ends every 502 of a recording whose body reached the owner.
const mayBeStored = "the recording may have been stored; look at GET /api/v1/kpis before recording it again, or send it again with the same " + IdempotencyKeyHeader + " header, which counts it once"

// ForwardTimeout is how long a replica waits for the owner of a recording,
// given the longest the owner may take to answer one (its store's busy
// time-out and the publish wait): longer, so that a slow but successful
// recording is not reported as lost.
func ForwardTimeout(ownersLongestWait time.Duration) time.Duration {
	return ownersLongestWait + 5*time.Second
}

// peerClient is PeerClient (by default one that waits ForwardTimeout of a
// 10 s busy time-out) made to follow no redirect.
func (s *Server) peerClient() *http.Client {
	c := http.Client{Timeout: ForwardTimeout(10 * time.Second)}
	if s.PeerClient != nil {
		c = *s.PeerClient
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// apiAnswer says why a peer's answer is not one the recording API gives, or
// "" where it is: JSON, and for a 200 the stored reading, for a 4xx or 5xx
// an error with its reason.
func apiAnswer(resp *http.Response, body []byte) string {
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return fmt.Sprintf("as %q, not the API's JSON", resp.Header.Get("Content-Type"))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	switch {
	case resp.StatusCode == http.StatusOK:
		var got struct {
			Channel, Account, Metric, Time *string
			Value                          *float64
		}
		if dec.Decode(&got) != nil || got.Channel == nil || got.Account == nil || got.Metric == nil || got.Time == nil || got.Value == nil {
			return "not with the reading stored"
		}
	case resp.StatusCode >= 400 && resp.StatusCode <= 599:
		var got apiError
		if dec.Decode(&got) != nil || got.Error == "" {
			return "not with the API's reason"
		}
	default:
		return "the API answers 200 or an error"
	}
	if dec.More() {
		return "with more than one JSON value"
	}
	return ""
}

// TokenHeader carries a manual channel's token where the Authorization
// header is taken by basic auth (--web.config.file's basic_auth_users).
const TokenHeader = "X-KPI-Token" //nolint:gosec // G101: the name of a header, not a credential

// presentedToken is the token a request carries: TokenHeader, else a
// bearer token in Authorization.
func presentedToken(r *http.Request) string {
	if t := r.Header.Get(TokenHeader); t != "" {
		return t
	}
	t, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return t
}
