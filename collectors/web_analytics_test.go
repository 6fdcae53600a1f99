package collectors

import (
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

func TestPlausible(t *testing.T) {
	api := newAPI(t)
	// example.com is in Berlin: the range 4 to 31 August ends at its
	// midnight; quiet.example's in UTC.
	berlin := time.Date(2026, 9, 1, 0, 0, 0, 0, mustLoadLocation("Europe/Berlin"))
	utc := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	r := func(account, metric string, v float64, at time.Time) Reading {
		return Reading{Account: account, Metric: metric, Value: v, Time: at}
	}
	ch := func(key string, filters ...plausibleFilter) *config.Channel {
		return &config.Channel{Name: "plausible", Type: "plausible", APIURL: api.URL, Concurrency: 1,
			Settings: &plausibleSettings{Window: 28, Filters: filters}, Credentials: config.NewCredentials("api_key", key)}
	}
	tests := []struct {
		name         string
		ch           *config.Channel
		mode         string
		wantReadings []Reading
		wantErrors   map[string]Reason
	}{
		{
			name: "every metric of a site; a site without visits has 0 visits and no rates", ch: ch(fakeapi.PlausibleKey),
			wantReadings: []Reading{
				r("example.com", "bounce_rate", 0.58, berlin), r("example.com", "events", 11937, berlin), r("example.com", "pageviews", 11204, berlin),
				r("example.com", "views_per_visit", 2.34, berlin), r("example.com", "visit_duration", 71, berlin), r("example.com", "visitors", 3912, berlin), r("example.com", "visits", 4786, berlin),
				r("quiet.example", "events", 0, utc), r("quiet.example", "pageviews", 0, utc), r("quiet.example", "visitors", 0, utc), r("quiet.example", "visits", 0, utc),
			},
			wantErrors: map[string]Reason{"unknown.example": Auth},
		},
		{
			name: "visits from Google only", ch: ch(fakeapi.PlausibleKey, plausibleFilter{Dimension: "visit:source", Operator: "is", Values: []string{"Google"}}),
			wantReadings: []Reading{
				r("example.com", "bounce_rate", 0.49, berlin), r("example.com", "events", 4101, berlin), r("example.com", "pageviews", 3977, berlin),
				r("example.com", "views_per_visit", 2.45, berlin), r("example.com", "visit_duration", 88, berlin), r("example.com", "visitors", 1408, berlin), r("example.com", "visits", 1622, berlin),
				r("quiet.example", "events", 0, utc), r("quiet.example", "pageviews", 0, utc), r("quiet.example", "visitors", 0, utc), r("quiet.example", "visits", 0, utc),
			},
			wantErrors: map[string]Reason{"unknown.example": Auth},
		},
		{name: "a bad key is auth", ch: ch("wrong"), wantErrors: map[string]Reason{"example.com": Auth, "quiet.example": Auth, "unknown.example": Auth}},
		{name: "a plan without the Stats API is payment", ch: ch(fakeapi.PlausibleKey), mode: "payment", wantErrors: map[string]Reason{"example.com": Payment, "quiet.example": Payment, "unknown.example": Payment}},
		{name: "600 an hour is rate limited", ch: ch(fakeapi.PlausibleKey), mode: "rate", wantErrors: map[string]Reason{"example.com": RateLimited, "quiet.example": RateLimited, "unknown.example": RateLimited}},
		{name: "a query Plausible refuses is decode", ch: ch(fakeapi.PlausibleKey), mode: "invalid", wantErrors: map[string]Reason{"example.com": Decode, "quiet.example": Decode, "unknown.example": Decode}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api.Fail(fakeapi.Plausible, tt.mode)
			defer api.Fail(fakeapi.Plausible, "")
			res, _ := collectAt(t, tt.ch, []string{"example.com", "quiet.example", "unknown.example"}, september1)
			if !reflect.DeepEqual(inUTC(res.Readings), inUTC(tt.wantReadings)) {
				t.Errorf("readings:\n got %v\nwant %v", res.Readings, tt.wantReadings)
			}
			if got := reasons(res); !reflect.DeepEqual(got, mapOrEmpty(tt.wantErrors)) {
				t.Errorf("errors: got %v, want %v (%v)", got, tt.wantErrors, res.Errors)
			}
		})
	}
}

