package fakeapi

import (
	"encoding/json"
	"net/http"
	"strings"
)

// GoogleAnalytics is the GA4 Data API's runReport.
const GoogleAnalytics API = "google_analytics"

func init() {
	register(Fake{
		Type: "google_analytics",
		Routes: []Route{googleTokenRoute, {API: GoogleAnalytics, Serve: (*Server).googleAnalytics,
			Match: func(r *http.Request) bool {
				return strings.HasPrefix(r.URL.Path, "/v1beta/properties/") && strings.HasSuffix(r.URL.Path, ":runReport")
			}}},
		Channels: map[string]string{
			"analytics": `type: google_analytics
api_url: {{URL}}
token_url: {{URL}}/token
metrics: {sessions: sessions, active_users: activeUsers, engagement_rate: engagementRate}
credentials: {service_account: ` + googleKeyYAML() + `}
accounts: ["123456789", "222222222"]`,
			"analytics_organic": `type: google_analytics
api_url: {{URL}}
token_url: {{URL}}/token
window: 30d
metrics: {organic_sessions: sessions, signups: keyEvents}
filters: [{field: sessionDefaultChannelGroup, match: exact, value: Organic Search}]
credentials: {service_account: ` + googleKeyYAML() + `}
accounts: ["properties/123456789"]`,
		},
		KPIs: map[string]string{
			"organic_sessions": `{channel: analytics_organic, metric: organic_sessions, milestones: [{due: 2026-12-31, target: 8000}]}`,
			"engagement":       `{channel: analytics, account: "123456789", metric: engagement_rate, milestones: [{due: 2026-12-31, target: 0.7}]}`,
		},
		Calls: map[API]int{GoogleAnalytics: 3},
		Fail:  map[API]string{GoogleAnalytics: "tokens_per_day"},
	})
}

// googleAnalytics answers runReport from the recorded reports, keeping the
// asked metrics in the asked order: property 123456789 is recorded (with a
// sessionDefaultChannelGroup filter, its organic traffic), 222222222 had no
// visit in the window, 333333333 is nearly out of daily tokens, 987654321
// is not shared with the service account. An unknown metric name gets GA4's
// 400 INVALID_ARGUMENT. Modes: tokens_per_day, tokens_per_hour (429
// RESOURCE_EXHAUSTED), permission (403).
func (s *Server) googleAnalytics(w http.ResponseWriter, r *http.Request, mode string) {
	if !googleAuthorized(w, r) {
		return
	}
	property := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v1beta/properties/"), ":runReport")
	var req struct {
		DateRanges []struct{ StartDate, EndDate string }
		Metrics    []struct{ Name string }
		Dimensions []struct{ Name string }
		Filter     *struct {
			Filter *struct {
				FieldName    string
				StringFilter *struct{ MatchType, Value string }
			}
		} `json:"dimensionFilter"`
		ReturnPropertyQuota bool
	}
	switch {
	case mode == "tokens_per_day":
		reply(w, http.StatusTooManyRequests, File("google_analytics/tokens_per_day.json"))
		return
	case mode == "tokens_per_hour":
		reply(w, http.StatusTooManyRequests, File("google_analytics/tokens_per_hour.json"))
		return
	case mode == "permission" || property == "987654321":
		reply(w, http.StatusForbidden, File("google_analytics/permission_denied.json"))
		return
	case json.NewDecoder(r.Body).Decode(&req) != nil || len(req.DateRanges) != 1 || len(req.Metrics) == 0 || len(req.Metrics) > 10 || !req.ReturnPropertyQuota:
		reply(w, http.StatusBadRequest, []byte(`{"error":{"code":400,"message":"Request contains an invalid argument.","status":"INVALID_ARGUMENT"}}`))
		return
	}
	file := "google_analytics/run_report.json"
	switch {
	case property == "222222222":
		file = "google_analytics/empty.json"
	case property == "333333333":
		file = "google_analytics/run_report_nearly_exhausted.json"
	case property != "123456789":
		reply(w, http.StatusForbidden, File("google_analytics/permission_denied.json"))
		return
	case req.Filter != nil && req.Filter.Filter != nil && req.Filter.Filter.FieldName == "sessionDefaultChannelGroup" &&
		req.Filter.Filter.StringFilter != nil && req.Filter.Filter.StringFilter.Value == "Organic Search":
		file = "google_analytics/run_report_organic.json"
	}
	var report map[string]json.RawMessage
	var shape struct {
		MetricHeaders []struct{ Name string } `json:"metricHeaders"`
		Rows          []struct {
			MetricValues []json.RawMessage `json:"metricValues"`
		} `json:"rows"`
	}
	var headers []json.RawMessage
	recorded(file, &report)
	recorded(file, &shape)
	_ = json.Unmarshal(report["metricHeaders"], &headers)
	// Only the asked metrics, in the asked order.
	var outHeaders, outValues []json.RawMessage
	for _, m := range req.Metrics {
		found := false
		for i, h := range shape.MetricHeaders {
			if h.Name == m.Name {
				found = true
				outHeaders = append(outHeaders, headers[i])
				if len(shape.Rows) > 0 {
					outValues = append(outValues, shape.Rows[0].MetricValues[i])
				}
			}
		}
		if !found && property != "222222222" {
			msg, _ := json.Marshal("Field " + m.Name + " is not a valid metric. For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema ")
			reply(w, http.StatusBadRequest, []byte(`{"error":{"code":400,"message":`+string(msg)+`,"status":"INVALID_ARGUMENT"}}`))
			return
		}
		if !found { // an empty report still names its columns
			typ := "TYPE_FLOAT"
			if m.Name == "sessions" || m.Name == "activeUsers" {
				typ = "TYPE_INTEGER"
			}
			h, _ := json.Marshal(map[string]string{"name": m.Name, "type": typ})
			outHeaders = append(outHeaders, h)
		}
	}
	report["metricHeaders"], _ = json.Marshal(outHeaders)
	if len(shape.Rows) > 0 {
		report["rows"], _ = json.Marshal([]map[string]any{{"dimensionValues": []any{}, "metricValues": outValues}})
	}
	replyJSON(w, report)
}
