package fakeapi

import (
	"net/http"
	"strings"
)

// LinkedInToken is the access token the fake accepts.
const LinkedInToken = "AQVFAKE-linkedin-access-token"

// LinkedIn is networkSizes.
const LinkedIn API = "linkedin"

func init() {
	register(Fake{
		Type: "linkedin",
		Routes: []Route{{API: LinkedIn, Serve: (*Server).linkedIn,
			Match: func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/rest/networkSizes/") }}},
		Channels: map[string]string{"linkedin": `type: linkedin
api_url: {{URL}}
credentials: {access_token: ` + LinkedInToken + `}
accounts: ["1234567"]`},
		KPIs:  map[string]string{"li": `{channel: linkedin, metric: followers, milestones: [{due: 2026-12-31, target: 250000}]}`},
		Calls: map[API]int{LinkedIn: 1},
		Fail:  map[API]string{LinkedIn: "version"},
	})
}

// RetiredLinkedInVersion is a LinkedIn-Version the fake answers 426 for.
const RetiredLinkedInVersion = "202401"

// linkedIn answers networkSizes: organization 1234567 is recorded, 7777 is
// throttled, 5<N> are made up (N followers), the rest are not found.
func (s *Server) linkedIn(w http.ResponseWriter, r *http.Request, mode string) {
	urn := strings.TrimPrefix(r.URL.Path, "/rest/networkSizes/")
	switch {
	case r.Header.Get("Authorization") != "Bearer "+LinkedInToken:
		reply(w, http.StatusUnauthorized, File("linkedin/invalid_token.json"))
	case r.Header.Get("LinkedIn-Version") == RetiredLinkedInVersion || mode == "version":
		reply(w, http.StatusUpgradeRequired, File("linkedin/nonexistent_version.json"))
	case mode == "rate" || urn == "urn:li:organization:7777":
		reply(w, http.StatusTooManyRequests, File("linkedin/throttled.json"))
	case r.Header.Get("X-Restli-Protocol-Version") != "2.0.0" || r.URL.Query().Get("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER":
		reply(w, http.StatusBadRequest, []byte(`{"status":400,"message":"edgeType and X-Restli-Protocol-Version 2.0.0 are required"}`))
	case !strings.Contains(r.URL.EscapedPath(), "urn%3Ali%3Aorganization%3A"):
		reply(w, http.StatusBadRequest, []byte(`{"status":400,"message":"the URN must be URL-encoded"}`))
	case urn == "urn:li:organization:1234567":
		reply(w, http.StatusOK, File("linkedin/network_size.json"))
	default:
		if n, ok := generated(strings.TrimPrefix(urn, "urn:li:organization:"), "5"); ok {
			replyJSON(w, map[string]int{"firstDegreeSize": n})
			return
		}
		reply(w, http.StatusNotFound, []byte(`{"status":404,"code":"NOT_FOUND","message":"Not found"}`))
	}
}
