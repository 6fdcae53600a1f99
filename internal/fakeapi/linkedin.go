package fakeapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// LinkedInToken is the access token the fake accepts.
const LinkedInToken = "AQVFAKE-linkedin-access-token"

// The LinkedIn endpoints faked.
const (
	LinkedIn      API = "linkedin"       // networkSizes
	LinkedInShare API = "linkedin_share" // organizationalEntityShareStatistics
)

func init() {
	register(Fake{
		Type: "linkedin",
		Routes: append([]Route{
			{API: LinkedIn, Serve: (*Server).linkedIn, Match: func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/rest/networkSizes/") }},
			{API: LinkedInShare, Serve: (*Server).linkedInShare, Match: func(r *http.Request) bool {
				return r.URL.Path == "/rest/organizationalEntityShareStatistics"
			}},
		}, linkedInOAuthRoutes...),
		Channels: map[string]string{"linkedin": `type: linkedin
api_url: {{URL}}
credentials: {access_token: ` + LinkedInToken + `}
accounts: ["1234567"]
rivals: ["5180000"]`, "linkedin_minted": linkedInMinted},
		KPIs: map[string]string{
			"li":             `{channel: linkedin, metric: followers, milestones: [{due: 2026-12-31, target: 250000}]}`,
			"li_engagements": `{channel: linkedin, metric: engagements_in_window, milestones: [{due: 2026-12-31, target: 2500}]}`,
			"li_minted":      `{channel: linkedin_minted, metric: followers, milestones: [{due: 2026-12-31, target: 1000}]}`,
		},
		// One organization a call: the rival costs one of each; the
		// channel that mints its token mints one and reads one organization.
		Calls:     map[API]int{LinkedIn: 3, LinkedInShare: 2, LinkedInOAuth: 1},
		Fail:      map[API]string{LinkedIn: "version"},
		FailPosts: map[API]string{LinkedInShare: "denied"},
	})
}

// RetiredLinkedInVersion is a LinkedIn-Version the fake answers 426 for.
const RetiredLinkedInVersion = "202401"

// linkedIn answers networkSizes: organization 1234567 is recorded, 7777 is
// throttled, 5<N> are made up (N followers), the rest are not found. It
// takes LinkedInToken and the tokens minted until they end (then 401
// EXPIRED_ACCESS_TOKEN). Modes: version (426), rate (429), expired and
// revoked (401 as for such a token).
func (s *Server) linkedIn(w http.ResponseWriter, r *http.Request, mode string) {
	urn := strings.TrimPrefix(r.URL.Path, "/rest/networkSizes/")
	refused, dead := s.linkedInTokenRefused(r.Header.Get("Authorization"))
	switch {
	case dead:
		reply(w, http.StatusUnauthorized, File(refused))
	case mode == "expired" || mode == "revoked":
		reply(w, http.StatusUnauthorized, File("linkedin/"+mode+"_token.json"))
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

// linkedInShare answers organizationalEntityShareStatistics for
// organization 1234567 by DAY: the recorded days that fall in the asked
// range (Rest.li 2.0 syntax, start inclusive, end exclusive). Modes: rate
// (429), denied (403 ACCESS_DENIED: no ADMINISTRATOR role).
func (s *Server) linkedInShare(w http.ResponseWriter, r *http.Request, mode string) {
	q := r.URL.Query()
	refused, dead := s.linkedInTokenRefused(r.Header.Get("Authorization"))
	switch {
	case dead:
		reply(w, http.StatusUnauthorized, File(refused))
		return
	case mode == "rate":
		reply(w, http.StatusTooManyRequests, File("linkedin/throttled.json"))
		return
	case mode == "denied":
		reply(w, http.StatusForbidden, File("linkedin/access_denied.json"))
		return
	case q.Get("q") != "organizationalEntity" || !strings.HasPrefix(q.Get("organizationalEntity"), "urn:li:organization:"):
		reply(w, http.StatusBadRequest, []byte(`{"status":400,"message":"q=organizationalEntity and a known organization are required"}`))
		return
	}
	var start, end int64
	if _, err := fmt.Sscanf(q.Get("timeIntervals"), "(timeRange:(start:%d,end:%d),timeGranularityType:DAY)", &start, &end); err != nil {
		reply(w, http.StatusBadRequest, []byte(`{"status":400,"message":"Invalid timeIntervals: `+strconv.Quote(q.Get("timeIntervals"))+`"}`))
		return
	}
	var all struct {
		Paging   json.RawMessage   `json:"paging"`
		Elements []json.RawMessage `json:"elements"`
	}
	recorded("linkedin/share_statistics.json", &all)
	if q.Get("organizationalEntity") != "urn:li:organization:1234567" {
		all.Elements = nil // a made-up organization had no activity
	}
	var in []json.RawMessage
	for _, e := range all.Elements {
		var day struct {
			TimeRange struct{ Start int64 } `json:"timeRange"`
		}
		_ = json.Unmarshal(e, &day)
		if day.TimeRange.Start >= start && day.TimeRange.Start < end {
			in = append(in, e)
		}
	}
	replyJSON(w, map[string]any{"paging": all.Paging, "elements": in})
}
