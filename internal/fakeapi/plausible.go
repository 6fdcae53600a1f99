package fakeapi

import (
	"encoding/json"
	"net/http"
	"time"
)

// PlausibleKey is the Stats API key the fake accepts.
const PlausibleKey = "pls-FAKE-stats-api-key-0000000000"

// Plausible is the Stats API v2 query.
const Plausible API = "plausible"

func init() {
	register(Fake{
		Type: "plausible",
		Routes: []Route{{API: Plausible, Serve: (*Server).plausible,
			Match: func(r *http.Request) bool { return r.URL.Path == "/api/v2/query" }}},
		Channels: map[string]string{"plausible": `type: plausible
api_url: {{URL}}
credentials: {api_key: ` + PlausibleKey + `}
accounts: [example.com, quiet.example]`,
			"plausible_google": `type: plausible
api_url: {{URL}}
filters: [{dimension: "visit:source", operator: is, values: [Google]}]
credentials: {api_key: ` + PlausibleKey + `}
accounts: [example.com]`},
		KPIs: map[string]string{
			"visitors":      `{channel: plausible, account: example.com, metric: visitors, milestones: [{due: 2026-12-31, target: 6000}]}`,
			"bounce":        `{channel: plausible, account: example.com, metric: bounce_rate, direction: down, baseline: 0.65, milestones: [{due: 2026-12-31, target: 0.45}]}`,
			"google_visits": `{channel: plausible_google, metric: visits, milestones: [{due: 2026-12-31, target: 3000}]}`,
		},
		Calls: map[API]int{Plausible: 3},
		Fail:  map[API]string{Plausible: "payment"},
	})
}

// siteZones are the recorded sites' time zones, as Plausible resolves ranges.
var siteZones = map[string]string{"example.com": "Europe/Berlin", "quiet.example": "UTC"}

// plausible answers /api/v2/query for example.com (with a visit:source is
// Google filter, its search traffic) and quiet.example (no visits); any
// other site id gets the same 401 as a bad key. Modes: payment (402),
// rate (429), invalid (400).
func (s *Server) plausible(w http.ResponseWriter, r *http.Request, mode string) {
	var q struct {
		SiteID    string   `json:"site_id"`
		Metrics   []string `json:"metrics"`
		DateRange []string `json:"date_range"`
		Filters   [][]any  `json:"filters"`
	}
	switch {
	case r.Header.Get("Authorization") == "":
		reply(w, http.StatusUnauthorized, []byte(`{"error": "Missing API key. Please use a valid Plausible API key as a Bearer Token."}`))
		return
	case r.Header.Get("Authorization") != "Bearer "+PlausibleKey:
		reply(w, http.StatusUnauthorized, File("plausible/invalid_key.json"))
		return
	case mode == "payment":
		reply(w, http.StatusPaymentRequired, File("plausible/no_stats_api.json"))
		return
	case mode == "rate":
		reply(w, http.StatusTooManyRequests, File("plausible/rate_limited.json"))
		return
	case mode == "invalid" || r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&q) != nil || len(q.DateRange) != 2:
		reply(w, http.StatusBadRequest, File("plausible/invalid_metric.json"))
		return
	}
	zone, ok := siteZones[q.SiteID]
	if !ok {
		reply(w, http.StatusUnauthorized, File("plausible/invalid_key.json"))
		return
	}
	file := "plausible/query.json"
	switch {
	case q.SiteID == "quiet.example":
		file = "plausible/query_no_visits.json"
	case len(q.Filters) == 1 && len(q.Filters[0]) == 3 && q.Filters[0][0] == "is" && q.Filters[0][1] == "visit:source":
		file = "plausible/query_google.json"
	}
	var answer map[string]any
	recorded(file, &answer)
	// The query echoes the range as resolved in the site's zone.
	loc, _ := time.LoadLocation(zone)
	from, errF := time.ParseInLocation(time.DateOnly, q.DateRange[0], loc)
	to, errT := time.ParseInLocation(time.DateOnly, q.DateRange[1], loc)
	if errF != nil || errT != nil {
		reply(w, http.StatusBadRequest, []byte(`{"error": "#/date_range: Invalid date range \"`+q.DateRange[0]+`\""}`))
		return
	}
	answer["query"].(map[string]any)["date_range"] = []string{from.Format(time.RFC3339), to.Add(24*time.Hour - time.Second).Format(time.RFC3339)}
	replyJSON(w, answer)
}
