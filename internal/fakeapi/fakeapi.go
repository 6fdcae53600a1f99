package fakeapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

//go:embed testdata
var files embed.FS

// The credentials the fake accepts; anything else gets the API's auth error.
const (
	YouTubeKey    = "AIzaSyFAKE-youtube-key-0000000000"
	XBearer       = "AAAAAAAAAAAAAAAAAAAAAFAKE-x-bearer"
	GraphToken    = "EAAGFAKE-graph-access-token"
	LinkedInToken = "AQVFAKE-linkedin-access-token"
	JSONToken     = "FAKE-newsletter-token"
)

// API names a faked API, for Fail and Calls.
type API string

// The faked APIs.
const (
	YouTube          API = "youtube"
	X                API = "twitter"
	XV1              API = "twitter_v1"
	XFollowers       API = "twitter_followers"
	Graph            API = "graph"
	LinkedIn         API = "linkedin"
	Bluesky          API = "bluesky"
	BlueskyFollowers API = "bluesky_followers"
	Mastodon         API = "mastodon"
	Feed             API = "feed"
	HTTPJSON         API = "http_json"
	Unrouted         API = "unrouted"
)

// Server is the fake. Fail switches an API into one of its documented
// failures; Calls counts what each API was asked.
type Server struct {
	*httptest.Server
	// Latency is added to every answer (benchmarks).
	Latency time.Duration

	mu    sync.Mutex
	fail  map[API]string
	calls map[API]int
	hang  chan struct{}
	n     atomic.Int64
}

// New starts a fake; the caller closes it.
func New() *Server {
	s := &Server{fail: map[API]string{}, calls: map[API]int{}, hang: make(chan struct{})}
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

// Fail makes api answer with a documented failure until Fail(api, ""):
// "echo" (any API) answers 401 with a body that quotes the credentials it was
// sent, as some APIs and proxies do;
//
//	youtube: quota, html, server;  twitter: credits, rate, forbidden;  twitter_v1: 453, rate, none;
//	graph: app_limit, page_limit, ig_limit, not_found, ppca, permission, server;  linkedin: version, rate;
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

// TotalCalls is how many requests the fake got in all.
func (s *Server) TotalCalls() int64 { return s.n.Load() }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	api := route(r)
	s.n.Add(1)
	s.mu.Lock()
	s.calls[api]++
	mode := s.fail[api]
	s.mu.Unlock()
	if s.Latency > 0 {
		time.Sleep(s.Latency)
	}
	if mode == "echo" {
		echo(w, r)
		return
	}
	if mode == "hang" {
		select {
		case <-r.Context().Done():
		case <-s.hang:
		}
		return
	}
	switch api {
	case YouTube:
		s.youtube(w, r, mode)
	case X:
		s.x(w, r, mode)
	case XV1:
		s.xV1(w, r, mode)
	case XFollowers:
		s.xFollowers(w, r, mode)
	case BlueskyFollowers:
		s.blueskyFollowers(w, r, mode)
	case Graph:
		s.graph(w, r, mode)
	case LinkedIn:
		s.linkedIn(w, r, mode)
	case Bluesky:
		s.bluesky(w, r, mode)
	case Mastodon:
		s.mastodon(w, r, mode)
	case Feed:
		s.feed(w, r, mode)
	case HTTPJSON:
		s.httpJSON(w, r, mode)
	default:
		http.NotFound(w, r)
	}
}

func route(r *http.Request) API {
	p := r.URL.Path
	switch {
	case p == "/youtube/v3/channels":
		return YouTube
	case p == "/2/users/by":
		return X
	case p == "/1.1/users/lookup.json":
		return XV1
	case strings.HasPrefix(p, "/2/users/") && strings.HasSuffix(p, "/followers"):
		return XFollowers
	case strings.HasPrefix(p, "/v") && strings.Count(p, "/") == 2 && strings.HasSuffix(p, "/"):
		return Graph
	case strings.HasPrefix(p, "/rest/networkSizes/"):
		return LinkedIn
	case p == "/xrpc/app.bsky.actor.getProfiles":
		return Bluesky
	case p == "/xrpc/app.bsky.graph.getFollowers":
		return BlueskyFollowers
	case p == "/api/v1/accounts/lookup":
		return Mastodon
	case strings.HasPrefix(p, "/feed/"):
		return Feed
	case strings.HasPrefix(p, "/json/"):
		return HTTPJSON
	}
	return Unrouted
}

// echo answers 401 quoting every credential the request carried.
func echo(w http.ResponseWriter, r *http.Request) {
	msg := fmt.Sprintf("invalid credentials: Authorization=%q X-Goog-Api-Key=%q X-Api-Key=%q query=%q",
		r.Header.Get("Authorization"), r.Header.Get("X-Goog-Api-Key"), r.Header.Get("X-Api-Key"), r.URL.RawQuery)
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
