package fakeapi

import (
	"net/http"
	"strings"
)

// The Mastodon endpoints faked.
const (
	Mastodon         API = "mastodon"          // accounts/lookup
	MastodonStatuses API = "mastodon_statuses" // accounts/:id/statuses
)

func init() {
	register(Fake{
		Type: "mastodon",
		Routes: []Route{
			{API: Mastodon, Serve: (*Server).mastodon, Match: func(r *http.Request) bool { return r.URL.Path == "/api/v1/accounts/lookup" }},
			{API: MastodonStatuses, Serve: (*Server).mastodonStatuses, Match: func(r *http.Request) bool {
				return strings.HasPrefix(r.URL.Path, "/api/v1/accounts/") && strings.HasSuffix(r.URL.Path, "/statuses")
			}},
		},
		Channels: map[string]string{"mastodon": `type: mastodon
api_url: {{URL}}
accounts: [Gargron@mastodon.social]
rivals: [Gargron@social.example]`},
		KPIs: map[string]string{
			"masto":            `{channel: mastodon, metric: followers, milestones: [{due: 2026-12-31, target: 400000}]}`,
			"masto_engagement": `{channel: mastodon, metric: engagement_rate, milestones: [{due: 2026-12-31, target: 0.002}]}`,
		},
		// One account a call: the rival costs a lookup and a page.
		Calls:     map[API]int{Mastodon: 2, MastodonStatuses: 3},
		Fail:      map[API]string{Mastodon: "rate"},
		FailPosts: map[API]string{MastodonStatuses: "rate"},
	})
}

// mastodon answers accounts/lookup?acct=user@domain, as an instance does for
// local and remote accounts: Gargron@mastodon.social is recorded, a namesake
// on social.example has its own counts, quiet@fosstodon.org hides its
// follower lists, busy@… is rate limited and the rest are not found. A bare
// user (no domain) would be looked up among the instance's local accounts,
// of which this fake has none.
func (s *Server) mastodon(w http.ResponseWriter, r *http.Request, mode string) {
	acct := r.URL.Query().Get("acct")
	limits := []string{"X-RateLimit-Limit", "300", "X-RateLimit-Remaining", "299", "X-RateLimit-Reset", "2026-03-02T10:05:00.123456Z"}
	switch {
	case mode == "rate" || acct == "busy@example.social":
		reply(w, http.StatusTooManyRequests, File("mastodon/too_many_requests.json"),
			"X-RateLimit-Limit", "300", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "2026-03-02T10:05:00.123456Z")
	case acct == "Gargron@mastodon.social":
		reply(w, http.StatusOK, File("mastodon/account.json"), limits...)
	case acct == "Gargron@social.example":
		reply(w, http.StatusOK, File("mastodon/account_other_instance.json"), limits...)
	case acct == "quiet@fosstodon.org":
		reply(w, http.StatusOK, File("mastodon/account_hidden.json"), limits...)
	default:
		reply(w, http.StatusNotFound, File("mastodon/not_found.json"))
	}
}

// mastodonStatuses answers accounts/:id/statuses for Gargron (id 1), 40 at
// most a page, paging back by max_id as its Link header's next does: two
// recorded pages, the second reaching past August. Account 42 is on a
// server that wants a token for it; other ids are not found. Modes: rate.
func (s *Server) mastodonStatuses(w http.ResponseWriter, r *http.Request, mode string) {
	id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/v1/accounts/"), "/statuses")
	q := r.URL.Query()
	switch {
	case mode == "rate":
		reply(w, http.StatusTooManyRequests, File("mastodon/too_many_requests.json"), "X-RateLimit-Limit", "300", "X-RateLimit-Remaining", "0")
	case q.Get("exclude_replies") != "true" || q.Get("exclude_reblogs") != "true" || q.Get("limit") != "40":
		reply(w, http.StatusUnprocessableEntity, []byte(`{"error":"the fake wants exclude_replies, exclude_reblogs and limit=40"}`))
	case id == "42":
		reply(w, http.StatusUnauthorized, File("mastodon/api_requires_auth.json"))
	case id == "110000000000000001": // the namesake on social.example posted nothing lately
		reply(w, http.StatusOK, []byte("[]"))
	case id != "1":
		reply(w, http.StatusNotFound, File("mastodon/not_found.json"))
	case q.Get("max_id") == "":
		reply(w, http.StatusOK, File("mastodon/statuses_p1.json"),
			"Link", `<`+s.URL+`/api/v1/accounts/1/statuses?limit=40&max_id=115066011223344556>; rel="next", <`+s.URL+`/api/v1/accounts/1/statuses?limit=40&min_id=115080022334455667>; rel="prev"`)
	case q.Get("max_id") == "115066011223344556":
		reply(w, http.StatusOK, File("mastodon/statuses_p2.json"))
	default:
		reply(w, http.StatusOK, []byte("[]"))
	}
}
