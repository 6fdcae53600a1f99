package collectors

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

func analyticsChannel(api *fakeapi.Server, metrics map[string]string, settings *analyticsSettings) *config.Channel {
	settings.TokenURL = api.URL + "/token"
	settings.Metrics = metrics
	return &config.Channel{Name: "analytics", Type: "google_analytics", APIURL: api.URL, Concurrency: 1, Settings: settings,
		Credentials: config.NewCredentials("service_account", fakeapi.GoogleServiceAccountKey())}
}

func TestGoogleAnalytics(t *testing.T) {
	api := newAPI(t)
	// The recorded property is in Berlin: yesterday ended at its midnight.
	berlinMidnight := time.Date(2026, 9, 1, 0, 0, 0, 0, mustLoadLocation("Europe/Berlin"))
	pacificMidnight := time.Date(2026, 9, 1, 0, 0, 0, 0, pacific)
	at := func(account, metric string, v float64, when time.Time) Reading {
		return Reading{Account: account, Metric: metric, Value: v, Time: when}
	}
	three := map[string]string{"sessions": "sessions", "active_users": "activeUsers", "engagement_rate": "engagementRate"}
	tests := []struct {
		name         string
		metrics      map[string]string
		settings     analyticsSettings
		accounts     []string
		mode         map[fakeapi.API]string
		wantReadings []Reading
		wantErrors   map[string]Reason
		wantText     string
		wantSpent    int
	}{
		{
			name: "three metrics in one report; a property without visits has 0 sessions and no rate", metrics: three,
			settings: analyticsSettings{Window: 28}, accounts: []string{"123456789", "222222222"},
			wantReadings: []Reading{
				at("123456789", "active_users", 11094, berlinMidnight), at("123456789", "engagement_rate", 0.6173, berlinMidnight), at("123456789", "sessions", 14237, berlinMidnight),
				at("222222222", "active_users", 0, pacificMidnight), at("222222222", "sessions", 0, pacificMidnight),
			},
			wantSpent: 8,
		},
		{
			name: "organic search only", metrics: map[string]string{"organic_sessions": "sessions", "signups": "keyEvents"},
			settings: analyticsSettings{Window: 30, Filters: []analyticsFilter{{Field: "sessionDefaultChannelGroup", Match: "exact", Value: "Organic Search"}}},
			accounts: []string{"properties/123456789"},
			wantReadings: []Reading{
				at("properties/123456789", "organic_sessions", 5281, berlinMidnight), at("properties/123456789", "signups", 139, berlinMidnight),
			},
			wantSpent: 9,
		},
		{
			name: "an unknown metric name is decode, with GA4's message", metrics: map[string]string{"views": "pageViews"},
			settings: analyticsSettings{Window: 28}, accounts: []string{"123456789"},
			wantErrors: map[string]Reason{"123456789": Decode},
			wantText:   "Field pageViews is not a valid metric",
		},
		{
			name: "a property not shared with the service account is auth, and says what to do", metrics: three,
			settings: analyticsSettings{Window: 28}, accounts: []string{"987654321"},
			wantErrors: map[string]Reason{"987654321": Auth},
			wantText:   "add the service account " + fakeapi.GoogleServiceAccountEmail,
		},
		{
			name: "tokens per day exhausted is quota", metrics: three, settings: analyticsSettings{Window: 28}, accounts: []string{"123456789"},
			mode:       map[fakeapi.API]string{fakeapi.GoogleAnalytics: "tokens_per_day"},
			wantErrors: map[string]Reason{"123456789": Quota},
		},
		{
			name: "tokens per hour exhausted is rate limited", metrics: three, settings: analyticsSettings{Window: 28}, accounts: []string{"123456789"},
			mode:       map[fakeapi.API]string{fakeapi.GoogleAnalytics: "tokens_per_hour"},
			wantErrors: map[string]Reason{"123456789": RateLimited},
		},
		{
			name: "a token endpoint that does not know the client is auth", metrics: three, settings: analyticsSettings{Window: 28}, accounts: []string{"123456789"},
			mode:       map[fakeapi.API]string{fakeapi.GoogleToken: "invalid_client"},
			wantErrors: map[string]Reason{"123456789": Auth},
			wantText:   "invalid_client",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failFor(t, api, tt.mode)
			settings := tt.settings
			res, _ := collectAt(t, analyticsChannel(api, tt.metrics, &settings), tt.accounts, september1)
			expectResult(t, res, tt.wantReadings, tt.wantErrors, tt.wantText)
			if res.Spent != tt.wantSpent {
				t.Errorf("spent %d tokens, want %d (the answers' tokensPerDay.consumed)", res.Spent, tt.wantSpent)
			}
		})
	}
}

