package fakeapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

//go:embed testdata
var files embed.FS

// API names a faked API (an endpoint family), for Fail and Calls. Each
// channel type's file declares its own.
type API string

// Unrouted counts requests no fake's route matched.
const Unrouted API = "unrouted"

// A Fake is one channel type's fake: its routes, and what the tests that
// cover every type (e2e, fuzzing) take from it. Each type's file registers
// its own (register, in init), beside its recorded answers in
// testdata/<type>/: adding a channel type adds a file here and its testdata,
// nothing else.
type Fake struct {
	// Type is the channel type faked.
	Type string
	// Routes are the requests it answers: the first route of any fake that
	// matches a request answers it.
	Routes []Route
	// Channels are the type's channels in the plan of every type, by name:
	// YAML mappings in which {{URL}} is the fake's address.
	Channels map[string]string
	// KPIs are KPIs on those channels, by name: YAML flow mappings.
	KPIs map[string]string
	// Calls are the requests one run of Channels makes, by API.
	Calls map[API]int
	// Fail is a documented failure of each API, for the run in which every
	// type fails.
	Fail map[API]string
	// FailPosts is a documented failure of the API that lists the type's
	// posts (engagement), for the run in which only those fail.
	FailPosts map[API]string
}

// Route is one endpoint family of a fake.
type Route struct {
	API   API
	Match func(r *http.Request) bool
	Serve func(s *Server, w http.ResponseWriter, r *http.Request, mode string)
}

var fakes = map[string]Fake{}

// register adds a type's fake; each type's file calls it from init.
func register(f Fake) {
	if _, dup := fakes[f.Type]; dup {
		panic("fakeapi: " + f.Type + " registered twice")
	}
	fakes[f.Type] = f
}

// Fakes lists every registered fake, by type.
func Fakes() []Fake {
	out := make([]Fake, 0, len(fakes))
	for _, t := range slices.Sorted(maps.Keys(fakes)) {
		out = append(out, fakes[t])
	}
	return out
}

// Plan is a plan naming every registered channel type, each pointed at the
// fake at url: the channels and KPIs that each type's fake registers. The
// end-to-end test runs it; the fuzzer takes its channels.
func Plan(url string) string {
	var b strings.Builder
	b.WriteString("plan: {name: every-channel, goal: brand_awareness, timezone: UTC, start: 2026-07-01, end: 2026-12-31}\nchannels:\n")
	for _, f := range Fakes() {
		for _, name := range slices.Sorted(maps.Keys(f.Channels)) {
			fmt.Fprintf(&b, "  %s:\n", name)
			for _, line := range strings.Split(strings.ReplaceAll(f.Channels[name], "{{URL}}", url), "\n") {
				fmt.Fprintf(&b, "    %s\n", line)
			}
		}
	}
	b.WriteString("kpis:\n")
	for _, f := range Fakes() {
		for _, name := range slices.Sorted(maps.Keys(f.KPIs)) {
			fmt.Fprintf(&b, "  - {name: %s, %s\n", name, strings.TrimPrefix(f.KPIs[name], "{"))
		}
	}
	return b.String()
}

// routes is every fake's routes, in type order.
func routes() []Route {
	var out []Route
	for _, f := range Fakes() {
		out = append(out, f.Routes...)
	}
	return out
}

// Server is the fake. Fail switches an API into one of its documented
// failures; Calls counts what each API was asked.
type Server struct {
	*httptest.Server
	// Latency is added to every answer (benchmarks).
	Latency time.Duration
	// Now is the fake's clock, by which the tokens it mints expire (nil:
	// time.Now); set it before the first request.
	Now func() time.Time
	// oauth is LinkedIn's OAuth state: the tokens minted.
	oauth linkedInOAuth

	mu        sync.Mutex
	fail      map[API]string
	calls     map[API]int
	hang      chan struct{}
	n         atomic.Int64
	routes    []Route
	onCall    func(API)
	growClock func() time.Time // growing accounts' clock (growing.go)
	served    []ServedCount
}

// OnCall makes fn be called with the API of every call from now on, as the
// call arrives (benchmarks: when a daemon's first call came); nil stops it.
func (s *Server) OnCall(fn func(API)) {
	s.mu.Lock()
	s.onCall = fn
	s.mu.Unlock()
}

