package fakeapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// GraphToken is the access token the Graph fake accepts (facebook and
// instagram).
const GraphToken = "EAAGFAKE-graph-access-token"

// The Graph endpoints faked, for Pages and IG users alike.
const (
	Graph      API = "graph"       // the ?ids= lookup
	GraphPosts API = "graph_posts" // a Page's posts, an IG user's media
	// GraphDebugToken is GET /{version}/debug_token?input_token=….
	GraphDebugToken API = "graph_debug_token"
)

// What the Graph fake's debug_token says of GraphToken: a Page token that
// never expires, whose data access lapses at GraphDataAccessExpiresAt; in
// mode "expiring" it also expires, earlier, at GraphTokenExpiresAt.
var (
	GraphDataAccessExpiresAt = time.Date(2027, time.February, 1, 0, 0, 0, 0, time.UTC)
	GraphTokenExpiresAt      = time.Date(2026, time.December, 20, 0, 0, 0, 0, time.UTC)
)

// graphDebugToken answers debug_token (API-REFERENCE-3 C): the caller's
// token (header or access_token) must be GraphToken, else HTTP 400 #100;
// an input_token other than GraphToken is HTTP 200 with is_valid false, as
// Meta answers for a bad input token. Modes: invalid (GraphToken too is
// invalid: the recorded expired session), caller (the 400), expiring (the
// token expires before its data access), never (neither ends: a system
// user's token).
func (s *Server) graphDebugToken(w http.ResponseWriter, r *http.Request, mode string) {
	caller := r.URL.Query().Get("access_token")
	if caller == "" {
		caller = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	switch {
	case mode == "caller" || caller != GraphToken:
		reply(w, http.StatusBadRequest, File("facebook/debug_token_bad_caller.json"))
		return
	case mode == "invalid" || r.URL.Query().Get("input_token") != GraphToken:
		reply(w, http.StatusOK, File("facebook/debug_token_invalid.json"))
		return
	}
	var answer struct {
		Data map[string]any `json:"data"`
	}
	recorded("facebook/debug_token_page.json", &answer)
	answer.Data["expires_at"] = 0 // a Page token from a long-lived user token
	answer.Data["data_access_expires_at"] = GraphDataAccessExpiresAt.Unix()
	switch mode {
	case "expiring":
		answer.Data["expires_at"] = GraphTokenExpiresAt.Unix()
	case "never":
		answer.Data["data_access_expires_at"] = 0
	}
	replyJSON(w, answer)
}

func init() {
	register(Fake{
		Type: "facebook",
		Routes: []Route{
			{API: Graph, Serve: (*Server).graph, Match: func(r *http.Request) bool {
				p := r.URL.Path
				return strings.HasPrefix(p, "/v") && strings.Count(p, "/") == 2 && strings.HasSuffix(p, "/")
			}},
			{API: GraphDebugToken, Serve: (*Server).graphDebugToken, Match: func(r *http.Request) bool {
				p := r.URL.Path
				return strings.HasPrefix(p, "/v") && strings.Count(p, "/") == 2 && strings.HasSuffix(p, "/debug_token")
			}},
			{API: GraphPosts, Serve: (*Server).graphPosts, Match: func(r *http.Request) bool {
				p := r.URL.Path
				return strings.HasPrefix(p, "/v") && strings.Count(p, "/") == 3 && (strings.HasSuffix(p, "/posts") || strings.HasSuffix(p, "/media"))
			}},
		},
		Channels: map[string]string{"facebook": `type: facebook
api_url: {{URL}}
credentials: {access_token: ` + GraphToken + `}
accounts: ["20531316728", "104958162837"]
rivals: ["9120000000"]`},
		KPIs: map[string]string{
			"fb":        `{channel: facebook, account: "20531316728", metric: followers, milestones: [{due: 2026-12-31, target: 200000000}]}`,
			"fb_shares": `{channel: facebook, account: "20531316728", metric: shares_in_window, milestones: [{due: 2026-12-31, target: 800}]}`,
		},
		// The rival in the same ?ids= call; posts: two pages for the
		// recorded Page, one (empty) for the other and for the rival.
		Calls:     map[API]int{Graph: 1, GraphPosts: 4},
		Fail:      map[API]string{Graph: "permission"},
		FailPosts: map[API]string{GraphPosts: "app_limit"},
	})
	// Instagram's IG users are read through the same Graph route.
	register(Fake{
		Type: "instagram",
		Channels: map[string]string{"instagram": `type: instagram
api_url: {{URL}}
credentials: {access_token: ` + GraphToken + `}
accounts: ["17841405309211844"]
rivals: ["9300000"]`},
		KPIs: map[string]string{
			"ig":      `{channel: instagram, metric: followers, milestones: [{due: 2026-12-31, target: 300000}]}`,
			"ig_rate": `{channel: instagram, metric: engagement_rate, milestones: [{due: 2026-12-31, target: 0.01}]}`,
		},
		Calls: map[API]int{Graph: 1, GraphPosts: 2},
	})
}

// MissingGraphIDs are ids the Graph fake answers #803 for ("Some of the
// aliases you requested do not exist"), as the API does for a batch naming
// them.
var MissingGraphIDs = []string{"123", "456"}

// graphFailure is a recorded Graph error answer, by fail mode.
type graphFailure struct {
	status  int
	file    string   // the recorded body, or
	body    string   // a body written here
	headers []string // name, value, …
}

var graphFailures = map[string]graphFailure{
	"app_limit": {status: http.StatusForbidden, file: "facebook/app_limit.json",
		headers: []string{"X-App-Usage", `{"call_count":100,"total_cputime":15,"total_time":12}`}},
	"page_limit": {status: http.StatusBadRequest, file: "facebook/page_limit.json",
		headers: []string{"X-Business-Use-Case-Usage", `{"112130216863063":[{"type":"pages","call_count":100,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":5}]}`}},
	"ig_limit":   {status: http.StatusForbidden, file: "instagram/rate_limited.json"},
	"not_found":  {status: http.StatusBadRequest, file: "facebook/not_found.json"},
	"ppca":       {status: http.StatusBadRequest, file: "facebook/ppca_required.json"},
	"permission": {status: http.StatusBadRequest, file: "facebook/missing_permission.json"},
	"server": {status: http.StatusInternalServerError,
		body: `{"error":{"message":"An unknown error occurred","type":"OAuthException","code":1,"is_transient":true}}`},
}

// graph answers GET /{version}/?ids=…&fields=…: an object keyed by id, from
// the recorded Pages and IG users; ids 9<N> are made up (N followers).
func (s *Server) graph(w http.ResponseWriter, r *http.Request, mode string) {
	if graphRefused(w, r, mode) {
		return
	}
	known := map[string]json.RawMessage{}
	recorded("facebook/pages.json", &known)
	ig := map[string]json.RawMessage{}
	recorded("instagram/users.json", &ig)
	for k, v := range ig {
		known[k] = v
	}
	ids := strings.Split(r.URL.Query().Get("ids"), ",")
	if len(ids) > 50 {
		reply(w, http.StatusBadRequest, []byte(fmt.Sprintf(`{"error":{"message":"(#100) Too many IDs. Maximum: 50. Provided: %d.","type":"OAuthException","code":100}}`, len(ids))))
		return
	}
	var gone []string
	for _, id := range ids {
		if slices.Contains(MissingGraphIDs, id) {
			gone = append(gone, id)
		}
	}
	if len(gone) > 0 {
		reply(w, http.StatusNotFound, []byte(fmt.Sprintf(`{"error":{"message":"(#803) Some of the aliases you requested do not exist: %s","type":"OAuthException","code":803,"fbtrace_id":"A1"}}`, strings.Join(gone, ","))))
		return
	}
	out := map[string]json.RawMessage{}
	for _, id := range ids {
		if v, ok := known[id]; ok {
			out[id] = v
		} else if n, ok := generated(id, "9"); ok {
			out[id] = json.RawMessage(fmt.Sprintf(`{"followers_count":%d,"fan_count":5,"follows_count":3,"media_count":2,"id":%q}`, n, id))
		}
	}
	replyJSON(w, out)
}

// graphPosts answers /{version}/{id}/posts and /{id}/media: the recorded
// Page's two pages of posts (paging.next absolute, on the fake's host as on
// graph.facebook.com), the recorded IG user's media (one without
// like_count: its owner hides likes), nothing for other ids. Every failure
// mode of the ?ids= route applies.
func (s *Server) graphPosts(w http.ResponseWriter, r *http.Request, mode string) {
	if graphRefused(w, r, mode) {
		return
	}
	q := r.URL.Query()
	if q.Get("limit") != "25" || q.Get("since") == "" || !strings.Contains(q.Get("fields"), "id,") {
		reply(w, http.StatusBadRequest, []byte(`{"error":{"message":"(#100) fields, limit and since are not what the collector sends","type":"OAuthException","code":100}}`))
		return
	}
	// The recorded links name the version they were recorded with; the
	// API's name the version asked for.
	version, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	onFake := func(name string) []byte {
		b := strings.ReplaceAll(string(File(name)), "https://graph.facebook.com", s.URL)
		return []byte(strings.ReplaceAll(b, "/v26.0/", "/"+version+"/"))
	}
	switch {
	case rest == "20531316728/posts" && q.Get("__paging_token") == "":
		reply(w, http.StatusOK, onFake("facebook/posts_p1.json"))
	case rest == "20531316728/posts":
		reply(w, http.StatusOK, onFake("facebook/posts_p2.json"))
	case rest == "17841405309211844/media":
		reply(w, http.StatusOK, onFake("instagram/media_p1.json"))
	default:
		replyJSON(w, map[string]any{"data": []any{}})
	}
}

// graphRefused answers what every Graph route refuses: a token in the URL,
// a wrong token, and the failure mode set; it reports whether it answered.
func graphRefused(w http.ResponseWriter, r *http.Request, mode string) bool {
	if r.URL.Query().Get("access_token") != "" {
		reply(w, http.StatusBadRequest, []byte(`{"error":{"message":"this fake refuses tokens in URLs","type":"OAuthException","code":1}}`))
		return true
	}
	if r.Header.Get("Authorization") != "Bearer "+GraphToken {
		reply(w, http.StatusBadRequest, File("facebook/token_expired.json"))
		return true
	}
	if f, ok := graphFailures[mode]; ok {
		body := []byte(f.body)
		if f.file != "" {
			body = File(f.file)
		}
		reply(w, f.status, body, f.headers...)
		return true
	}
	return false
}