func TestMatomo(t *testing.T) {
	api := newAPI(t)
	end := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	r := func(account, metric string, v float64) Reading {
		return Reading{Account: account, Metric: metric, Value: v, Time: end}
	}
	ch := func(token string) *config.Channel {
		return &config.Channel{Name: "matomo", Type: "matomo", APIURL: api.URL + "/matomo/", Concurrency: 1,
			Settings: &matomoSettings{Window: 28}, Credentials: config.NewCredentials("token_auth", token)}
	}
	tests := []struct {
		name         string
		token, mode  string
		wantReadings []Reading
		wantErrors   map[string]Reason
		wantHidden   []Hidden
	}{
		{
			name: "visits and goals; unique visitors not processed for ranges are hidden, not 0; [] is no visits", token: fakeapi.MatomoToken,
			wantReadings: []Reading{
				r("3", "actions", 3102), r("3", "avg_visit_duration", 165), r("3", "bounce_rate", 0.6732), r("3", "conversion_rate", 0.9412), r("3", "conversions", 32), r("3", "visits", 1579),
				r("4", "actions", 3102), r("4", "avg_visit_duration", 165), r("4", "bounce_rate", 0.67), r("4", "conversion_rate", 0.9412), r("4", "conversions", 32), r("4", "unique_visitors", 1518), r("4", "visits", 1579),
				r("5", "actions", 0), r("5", "conversions", 0), r("5", "visits", 0),
			},
			wantErrors: map[string]Reason{"9": Auth},
			wantHidden: []Hidden{{Account: "3", Metric: "unique_visitors"}, {Account: "5", Metric: "unique_visitors"}},
		},
		{name: "a bad token is auth (Matomo 5's 401)", token: "ffffffffffffffffffffffffffffffff", wantErrors: map[string]Reason{"3": Auth, "4": Auth, "5": Auth, "9": Auth}},
		{name: "a bad token is auth (Matomo 4's 200)", token: fakeapi.MatomoToken, mode: "legacy_auth", wantErrors: map[string]Reason{"3": Auth, "4": Auth, "5": Auth, "9": Auth}},
		{name: "the brute-force lockout, a 200, is rate limited", token: fakeapi.MatomoToken, mode: "lockout", wantErrors: map[string]Reason{"3": RateLimited, "4": RateLimited, "5": RateLimited, "9": RateLimited}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api.Fail(fakeapi.Matomo, tt.mode)
			defer api.Fail(fakeapi.Matomo, "")
			res, _ := collectAt(t, ch(tt.token), []string{"3", "4", "5", "9"}, september1)
			if !reflect.DeepEqual(res.Readings, tt.wantReadings) {
				t.Errorf("readings:\n got %v\nwant %v", res.Readings, tt.wantReadings)
			}
			if got := reasons(res); !reflect.DeepEqual(got, mapOrEmpty(tt.wantErrors)) {
				t.Errorf("errors: got %v, want %v (%v)", got, tt.wantErrors, res.Errors)
			}
			var hidden []Hidden
			for _, h := range res.Hidden {
				hidden = append(hidden, Hidden{Account: h.Account, Metric: h.Metric})
			}
			if !reflect.DeepEqual(hidden, tt.wantHidden) {
				t.Errorf("hidden = %v, want %v", hidden, tt.wantHidden)
			}
			for _, e := range res.Errors {
				if strings.Contains(e.Error(), tt.token) {
					t.Errorf("an error shows the token: %v", e)
				}
			}
		})
	}
}