// New starts a fake; the caller closes it.
func New() *Server {
	s := &Server{fail: map[API]string{}, calls: map[API]int{}, hang: make(chan struct{}), routes: routes()}
	s.Server = httptest.NewServer(s)
	return s
}

// Close releases hanging requests and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.hang:
	default:
		close(s.hang)
	}
	s.mu.Unlock()
	s.Server.Close()
}

// Fail makes api answer with a documented failure until Fail(api, ""): the
// modes each API knows are said beside its handler; any API also knows
// "echo" (401 with a body that quotes the credentials it was sent, as some
// APIs and proxies do) and "hang". In short:
//
//	youtube: quota, html, server;  twitter: credits, rate, forbidden;  twitter_v1: 453, rate, none;
//	graph: app_limit, page_limit, ig_limit, not_found, ppca, permission, server;  linkedin: version, rate, expired, revoked;
//	linkedin_share: rate, denied;  linkedin_posts: rate, denied, version, no_created;
//	linkedin_oauth: invalid_grant, invalid_client, missing, server, rotate;  linkedin_introspect: inactive, invalid_client;
//	graph_debug_token: invalid, caller, expiring, never;
//	twitter_followers: no_metrics;  bluesky_followers: no_counts;
//	bluesky: rate, invalid;  mastodon: rate;  feed, http_json: server;  any: hang.
func (s *Server) Fail(api API, mode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[api] = mode
}

// Calls is how many requests api got.
func (s *Server) Calls(api API) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[api]
}

// now is the fake's clock.
func (s *Server) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// TotalCalls is how many requests the fake got in all.
func (s *Server) TotalCalls() int64 { return s.n.Load() }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := s.route(r)
	api := Unrouted
	if ok {
		api = rt.API
	}
	s.n.Add(1)
	s.mu.Lock()
	s.calls[api]++
	mode, onCall := s.fail[api], s.onCall
	s.mu.Unlock()
	if onCall != nil {
		onCall(api)
	}
	if s.Latency > 0 {
		time.Sleep(s.Latency)
	}
	switch {
	case mode == "echo":
		echo(w, r)
	case mode == "hang":
		select {
		case <-r.Context().Done():
		case <-s.hang:
		}
	case !ok:
		http.NotFound(w, r)
	default:
		rt.Serve(s, w, r, mode)
	}
}

// route finds the route that answers r.
func (s *Server) route(r *http.Request) (Route, bool) {
	for _, rt := range s.routes {
		if rt.Match(r) {
			return rt, true
		}
	}
	return Route{}, false
}

// echo answers 401 quoting every credential the request carried, the body
// included (Matomo's token_auth travels there).
func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	msg := fmt.Sprintf("invalid credentials: Authorization=%q X-Goog-Api-Key=%q X-Api-Key=%q query=%q body=%q",
		r.Header.Get("Authorization"), r.Header.Get("X-Goog-Api-Key"), r.Header.Get("X-Api-Key"), r.URL.RawQuery, body)
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": 401, "message": msg, "type": "OAuthException"}})
	reply(w, http.StatusUnauthorized, b)
}

// File returns a recorded answer, testdata/<name>.
func File(name string) []byte {
	b, err := files.ReadFile(path.Join("testdata", name))
	if err != nil {
		panic(err)
	}
	return b
}

func reply(w http.ResponseWriter, code int, body []byte, headers ...string) {
	for i := 0; i+1 < len(headers); i += 2 {
		w.Header().Set(headers[i], headers[i+1])
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	}
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

func replyJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	reply(w, http.StatusOK, b)
}

// generated reads the number in a made-up account name: prefix<N>.
func generated(name, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	var n int
	if _, err := fmt.Sscanf(rest, "%d", &n); err != nil {
		return 0, false
	}
	return n, true
}

// recorded decodes a testdata JSON file.
func recorded(name string, into any) {
	if err := json.Unmarshal(File(name), into); err != nil {
		panic(fmt.Sprintf("%s: %v", name, err))
	}
}

// Files is the recorded answers, testdata/<channel>/<file>, for fuzz seeds.
func Files() fs.FS { return files }