// One report a property and run, every metric in it; a property whose
// daily tokens would not cover another report is not asked again that day.
func TestGoogleAnalyticsCallsAndTokens(t *testing.T) {
	api := newAPI(t)
	now := september1()
	clock := func() time.Time { return now }
	settings := analyticsSettings{Window: 28}
	ch := analyticsChannel(api, map[string]string{"sessions": "sessions"}, &settings)
	c, err := New(Env{Channel: ch, Client: NewHTTPClient(time.Minute, func(string) {}, NewLimiter()), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	res := c.Collect(t.Context(), []string{"123456789", "333333333"})
	if len(res.Errors) > 0 || api.Calls(fakeapi.GoogleAnalytics) != 2 {
		t.Fatalf("first run: %d reports, errors %v; want 2 and none", api.Calls(fakeapi.GoogleAnalytics), res.Errors)
	}
	// 333333333 has 12 tokens left and a report cost 8: not asked again today.
	res = c.Collect(t.Context(), []string{"123456789", "333333333"})
	if got := reasons(res); !reflect.DeepEqual(got, map[string]Reason{"333333333": Quota}) {
		t.Errorf("second run: errors %v, want quota for 333333333", res.Errors)
	}
	if got := api.Calls(fakeapi.GoogleAnalytics); got != 3 {
		t.Errorf("%d reports after two runs, want 3", got)
	}
	// After midnight Pacific time the tokens are back.
	now = now.Add(24 * time.Hour)
	if res = c.Collect(t.Context(), []string{"333333333"}); len(res.Errors) > 0 {
		t.Errorf("the next day: %v", res.Errors)
	}
	if got := api.Calls(fakeapi.GoogleToken); got != 1 {
		t.Errorf("%d token requests, want 1", got)
	}
}

func TestGoogleAnalyticsSettings(t *testing.T) {
	yml := `plan: {name: p, goal: seo, start: 2026-07-01, end: 2026-12-31}
channels:
  ga:
    type: google_analytics
    credentials: {service_account: KEY}
    accounts: ["123456789"]
    metrics: {sessions: sessions}
%s
kpis:
  - {name: k, channel: ga, metric: sessions, milestones: [{due: 2026-07-31, target: 1}]}
`
	yml = strings.Replace(yml, "KEY", "'"+fakeapi.GoogleServiceAccountKey()+"'", 1)
	tests := []struct {
		name, settings, want string
		line                 int
	}{
		{"a window beyond 14 months", "    window: 500d", "window: 500d is not a window GA4 can answer", 8},
		{"an unknown match type", "    filters:\n      - {field: sessionDefaultChannelGroup, match: equals, value: Organic Search}", `filters[0].match: "equals" is not a match type`, 9},
		{"in_list without values", "    filters:\n      - {field: country, match: in_list, value: Germany}", "in_list takes values", 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load("t.yml", []byte(strings.Replace(yml, "%s", tt.settings, 1)), Types())
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "t.yml:"+itoa(tt.line)+":") {
				t.Errorf("got %v, want %q at line %d", err, tt.want, tt.line)
			}
		})
	}
	// A G- measurement id is not a property id; eleven metrics are too many.
	bad := strings.Replace(strings.Replace(yml, "%s", "", 1), `["123456789"]`, `["G-ABC123"]`, 1)
	if _, err := config.Load("t.yml", []byte(bad), Types()); err == nil || !strings.Contains(err.Error(), "not a G- measurement id") {
		t.Errorf("measurement id: %v", err)
	}
	many := "{"
	for i := range 11 {
		many += "m" + itoa(i) + ": sessions, "
	}
	many = strings.TrimSuffix(many, ", ") + ", sessions: sessions}"
	tooMany := strings.Replace(strings.Replace(yml, "%s", "", 1), "{sessions: sessions}", many, 1)
	if _, err := config.Load("t.yml", []byte(tooMany), Types()); err == nil || !strings.Contains(err.Error(), "at most 10") {
		t.Errorf("eleven metrics: %v", err)
	}
	// Every GA4 metric name that is none is said, each at its line.
	twoBad := strings.Replace(strings.Replace(yml, "%s", "", 1), "{sessions: sessions}", "\n      sessions: sessions\n      a: 'active users'\n      b: 9lives", 1)
	_, err := config.Load("t.yml", []byte(twoBad), Types())
	for _, want := range []string{`t.yml:9: channels.ga.metrics: a: "active users" is not a GA4 metric name`, `t.yml:10: channels.ga.metrics: b: "9lives" is not a GA4 metric name`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
}

// A key that is no service account's is said when the config loads, without
// showing any of it.
func TestServiceAccountKeyChecked(t *testing.T) {
	for name, tt := range map[string]struct{ key, want string }{
		"not JSON":                      {"-----BEGIN PRIVATE KEY-----", "service_account is not JSON"},
		"an OAuth client":               {`{"installed":{"client_id":"x","client_secret":"s3cr3t"}}`, `a key of type ""`},
		"no private key":                {`{"type":"service_account","client_email":"a@b.iam.gserviceaccount.com"}`, "lacks client_email or private_key"},
		"a user credential":             {`{"type":"authorized_user","refresh_token":"s3cr3t"}`, `a key of type "authorized_user"`},
		"a private key that is not PEM": {`{"type":"service_account","client_email":"a@b.iam.gserviceaccount.com","private_key":"s3cr3t"}`, "private_key is not a PEM private key"},
		"a PEM block that is no key":    {`{"type":"service_account","client_email":"a@b.iam.gserviceaccount.com","private_key":"-----BEGIN PRIVATE KEY-----\nczNjcjN0\n-----END PRIVATE KEY-----\n"}`, "private_key is not an RSA private key"},
		"a key cut short":               {`{"type":"service_account","client_email":"a@b.iam.gserviceaccount.com","private_key":"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"}`, "private_key is not a PEM private key"},
	} {
		t.Run(name, func(t *testing.T) {
			ch := &config.Channel{Credentials: config.NewCredentials("service_account", tt.key)}
			err := checkServiceAccount(ch)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "BEGIN") {
				t.Errorf("got %v, want %q and no part of the key", err, tt.want)
			}
		})
	}
	if err := checkServiceAccount(&config.Channel{Credentials: config.NewCredentials("service_account", fakeapi.GoogleServiceAccountKey())}); err != nil {
		t.Errorf("a real key: %v", err)
	}
	// `collector check` says it at the credentials' line.
	yml := "plan: {name: p, goal: seo, start: 2026-07-01, end: 2026-12-31}\nchannels:\n  sc:\n    type: search_console\n" +
		`    credentials: {service_account: '{"type":"service_account","client_email":"a@b.iam.gserviceaccount.com","private_key":"s3cr3t"}'}` +
		"\n    accounts: [sc-domain:acme.example]\nkpis:\n  - {name: clicks, channel: sc, metric: clicks, milestones: [{due: 2026-12-31, target: 5}]}\n"
	_, err := config.Load("t.yml", []byte(yml), Types())
	if err == nil || !strings.Contains(err.Error(), "t.yml:5: channels.sc.credentials: service_account's private_key is not a PEM private key") || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("a config with a key that is not PEM: %v", err)
	}
}
