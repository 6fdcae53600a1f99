package fakeapi

import "net/http"

// mastodon answers accounts/lookup: Gargron is recorded, the rest are not found.
func (s *Server) mastodon(w http.ResponseWriter, r *http.Request, mode string) {
	acct := r.URL.Query().Get("acct")
	switch {
	case mode == "rate" || acct == "busy":
		reply(w, http.StatusTooManyRequests, File("mastodon/too_many_requests.json"),
			"X-RateLimit-Limit", "300", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "2026-03-02T10:05:00.123456Z")
	case acct == "Gargron":
		reply(w, http.StatusOK, File("mastodon/account.json"),
			"X-RateLimit-Limit", "300", "X-RateLimit-Remaining", "299", "X-RateLimit-Reset", "2026-03-02T10:05:00.123456Z")
	default:
		reply(w, http.StatusNotFound, File("mastodon/not_found.json"))
	}
}