// Goals.get is an optional call: made only for a KPI on conversions, and
// its failure costs only them, never the visits read before it.
func TestMatomoGoalsOnlyWhenWanted(t *testing.T) {
	end := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	r := func(account, metric string, v float64) Reading {
		return Reading{Account: account, Metric: metric, Value: v, Time: end}
	}
	visits := []Reading{r("3", "actions", 3102), r("3", "avg_visit_duration", 165), r("3", "bounce_rate", 0.6732), r("3", "visits", 1579),
		r("5", "actions", 0), r("5", "visits", 0)}
	withGoals := []Reading{r("3", "actions", 3102), r("3", "avg_visit_duration", 165), r("3", "bounce_rate", 0.6732), r("3", "conversion_rate", 0.9412), r("3", "conversions", 32), r("3", "visits", 1579),
		r("5", "actions", 0), r("5", "conversions", 0), r("5", "visits", 0)}
	tests := []struct {
		name         string
		kpiMetrics   []string // the metrics the plan's KPIs read; nil: not known
		mode         string
		wantCalls    int
		wantReadings []Reading
		wantErrors   map[string]Reason
	}{
		{name: "KPIs on visits only: VisitsSummary.get alone", kpiMetrics: []string{"visits", "bounce_rate"}, wantCalls: 2, wantReadings: visits},
		{name: "no KPI on the channel: VisitsSummary.get alone", kpiMetrics: []string{}, wantCalls: 2, wantReadings: visits},
		{name: "a KPI on conversions: both calls", kpiMetrics: []string{"visits", "conversions"}, wantCalls: 4, wantReadings: withGoals},
		{name: "a KPI on conversion_rate: both calls", kpiMetrics: []string{"conversion_rate"}, wantCalls: 4, wantReadings: withGoals},
		{name: "KPIs not known: both calls", kpiMetrics: nil, wantCalls: 4, wantReadings: withGoals},
		{name: "Goals.get failing keeps the visits", kpiMetrics: []string{"visits", "conversions"}, mode: "goals_off", wantCalls: 4, wantReadings: visits,
			wantErrors: map[string]Reason{"3/conversions": Decode, "5/conversions": Decode}},
		{name: "Goals.get failing costs nothing without a KPI on conversions", kpiMetrics: []string{"visits"}, mode: "goals_off", wantCalls: 2, wantReadings: visits},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newAPI(t)
			api.Fail(fakeapi.Matomo, tt.mode)
			ch := &config.Channel{Name: "matomo", Type: "matomo", APIURL: api.URL + "/matomo/", Concurrency: 1, Timeout: 10 * time.Second,
				Settings: &matomoSettings{Window: 28}, Credentials: config.NewCredentials("token_auth", fakeapi.MatomoToken)}
			c, err := New(Env{Channel: ch, Client: NewHTTPClient(ch.Timeout, func(string) {}, NewLimiter()), Now: september1, Metrics: tt.kpiMetrics})
			if err != nil {
				t.Fatal(err)
			}
			res := c.Collect(t.Context(), []string{"3", "5"})
			sort.Slice(res.Readings, func(i, j int) bool {
				a, b := res.Readings[i], res.Readings[j]
				return a.Account < b.Account || a.Account == b.Account && a.Metric < b.Metric
			})
			expectResult(t, res, tt.wantReadings, tt.wantErrors, "")
			if got := api.Calls(fakeapi.Matomo); got != tt.wantCalls {
				t.Errorf("%d calls, want %d", got, tt.wantCalls)
			}
			for _, e := range res.Errors {
				if !strings.Contains(e.Error(), "conversions and conversion_rate not read") {
					t.Errorf("the error does not say what was lost: %v", e)
				}
			}
		})
	}
}

func TestMatomoTokenNeverInTheURL(t *testing.T) {
	yml := `plan: {name: p, goal: seo, start: 2026-07-01, end: 2026-12-31}
channels:
  m:
    type: matomo
    api_url: https://matomo.example.org/index.php?token_auth=0123456789abcdef0123456789abcdef
    credentials: {token_auth: 0123456789abcdef0123456789abcdef}
    accounts: ["3"]
kpis:
  - {name: k, channel: m, metric: visits, milestones: [{due: 2026-07-31, target: 1}]}
`
	_, err := config.Load("t.yml", []byte(yml), Types())
	if err == nil || !strings.Contains(err.Error(), "t.yml:5:") || !strings.Contains(err.Error(), "sent in the POST body") {
		t.Errorf("got %v, want a problem at line 5 about token_auth in the URL", err)
	}
	without := strings.Replace(yml, "    api_url: https://matomo.example.org/index.php?token_auth=0123456789abcdef0123456789abcdef\n", "", 1)
	if _, err := config.Load("t.yml", []byte(without), Types()); err == nil || !strings.Contains(err.Error(), "needs the address of its Matomo server") {
		t.Errorf("without api_url: %v", err)
	}
}

// inUTC is readings with their times in UTC, for comparing moments.
func inUTC(rs []Reading) []Reading {
	out := make([]Reading, len(rs))
	for i, r := range rs {
		r.Time = r.Time.UTC()
		out[i] = r
	}
	return out
}
