package fakeapi

import "net/http"

// Mastodon is accounts/lookup.
const Mastodon API = "mastodon"

func init() {
	register(Fake{
		Type: "mastodon",
		Routes: []Route{{API: Mastodon, Serve: (*Server).mastodon,
			Match: func(r *http.Request) bool { return r.URL.Path == "/api/v1/accounts/lookup" }}},
		Channels: map[string]string{"mastodon": `type: mastodon
api_url: {{URL}}
accounts: [Gargron@mastodon.social]`},
		KPIs:  map[string]string{"masto": `{channel: mastodon, metric: followers, milestones: [{due: 2026-12-31, target: 400000}]}`},
		Calls: map[API]int{Mastodon: 1},
		Fail:  map[API]string{Mastodon: "rate"},
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
