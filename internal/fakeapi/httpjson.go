package fakeapi

import (
	"net/http"
	"strings"
)

// JSONToken is the bearer token the http_json fake accepts.
const JSONToken = "FAKE-newsletter-token"

// HTTPJSON is every JSON document under /json/.
const HTTPJSON API = "http_json"

func init() {
	register(Fake{
		Type: "http_json",
		Routes: []Route{{API: HTTPJSON, Serve: (*Server).httpJSON,
			Match: func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/json/") }}},
		Channels: map[string]string{"newsletter": `type: http_json
accounts: [{{URL}}/json/lists/42]
metrics: {subscribers: stats.member_count}
credentials: {bearer_token: ` + JSONToken + `}`},
		KPIs:  map[string]string{"news": `{channel: newsletter, metric: subscribers, milestones: [{due: 2026-12-31, target: 2000}]}`},
		Calls: map[API]int{HTTPJSON: 1},
		Fail:  map[API]string{HTTPJSON: "server"},
	})
}

// httpJSON serves a Mailchimp-like list at /json/lists/42 (bearer
// JSONToken), an answer whose counts are JSON strings at /json/strings (as
// YouTube, GA4 and Matomo write them), HTML at /json/lists/html and 404 for
// the rest.
func (s *Server) httpJSON(w http.ResponseWriter, r *http.Request, mode string) {
	if r.Header.Get("Authorization") != "Bearer "+JSONToken {
		reply(w, http.StatusUnauthorized, File("http_json/mailchimp_401.json"), "Content-Type", "application/problem+json")
		return
	}
	switch {
	case mode == "server":
		reply(w, http.StatusInternalServerError, []byte(`{"title":"Internal Server Error","status":500}`))
	case r.URL.Path == "/json/lists/42":
		reply(w, http.StatusOK, File("http_json/mailchimp_list.json"))
	case r.URL.Path == "/json/strings":
		reply(w, http.StatusOK, File("http_json/youtube_strings.json"))
	case r.URL.Path == "/json/lists/html":
		reply(w, http.StatusOK, []byte("<html>maintenance</html>"), "Content-Type", "text/html")
	default:
		reply(w, http.StatusNotFound, []byte(`{"title":"Resource Not Found","status":404}`))
	}
}
