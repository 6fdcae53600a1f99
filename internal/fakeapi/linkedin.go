package fakeapi

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// LinkedInToken is the access token the fake accepts.
const LinkedInToken = "AQVFAKE-linkedin-access-token"

// The LinkedIn endpoints faked.
const (
	LinkedIn      API = "linkedin"       // networkSizes
	LinkedInShare API = "linkedin_share" // organizationalEntityShareStatistics
	LinkedInPosts API = "linkedin_posts" // posts?q=author
)

func init() {
	register(Fake{
		Type: "linkedin",
		Routes: []Route{
			{API: LinkedIn, Serve: (*Server).linkedIn, Match: func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/rest/networkSizes/") }},
			{API: LinkedInShare, Serve: (*Server).linkedInShare, Match: func(r *http.Request) bool {
				return r.URL.Path == "/rest/organizationalEntityShareStatistics"
			}},
			{API: LinkedInPosts, Serve: (*Server).linkedInPosts, Match: func(r *http.Request) bool { return r.URL.Path == "/rest/posts" }},
		},
		Channels: map[string]string{"linkedin": `type: linkedin
api_url: {{URL}}
credentials: {access_token: ` + LinkedInToken + `}
accounts: ["1234567"]
rivals: ["5180000"]`},
		KPIs: map[string]string{
			"li":             `{channel: linkedin, metric: followers, milestones: [{due: 2026-12-31, target: 250000}]}`,
			"li_engagements": `{channel: linkedin, metric: engagements_in_window, milestones: [{due: 2026-12-31, target: 2500}]}`,
			"li_per_post":    `{channel: linkedin, metric: engagement_per_post, milestones: [{due: 2026-12-31, target: 100}]}`,
		},
		// One organization a call: the rival costs one of each, and two
		// pages of posts (its 120 posts of the window take more than one).
		Calls:     map[API]int{LinkedIn: 2, LinkedInShare: 2, LinkedInPosts: 3},
		Fail:      map[API]string{LinkedIn: "version"},
		FailPosts: map[API]string{LinkedInPosts: "denied"},
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

// linkedInShare answers organizationalEntityShareStatistics for
// organization 1234567 by DAY: the recorded days that fall in the asked
// range (Rest.li 2.0 syntax, start inclusive, end exclusive). Modes: rate
// (429), denied (403 ACCESS_DENIED: no ADMINISTRATOR role).
func (s *Server) linkedInShare(w http.ResponseWriter, r *http.Request, mode string) {
	q := r.URL.Query()
	switch {
	case r.Header.Get("Authorization") != "Bearer "+LinkedInToken:
		reply(w, http.StatusUnauthorized, File("linkedin/invalid_token.json"))
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

// linkedInPostsTimes are the made-up organizations' posts (5<N>): one every
// six hours, newest first, from 21:00 UTC on 31 August 2026 back 120 days.
var linkedInPostsTimes = func() []int64 {
	newest := time.Date(2026, 8, 31, 21, 0, 0, 0, time.UTC)
	out := make([]int64, 480)
	for i := range out {
		out[i] = newest.Add(-time.Duration(i) * 6 * time.Hour).UnixMilli()
	}
	return out
}()

// linkedInPosts answers the Posts API's author finder
// (GET /rest/posts?author=<URN>&q=author&count=N&start=S&sortBy=CREATED),
// newest first, count at a time from start. Organization 1234567's posts are
// recorded (testdata/linkedin/posts.json, see its README: reshares, a dark
// post, posts on the window's edges); the made-up ones post every six hours;
// the rest have none. Modes: rate (429), denied (403 ACCESS_DENIED: no
// r_organization_social), version (426), no_created (a post without
// createdAt, a shape not seen but not excluded).
func (s *Server) linkedInPosts(w http.ResponseWriter, r *http.Request, mode string) {
	q := r.URL.Query()
	count, countErr := strconv.Atoi(q.Get("count"))
	start, startErr := strconv.Atoi(cmp.Or(q.Get("start"), "0"))
	switch {
	case r.Header.Get("Authorization") != "Bearer "+LinkedInToken:
		reply(w, http.StatusUnauthorized, File("linkedin/invalid_token.json"))
		return
	case r.Header.Get("LinkedIn-Version") == "":
		reply(w, http.StatusBadRequest, File("linkedin/version_missing.json"), "X-Restli-Gateway-Error", "true")
		return
	case r.Header.Get("LinkedIn-Version") == RetiredLinkedInVersion || mode == "version":
		reply(w, http.StatusUpgradeRequired, File("linkedin/nonexistent_version.json"))
		return
	case mode == "rate":
		reply(w, http.StatusTooManyRequests, File("linkedin/throttled.json"))
		return
	case mode == "denied":
		reply(w, http.StatusForbidden, File("linkedin/posts_access_denied.json"))
		return
	case r.Header.Get("X-Restli-Protocol-Version") != "2.0.0" || q.Get("q") != "author" || q.Get("sortBy") != "CREATED" ||
		!strings.HasPrefix(q.Get("author"), "urn:li:organization:") || !strings.Contains(r.URL.RawQuery, "author=urn%3Ali%3Aorganization%3A"):
		reply(w, http.StatusBadRequest, []byte(`{"status":400,"message":"q=author, sortBy=CREATED, an encoded organization URN and X-Restli-Protocol-Version 2.0.0 are required"}`))
		return
	case countErr != nil || startErr != nil || count < 1 || count > 100 || start < 0:
		reply(w, http.StatusBadRequest, []byte(`{"status":400,"message":"Invalid paging: count and start"}`))
		return
	}
	org := strings.TrimPrefix(q.Get("author"), "urn:li:organization:")
	var all []json.RawMessage
	if org == "1234567" {
		var rec struct {
			Elements []json.RawMessage `json:"elements"`
		}
		recorded("linkedin/posts.json", &rec)
		all = rec.Elements
	} else if _, ok := generated(org, "5"); ok {
		for i, at := range linkedInPostsTimes {
			all = append(all, json.RawMessage(fmt.Sprintf(`{"id":"urn:li:share:%d","author":"urn:li:organization:%s","commentary":"Post %d","createdAt":%d,"publishedAt":%d,"lifecycleState":"PUBLISHED","visibility":"PUBLIC","distribution":{"feedDistribution":"MAIN_FEED","thirdPartyDistributionChannels":[]}}`,
				7300000000000000000+i, org, i, at, at+500)))
		}
	}
	page := []json.RawMessage{}
	if start < len(all) {
		page = all[start:min(start+count, len(all))]
	}
	if mode == "no_created" && len(page) > 0 {
		var first map[string]any
		_ = json.Unmarshal(page[0], &first)
		delete(first, "createdAt")
		b, _ := json.Marshal(first)
		page = append([]json.RawMessage{b}, page[1:]...)
	}
	replyJSON(w, map[string]any{"paging": map[string]any{"start": start, "count": count, "links": []any{}}, "elements": page})
}
