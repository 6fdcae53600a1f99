package collectors

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

// 1 September 2026, 05:00 in California: Search Console's final data ends
// on 29 August.
func september1() time.Time { return time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC) }

func searchConsoleChannel(api *fakeapi.Server, settings *searchConsoleSettings) *config.Channel {
	if settings.TokenURL == "" {
		settings.TokenURL = api.URL + "/token"
	}
	return &config.Channel{Name: "search", Type: "search_console", APIURL: api.URL, Concurrency: 1, Settings: settings,
		Credentials: config.NewCredentials("service_account", fakeapi.GoogleServiceAccountKey())}
}

// windowSums adds up a recorded day-by-day answer over [from, to], as a
// person would with the Search Console export in a spreadsheet.
func windowSums(t *testing.T, file string, from, to string) (clicks, impressions, position float64) {
	var answer struct {
		Rows []struct {
			Keys                          []string
			Clicks, Impressions, Position float64
		}
	}
	if err := json.Unmarshal(fakeapi.File(file), &answer); err != nil {
		t.Fatal(err)
	}
	var weighted float64
	for _, r := range answer.Rows {
		if r.Keys[0] >= from && r.Keys[0] <= to {
			clicks += r.Clicks
			impressions += r.Impressions
			weighted += r.Position * r.Impressions
		}
	}
	return clicks, impressions, weighted / impressions
}

func TestSearchConsole(t *testing.T) {
	api := newAPI(t)
	endOfAugust29 := time.Date(2026, 8, 30, 0, 0, 0, 0, pacific)
	clicks, impressions, position := windowSums(t, "search_console/query_by_date.json", "2026-08-02", "2026-08-29")
	blogClicks, blogImpressions, blogPosition := windowSums(t, "search_console/query_blog_by_date.json", "2026-08-23", "2026-08-29")
	at := func(account, metric string, v float64) Reading {
		return Reading{Account: account, Metric: metric, Value: v, Time: endOfAugust29}
	}
	tests := []struct {
		name         string
		settings     searchConsoleSettings
		accounts     []string
		mode         map[fakeapi.API]string
		wantReadings []Reading
		wantErrors   map[string]Reason
		wantText     string
	}{
		{
			name:     "28 days ending at the latest final day; a property without data has 0 clicks and no ratio",
			settings: searchConsoleSettings{Window: 28, SearchType: "web", DataState: "final"},
			accounts: []string{"sc-domain:example.com", "sc-domain:empty.example"},
			wantReadings: []Reading{
				{Account: "sc-domain:empty.example", Metric: "clicks", Value: 0, Time: time.Date(2026, 8, 30, 0, 0, 0, 0, pacific)},
				{Account: "sc-domain:empty.example", Metric: "impressions", Value: 0, Time: time.Date(2026, 8, 30, 0, 0, 0, 0, pacific)},
				at("sc-domain:example.com", "clicks", clicks), at("sc-domain:example.com", "ctr", clicks/impressions),
				at("sc-domain:example.com", "impressions", impressions), at("sc-domain:example.com", "position", position),
			},
		},
		{
			name:     "7 days of /blog/ pages of a URL-prefix property",
			settings: searchConsoleSettings{Window: 7, SearchType: "web", DataState: "final", Filters: []searchConsoleFilter{{Dimension: "page", Operator: "contains", Expression: "/blog/"}}},
			accounts: []string{"https://www.example.com/"},
			wantReadings: []Reading{
				at("https://www.example.com/", "clicks", blogClicks), at("https://www.example.com/", "ctr", blogClicks/blogImpressions),
				at("https://www.example.com/", "impressions", blogImpressions), at("https://www.example.com/", "position", blogPosition),
			},
		},
		{
			name:       "a property not shared with the service account is auth, and says what to do",
			settings:   searchConsoleSettings{Window: 28, SearchType: "web", DataState: "final"},
			accounts:   []string{"sc-domain:forbidden.example"},
			wantErrors: map[string]Reason{"sc-domain:forbidden.example": Auth},
			wantText:   "add the service account " + fakeapi.GoogleServiceAccountEmail + " to the property as a user",
		},
		{
			name:       "429 Rate Limit Exceeded is rate limited",
			settings:   searchConsoleSettings{Window: 28, SearchType: "web", DataState: "final"},
			accounts:   []string{"sc-domain:example.com"},
			mode:       map[fakeapi.API]string{fakeapi.SearchConsole: "rate"},
			wantErrors: map[string]Reason{"sc-domain:example.com": RateLimited},
		},
		{
			name:       "400 INVALID_ARGUMENT is decode, with Google's message",
			settings:   searchConsoleSettings{Window: 28, SearchType: "web", DataState: "final"},
			accounts:   []string{"sc-domain:example.com"},
			mode:       map[fakeapi.API]string{fakeapi.SearchConsole: "invalid"},
			wantErrors: map[string]Reason{"sc-domain:example.com": Decode},
			wantText:   "Invalid value at 'dimension_filter_group[0].filter[0].dimension'",
		},
		{
			name:       "a rotated key's invalid_grant is auth, never retried",
			settings:   searchConsoleSettings{Window: 28, SearchType: "web", DataState: "final"},
			accounts:   []string{"sc-domain:example.com"},
			mode:       map[fakeapi.API]string{fakeapi.GoogleToken: "invalid_grant"},
			wantErrors: map[string]Reason{"sc-domain:example.com": Auth},
			wantText:   "invalid_grant (Invalid JWT Signature.)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failFor(t, api, tt.mode)
			settings := tt.settings
			res, _ := collectAt(t, searchConsoleChannel(api, &settings), tt.accounts, september1)
			expectResult(t, res, tt.wantReadings, tt.wantErrors, tt.wantText)
		})
	}
}

