package fakeapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// SearchConsole is searchanalytics.query.
const SearchConsole API = "search_console"

func init() {
	register(Fake{
		Type: "search_console",
		Routes: []Route{googleTokenRoute, {API: SearchConsole, Serve: (*Server).searchConsole,
			Match: func(r *http.Request) bool {
				return strings.HasPrefix(r.URL.EscapedPath(), "/webmasters/v3/sites/") && strings.HasSuffix(r.URL.Path, "/searchAnalytics/query")
			}}},
		Channels: map[string]string{
			"search": `type: search_console
api_url: {{URL}}
token_url: {{URL}}/token
credentials: {service_account: ` + googleKeyYAML() + `}
accounts: ["sc-domain:example.com", "sc-domain:empty.example"]`,
			"search_blog": `type: search_console
api_url: {{URL}}
token_url: {{URL}}/token
window: 7d
filters: [{dimension: page, operator: contains, expression: /blog/}]
credentials: {service_account: ` + googleKeyYAML() + `}
accounts: ["https://www.example.com/"]`,
		},
		KPIs: map[string]string{
			"organic_clicks": `{channel: search, account: "sc-domain:example.com", metric: clicks, milestones: [{due: 2026-12-31, target: 5000}]}`,
			"blog_position":  `{channel: search_blog, metric: position, direction: down, baseline: 14, milestones: [{due: 2026-12-31, target: 8}]}`,
		},
		Calls: map[API]int{SearchConsole: 3},
		Fail:  map[API]string{SearchConsole: "permission"},
	})
}

// searchConsole answers searchanalytics.query with the recorded days that
// fall in the asked range: sc-domain:example.com and https://www.example.com/
// have data (with a PAGE filter containing /blog/, the blog's),
// sc-domain:empty.example has none, sc-domain:forbidden.example is not
// shared with the service account. Modes: permission (403), rate (429),
// invalid (400 INVALID_ARGUMENT).
func (s *Server) searchConsole(w http.ResponseWriter, r *http.Request, mode string) {
	if !googleAuthorized(w, r) {
		return
	}
	site := strings.TrimSuffix(strings.TrimPrefix(r.URL.EscapedPath(), "/webmasters/v3/sites/"), "/searchAnalytics/query")
	var req struct {
		StartDate, EndDate string
		Dimensions         []string
		Type, DataState    string
		RowLimit           int
		Filters            []struct {
			Filters []struct{ Dimension, Operator, Expression string }
		} `json:"dimensionFilterGroups"`
	}
	switch {
	case mode == "permission" || site == "sc-domain%3Aforbidden.example":
		reply(w, http.StatusForbidden, File("search_console/permission_denied.json"))
		return
	case mode == "rate":
		reply(w, http.StatusTooManyRequests, File("search_console/rate_limited.json"))
		return
	case mode == "invalid" || json.NewDecoder(r.Body).Decode(&req) != nil:
		reply(w, http.StatusBadRequest, File("search_console/invalid_filter.json"))
		return
	}
	start, errS := time.Parse(time.DateOnly, req.StartDate)
	end, errE := time.Parse(time.DateOnly, req.EndDate)
	if errS != nil || errE != nil || end.Before(start) || len(req.Dimensions) != 1 || !strings.EqualFold(req.Dimensions[0], "date") ||
		!strings.EqualFold(req.Type, "web") || req.RowLimit < 1 || req.RowLimit > 25000 {
		reply(w, http.StatusBadRequest, []byte(`{"error":{"code":400,"message":"Request contains an invalid argument.","status":"INVALID_ARGUMENT"}}`))
		return
	}
	file := ""
	switch site {
	case "sc-domain%3Aexample.com", "https%3A%2F%2Fwww.example.com%2F":
		file = "search_console/query_by_date.json"
		for _, g := range req.Filters {
			for _, f := range g.Filters {
				if strings.EqualFold(f.Dimension, "page") && strings.EqualFold(f.Operator, "contains") && f.Expression == "/blog/" {
					file = "search_console/query_blog_by_date.json"
				}
			}
		}
	case "sc-domain%3Aempty.example":
		reply(w, http.StatusOK, File("search_console/empty.json"))
		return
	default:
		reply(w, http.StatusForbidden, File("search_console/permission_denied.json"))
		return
	}
	var answer struct {
		Rows []struct {
			Keys []string `json:"keys"`
		} `json:"rows"`
		Aggregation string `json:"responseAggregationType"`
	}
	var raw struct {
		Rows []json.RawMessage `json:"rows"`
	}
	recorded(file, &answer)
	recorded(file, &raw)
	out := map[string]any{"responseAggregationType": answer.Aggregation}
	var rows []json.RawMessage
	for i, row := range answer.Rows {
		if d, err := time.Parse(time.DateOnly, row.Keys[0]); err == nil && !d.Before(start) && !d.After(end) {
			rows = append(rows, raw.Rows[i])
		}
	}
	if rows != nil {
		out["rows"] = rows // no rows key at all when nothing matched, as Google answers
	}
	replyJSON(w, out)
}