// One query a property and run; the token is fetched once and reused.
func TestSearchConsoleCalls(t *testing.T) {
	api := newAPI(t)
	settings := searchConsoleSettings{Window: 28, SearchType: "web", DataState: "final"}
	c, err := New(Env{Channel: searchConsoleChannel(api, &settings), Client: NewHTTPClient(time.Minute, func(string) {}, NewLimiter()), Now: september1})
	if err != nil {
		t.Fatal(err)
	}
	properties := []string{"sc-domain:example.com", "sc-domain:empty.example", "https://www.example.com/"}
	for run := 1; run <= 3; run++ {
		if res := c.Collect(t.Context(), properties); len(res.Errors) > 0 {
			t.Fatal(res.Errors)
		}
		if got, want := api.Calls(fakeapi.SearchConsole), run*len(properties); got != want {
			t.Errorf("after run %d: %d queries, want %d", run, got, want)
		}
	}
	if got := api.Calls(fakeapi.GoogleToken); got != 1 {
		t.Errorf("%d token requests, want 1 (an hour's token is reused)", got)
	}
}

func TestSearchConsoleSettings(t *testing.T) {
	yml := `plan: {name: p, goal: seo, start: 2026-07-01, end: 2026-12-31}
channels:
  search:
    type: search_console
    credentials: {service_account: KEY}
    accounts: ["sc-domain:example.com"]
%s
kpis:
  - {name: k, channel: search, metric: %s, milestones: [{due: 2026-07-31, target: 1}]}
`
	yml = strings.Replace(yml, "KEY", "'"+fakeapi.GoogleServiceAccountKey()+"'", 1)
	tests := []struct {
		name, settings, metric, want string
		line                         int
	}{
		{"a window beyond 16 months", "    window: 600d", "clicks", "window: 600d is not a window Search Console can answer", 7},
		{"a window that is no duration", "    window: 28 days", "clicks", `"28 days" is not a window in days`, 7},
		{"an unknown operator", "    filters:\n      - {dimension: page, operator: starts_with, expression: /blog/}", "clicks", `filters[0].operator: "starts_with" is not an operator`, 8},
		{"an unknown dimension", "    filters:\n      - {dimension: position, operator: equals, expression: '1'}", "clicks", `filters[0].dimension: "position" is not a dimension`, 8},
		{"an unknown search type", "    search_type: shopping", "clicks", `search_type: "shopping" is not a search type`, 7},
		{"a key of another type", "    version: v3", "clicks", "type search_console takes no version", 7},
		{"count: growth on a windowed metric", "    window: 28d", "clicks, count: growth", "count: growth has no meaning", 9},
		{"a property without its trailing slash", "    window: 28d", "clicks", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Replace(yml, "%s", tt.settings, 1)
			text = strings.Replace(text, "%s", tt.metric, 1)
			if tt.want == "" {
				text = strings.Replace(text, `"sc-domain:example.com"`, `"https://www.example.com"`, 1)
				tt.want, tt.line = "trailing slash", 6
			}
			_, err := config.Load("t.yml", []byte(text), Types())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if want := "t.yml:" + itoa(tt.line) + ":"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %v is not at %s", err, want)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
