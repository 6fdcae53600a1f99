package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
	"github.com/kpi-collector/kpi-collector/vocab"
)

const (
	youtubeKey  = "AIzaSy-test-youtube-key-1234"
	recordToken = "record-token-5678"
)

func setEnv(t *testing.T) {
	t.Setenv("KPI_TEST_YOUTUBE_KEY", youtubeKey)
	t.Setenv("KPI_TEST_RECORD_TOKEN", recordToken)
}

func TestLoadGood(t *testing.T) {
	setEnv(t)
	cfg, err := config.LoadFile("testdata/good.yml", collectors.Types())
	if err != nil {
		t.Fatal(err)
	}
	yt := cfg.Channels["youtube"]
	if yt.Credentials.Get("api_key").Reveal() != youtubeKey || yt.Timeout != 30*time.Second || yt.Name != "youtube" {
		t.Errorf("youtube channel = %+v", yt)
	}
	if got := cfg.Channels["newsletter"].Credentials.Get("bearer_token").Reveal(); got != "newsletter-secret-value" {
		t.Errorf("bearer_token_file gave %q", got)
	}
	if got := cfg.Channels["blog"].Schedule; got != "@every 1h" {
		t.Errorf("feed default schedule = %q", got)
	}
	if got := cfg.Channels["offline"].Accounts; len(got) != 1 || got[0] != config.DefaultManualAccount {
		t.Errorf("manual accounts = %v", got)
	}
	blog := cfg.KPIs[1]
	if blog.Account != "https://blog.acme.example/feed.xml" || *blog.Tolerance != 0.05 || blog.Count != vocab.Growth {
		t.Errorf("blog KPI defaults = %+v", blog)
	}
	stockholm, _ := time.LoadLocation("Europe/Stockholm")
	if due := cfg.KPIs[0].Due[0].Due; !due.Equal(time.Date(2026, 8, 1, 0, 0, 0, 0, stockholm)) {
		t.Errorf("due 2026-07-31 resolved to %v, want the end of that day in Stockholm", due)
	}
	if n := len(cfg.KPIs[2].Due); n != 2 {
		t.Errorf("quarterly milestones from July to December: %d, want 2", n)
	}
	// No secret shows when the config is printed.
	dump := fmt.Sprintf("%v %+v %#v %s", cfg, *yt, yt.Credentials, yt.Credentials.Get("api_key"))
	for _, secret := range []string{youtubeKey, recordToken, "newsletter-secret-value"} {
		if strings.Contains(dump, secret) {
			t.Errorf("a printed config shows the secret %q", secret)
		}
	}
}

// Each bad config is the good one with one change; the problem must name the
// file, the line and the value.
func TestLoadBad(t *testing.T) {
	good, err := os.ReadFile("testdata/good.yml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		from, to  string
		wantLine  int
		wantWords []string
	}{
		{"unknown key", "    schedule: \"@every 6h\"", "    schedul: \"@every 6h\"", 11, []string{`unknown key "schedul"`}},
		{"a second goal", "  goal: brand_awareness", "  goal: [brand_awareness, seo]", 3, []string{"exactly one goal", "brand_awareness, seo"}},
		{"an unknown goal", "  goal: brand_awareness", "  goal: sales", 3, []string{`"sales" is not a goal`}},
		{"a bad timezone", "  timezone: Europe/Stockholm", "  timezone: Mars/Olympus", 4, []string{`"Mars/Olympus" is not a time zone`}},
		{"end before start", "  end: 2026-12-31", "  end: 2026-06-30", 6, []string{"before plan.start"}},
		{"a bad date", "  start: 2026-07-01", "  start: 2026-13-01", 5, []string{`"2026-13-01" is not a date`}},
		{"an unknown type", "    type: youtube", "    type: no_such_type", 10, []string{`"no_such_type" is not a channel type`}},
		{"a bad cron spec", `    schedule: "@every 6h"`, `    schedule: "every six hours"`, 11, []string{`"every six hours" is not a cron schedule`}},
		{"a wrong type", "    timeout: 30s", "    timeout: soon", 12, []string{`"soon" should be a duration`}},
		{"a word for a number", "    timeout: 30s", "    timeout: 30s\n    quota: lots", 13, []string{`"lots" should be a whole number`}},
		{"a scalar for a list", "    accounts: [https://blog.acme.example/feed.xml]", "    accounts: https://blog.acme.example/feed.xml", 19, []string{`found "https://blog.acme.example/feed.xml" where a list belongs`}},
		{"a list for text", "  name: acme-2026-h2", "  name: [acme]", 2, []string{"found a list where text belongs"}},
		{"a credential the type does not take", "      api_key: ${KPI_TEST_YOUTUBE_KEY}", "      api_key: ${KPI_TEST_YOUTUBE_KEY}\n      bearer_tokn: abc", 16, []string{`a youtube channel takes no credential "bearer_tokn" (it takes api_key)`}},
		{"a missing credential", "      api_key: ${KPI_TEST_YOUTUBE_KEY}", "      api_key: \"\"", 14, []string{"needs a credential", "credentials.api_key"}},
		{"an unset variable", "${KPI_TEST_YOUTUBE_KEY}", "${KPI_TEST_UNSET_VARIABLE}", 15, []string{"KPI_TEST_UNSET_VARIABLE is not set"}},
		{"a missing secret file", "bearer_token_file: secret.txt", "bearer_token_file: nosuch.txt", 24, []string{"nosuch.txt"}},
		{"a key the type does not take", "    accounts: [https://blog.acme.example/feed.xml]", "    accounts: [https://blog.acme.example/feed.xml]\n    api: v2", 20, []string{"type feed takes no api"}},
		{"a KPI on a missing channel", "    channel: youtube", "    channel: yt", 31, []string{`channel "yt" is not among channels`}},
		{"a KPI on a missing account", "    account: UC_x5XG1OV2P6uZZ5FSM9Ttw", "    account: UCnope", 32, []string{`account "UCnope" is not among`}},
		{"an unknown metric", "    metric: subscribers\n    count: total", "    metric: likes\n    count: total", 33, []string{`no metric "likes"`, "subscribers, views, videos"}},
		{"milestones out of order", "      - { due: 2026-09-30, target: 1500 }", "      - { due: 2026-07-15, target: 1500 }", 38, []string{"not after the one before it"}},
		{"a milestone outside the plan", "      - { due: 2026-09-30, target: 1500 }", "      - { due: 2027-01-31, target: 1500 }", 38, []string{"outside the plan"}},
		{"both milestone forms", "    every: quarter", "    every: quarter\n    milestones: [ { due: 2026-07-31, target: 8 } ]", 48, []string{"not both"}},
		{"a step of zero", "    step: 100", "    step: 0", 49, []string{"step must be a number more than 0"}},
		{"a bad count", "    count: total\n    tolerance", "    count: sum\n    tolerance", 34, []string{`count "sum" must be total or growth`}},
		{"a bad direction", "    count: total\n    tolerance", "    count: total\n    direction: sideways\n    tolerance", 35, []string{`direction "sideways" must be up`}},
		{"a bad feed URL", "[https://blog.acme.example/feed.xml]", "[blog.acme.example/feed.xml]", 19, []string{"http or https URL"}},
		{"a duplicate KPI name", "  - name: blog_articles", "  - name: youtube_subscribers", 39, []string{"already the name of kpis[0]"}},
		{"a KPI without milestones", "    milestones: [ { due: 2026-07-31, target: 8 } ]\n  - name: newsletter", "  - name: newsletter", 39, []string{"has no milestones"}},
		{"not YAML", "plan:\n", "plan: [\n", 2, []string{"not valid YAML"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t)
			if !strings.Contains(string(good), tt.from) {
				t.Fatalf("the good config has no %q", tt.from)
			}
			bad := strings.Replace(string(good), tt.from, tt.to, 1)
			file := filepath.Join("testdata", "bad.yml")
			_, err := loadBothWays(t, file, []byte(bad))
			if err == nil {
				t.Fatal("loaded without error")
			}
			msg := err.Error()
			if tt.wantLine > 0 {
				if want := fmt.Sprintf("%s:%d: ", file, tt.wantLine); !strings.Contains(msg, want) {
					t.Errorf("error does not name %q:\n%s", want, msg)
				}
			}
			for _, w := range tt.wantWords {
				if !strings.Contains(msg, w) {
					t.Errorf("error does not say %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, youtubeKey) || strings.Contains(msg, recordToken) {
				t.Errorf("error shows a secret:\n%s", msg)
			}
		})
	}
}

// Per-type keys are checked by the type's own rules.
func TestTypeOptions(t *testing.T) {
	tests := []struct {
		name, channel, want string
	}{
		{"an X API version that does not exist", "{type: twitter, api: v3, credentials: {bearer_token: t}, accounts: [acme]}", `api: "v3" is not an X API version`},
		{"a LinkedIn version that is not a month", "{type: linkedin, version: \"2026-10\", credentials: {access_token: t}, accounts: [\"123\"]}", "is not a LinkedIn version"},
		{"a LinkedIn account that is neither id nor URN", "{type: linkedin, credentials: {access_token: t}, accounts: [acme]}", "organization id"},
		{"a Mastodon account without an instance", "{type: mastodon, accounts: [Gargron]}", "user@instance"},
		{"an X username with a dash", "{type: twitter, credentials: {bearer_token: t}, accounts: [acme-inc]}", "username"},
		{"a Graph channel without a token", "{type: facebook, accounts: [\"123\"]}", "credentials.access_token"},
		{"min_followers on API v1.1", "{type: twitter, api: v1.1, min_followers: 1000, credentials: {bearer_token: t}, accounts: [acme]}", "API v2 only"},
		{"a version key on YouTube", "{type: youtube, version: v3, credentials: {api_key: k}, accounts: [UC1]}", "type youtube takes no version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yml := "plan: {name: p, goal: seo, start: 2026-07-01, end: 2026-12-31}\nchannels:\n  c: " + tt.channel +
				"\nkpis: [{name: k, channel: c, metric: followers, milestones: [{due: 2026-07-31, target: 1}]}]\n"
			_, err := config.Load("t.yml", []byte(yml), collectors.Types())
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "t.yml:3:") {
				t.Errorf("got %v, want an error at line 3 saying %q", err, tt.want)
			}
		})
	}
}

// influential_followers needs min_followers; with it, the channel defaults
// to a daily schedule, as follower lists are costly.
func TestInfluentialFollowersConfig(t *testing.T) {
	base := "plan: {name: p, goal: networking, start: 2026-07-01, end: 2026-12-31}\nchannels:\n  x: {type: twitter, credentials: {bearer_token: t}, accounts: [acme]%s}\n" +
		"kpis: [{name: k, channel: x, metric: influential_followers, count: growth, milestones: [{due: 2026-07-31, target: 50}]}]\n"
	_, err := config.Load("t.yml", []byte(fmt.Sprintf(base, "")), collectors.Types())
	if err == nil || !strings.Contains(err.Error(), "set channels.x.min_followers") {
		t.Errorf("without min_followers: %v", err)
	}
	cfg, err := config.Load("t.yml", []byte(fmt.Sprintf(base, ", min_followers: 1000")), collectors.Types())
	if err != nil {
		t.Fatal(err)
	}
	if ch := cfg.Channels["x"]; ch.Schedule != "@daily" || config.PagesOf(ch).MaxPages != 10 || config.InfluenceOf(ch).MinFollowers != 1000 {
		t.Errorf("schedule %q, max_pages %d and min_followers %d, want @daily, 10 and 1000", ch.Schedule, config.PagesOf(ch).MaxPages, config.InfluenceOf(ch).MinFollowers)
	}
}

func TestLoadEmptyAndHuge(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":       nil,
		"blank":       []byte("  \n\n"),
		"only a list": []byte("- a\n- b\n"),
		"huge":        []byte("plan:\n  name: " + strings.Repeat("x", config.MaxFileSize) + "\n"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := config.Load("f.yml", data, collectors.Types())
			if err == nil || !strings.HasPrefix(err.Error(), "f.yml") {
				t.Errorf("got %v, want an error naming the file", err)
			}
		})
	}
}

func TestEnvDefault(t *testing.T) {
	data, err := os.ReadFile("../config/example.yml")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("KPI_RECORD_TOKEN", "")
	os.Unsetenv("KPI_RECORD_TOKEN")
	cfg, err := config.Load("example.yml", data, collectors.Types())
	if err != nil {
		t.Fatalf("the example must load without any credentials set: %v", err)
	}
	if cfg.Channels["offline"].Credentials.Get("token").IsSet() {
		t.Error("${KPI_RECORD_TOKEN:-} with the variable unset must give an empty token")
	}
}

// The example's commented channels are valid once uncommented: every channel
// type it shows is a config a user can copy.
func TestExampleEveryChannel(t *testing.T) {
	data, err := os.ReadFile("example.yml")
	if err != nil {
		t.Fatal(err)
	}
	commented := regexp.MustCompile(`(?m)^  # ((?:[a-z_]+:.*)|(?:  .*))$`)
	uncommented := commented.ReplaceAll(data, []byte("  $1"))
	for _, v := range []string{"YOUTUBE_API_KEY", "X_BEARER_TOKEN", "FACEBOOK_ACCESS_TOKEN", "LINKEDIN_ACCESS_TOKEN", "MAILCHIMP_API_KEY", "PLAUSIBLE_API_KEY", "MATOMO_TOKEN"} {
		t.Setenv(v, "test-"+v)
	}
	t.Setenv("GOOGLE_SERVICE_ACCOUNT_JSON", fakeapi.GoogleServiceAccountKey())
	if _, err := config.Load("example.yml", uncommented, collectors.Types()); err != nil {
		t.Fatalf("the example with every channel uncommented: %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	good, err := os.ReadFile("testdata/good.yml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("plan: {goal: [a, b]}"))
	f.Add([]byte("channels: {x: {type: youtube, credentials: {api_key_file: /dev/null}}}"))
	f.Add([]byte("kpis: [{milestones: [{due: 2026-02-30}]}]"))
	// A type's own settings, rivals, windows and comparisons.
	f.Add([]byte("plan: {name: p, goal: seo, start: 2026-07-01, end: 2026-12-31}\nchannels: {s: {type: search_console, window: 28d, filters: [{dimension: page, operator: contains, expression: /b/}], credentials: {service_account: '{}'}, accounts: ['sc-domain:a.b']}, b: {type: bluesky, accounts: [a.b], rivals: [c.d], posts_window: 4w}}\nkpis: [{name: k, channel: b, metric: followers, versus: rivals, compare: share, direction: down, milestones: [{due: 2026-07-31, target: 0.2}]}]"))
	f.Add([]byte("channels: {g: {type: google_analytics, window: 0d, metrics: {a: b}, filters: [{field: x, match: in_list, values: [1]}]}, m: {type: matomo, api_url: 'https://m/?token_auth=1', goal: -1}}"))
	f.Add([]byte("channels: {y: {type: youtube, credentials: {api_key: 'k-${KPI_FUZZ_UNSET}', headers: {X: '${KPI_FUZZ_UNSET:-d}'}}}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := loadBothWays(t, "fuzz.yml", data)
		if err == nil && cfg == nil {
			t.Fatal("no config and no error")
		}
		// What loads with every secret loads without them, as the same plan.
		lenient, lenientErr := config.Load("fuzz.yml", data, collectors.Types(), config.WithoutSecrets())
		if lenientErr == nil && lenient == nil {
			t.Fatal("no config and no error without secrets")
		}
		if err == nil && (lenientErr != nil || len(lenient.KPIs) != len(cfg.KPIs) || len(lenient.Channels) != len(cfg.Channels)) {
			t.Fatalf("loads with its secrets but not without them: %v", lenientErr)
		}
	})
}

// A credential that is an example's placeholder is refused: anyone who read
// the example could use it.
func TestPlaceholderSecretsAreRefused(t *testing.T) {
	yml := `plan: {name: p, goal: seo, start: 2026-07-01, end: 2026-12-31}
channels:
  offline:
    type: manual
    credentials: {token: change-me}
kpis: [{name: k, channel: offline, metric: m, milestones: [{due: 2026-12-31, target: 1}]}]
`
	_, err := config.Load("t.yml", []byte(yml), collectors.Types())
	if err == nil || !strings.Contains(err.Error(), "t.yml:5: channels.offline.credentials.token is an example's placeholder") {
		t.Errorf("a change-me token: %v", err)
	}
}

// A large plan stays short: a channel's accounts may come from a file, and a
// KPI may apply to every account of its channel; a bad account in the file
// is reported at its line there.
func TestAccountsFileAndEveryAccount(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("accounts.txt", "# our YouTube channels\nUC_x5XG1OV2P6uZZ5FSM9Ttw\n\nUCgen2\nUCgen3\n")
	plan := `plan: {name: p, goal: seo, start: 2026-07-01, end: 2026-12-31}
channels:
  yt:
    type: youtube
    credentials: {api_key: a-key-of-ours}
    accounts: [UCgen1]
    accounts_file: accounts.txt
kpis:
  - {name: subs, channel: yt, account: "*", metric: subscribers, milestones: [{due: 2026-12-31, target: 1000}]}
`
	cfg, err := config.LoadFile(write("plan.yml", plan), collectors.Types())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"UCgen1", "UC_x5XG1OV2P6uZZ5FSM9Ttw", "UCgen2", "UCgen3"}; !slices.Equal(cfg.Channels["yt"].Accounts, want) {
		t.Errorf("accounts %v, want %v", cfg.Channels["yt"].Accounts, want)
	}
	var names []string
	for _, k := range cfg.KPIs {
		names = append(names, k.Name+"="+k.Account)
		if len(k.Due) != 1 {
			t.Errorf("%s has %d milestones", k.Name, len(k.Due))
		}
	}
	if want := []string{"subs:UCgen1=UCgen1", "subs:UC_x5XG1OV2P6uZZ5FSM9Ttw=UC_x5XG1OV2P6uZZ5FSM9Ttw", "subs:UCgen2=UCgen2", "subs:UCgen3=UCgen3"}; !slices.Equal(names, want) {
		t.Errorf("KPIs %v, want %v", names, want)
	}

	// A duplicate in the file is reported at its line there; a missing
	// file at the key.
	write("accounts.txt", "UCgen2\nUCgen1\n")
	_, err = config.LoadFile(filepath.Join(dir, "plan.yml"), collectors.Types())
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "accounts.txt")+`:2: channels.yt.accounts: "UCgen1" is listed twice`) {
		t.Errorf("a duplicate account in the file: %v", err)
	}
	write("plan.yml", strings.Replace(plan, "accounts.txt", "nosuch.txt", 1))
	_, err = config.LoadFile(filepath.Join(dir, "plan.yml"), collectors.Types())
	if err == nil || !strings.Contains(err.Error(), "plan.yml:7: channels.yt.accounts_file:") {
		t.Errorf("a missing accounts file: %v", err)
	}
}

// Engagement and rivals: every mistake named at its line.
func TestEngagementAndRivalsConfig(t *testing.T) {
	base := `plan: {name: p, goal: thought_leadership, start: 2026-07-01, end: 2026-12-31}
channels:
  b:
    type: bluesky
    accounts: [acme.bsky.social]
    rivals: [rival.bsky.social]
    posts_window: 30d
kpis:
  - {name: k, channel: b, metric: engagement_rate, milestones: [{due: 2026-07-31, target: 0.01}]}
`
	if cfg, err := config.Load("t.yml", []byte(base), collectors.Types()); err != nil {
		t.Fatal(err)
	} else if ch := cfg.Channels["b"]; !ch.Engagement || config.PostsOf(ch).PostsWindow != 30 || len(ch.AllAccounts()) != 2 {
		t.Errorf("engagement %v, window %v, accounts %v", ch.Engagement, config.PostsOf(ch).PostsWindow, ch.AllAccounts())
	}
	tests := []struct {
		name, from, to, want string
		line                 int
	}{
		{"a rival that is an own account", "rivals: [rival.bsky.social]", "rivals: [acme.bsky.social]", "is one of the channel's own accounts", 6},
		{"a posts_window further back than the API pages", "posts_window: 30d", "posts_window: 400d", "further back than the bluesky API pages posts", 7},
		{"a zero window", "posts_window: 30d", "posts_window: 0d", "is no window", 7},
		{"a negative window", "posts_window: 30d", "posts_window: -3d", "is not a window in days", 7},
		{"count: growth on an engagement metric", "metric: engagement_rate,", "metric: engagement_rate, count: growth,", "is a level over the recent posts", 9},
		{"versus on a channel without rivals", "    rivals: [rival.bsky.social]\n", "", "lists no rivals", 8},
		{"a comparison that does not exist", "metric: engagement_rate,", "metric: followers, versus: rivals, compare: ratio,", `compare "ratio" must be share`, 9},
		{"versus without compare", "metric: engagement_rate,", "metric: followers, versus: rivals,", `compare "" must be share`, 9},
		{"a comparison counted as growth", "metric: engagement_rate,", "metric: followers, versus: rivals, compare: share, count: growth,", "a comparison with rivals is a level", 9},
		{"compare on a metric the type does not read", "metric: engagement_rate,", "metric: views_in_window, versus: rivals, compare: share,", `has no metric "views_in_window"`, 9},
		{"posts_window on a type without engagement", "    type: bluesky\n", "    type: feed\n", "type feed takes no posts_window", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "versus on a channel without rivals" {
				tt.from, tt.to = "    rivals: [rival.bsky.social]\n", ""
			}
			bad := strings.Replace(base, tt.from, tt.to, 1)
			if tt.name == "versus on a channel without rivals" {
				bad = strings.Replace(bad, "metric: engagement_rate,", "metric: followers, versus: rivals, compare: share,", 1)
			}
			_, err := config.Load("t.yml", []byte(bad), collectors.Types())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if want := fmt.Sprintf("t.yml:%d:", tt.line); !strings.Contains(err.Error(), want) {
				t.Errorf("not at %s: %v", want, err)
			}
		})
	}
}

// A command that calls no API loads the plan WithoutSecrets: a secret whose
// ${VAR} is unset, or whose file is not there, is left unset instead of
// refused; every other problem, a ${VAR} outside credentials included, is
// still one.
func TestLoadWithoutSecrets(t *testing.T) {
	good, err := os.ReadFile("testdata/good.yml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		from, to  string
		wantWords []string // the problems; none: it loads
	}{
		{name: "an unset variable for a secret", from: "${KPI_TEST_YOUTUBE_KEY}", to: "${KPI_TEST_UNSET_VARIABLE}"},
		{name: "an unset variable inside a secret", from: "${KPI_TEST_YOUTUBE_KEY}", to: "key-${KPI_TEST_UNSET_VARIABLE}"},
		{name: "a secret file that is not there", from: "bearer_token_file: secret.txt", to: "bearer_token_file: nosuch.txt"},
		{name: "a secret file in an unset folder", from: "bearer_token_file: secret.txt", to: `bearer_token_file: "${KPI_TEST_UNSET_VARIABLE}/secret.txt"`},
		{name: "an unset variable outside the credentials", from: "    api_url: https://youtube.googleapis.com/", to: "    api_url: ${KPI_TEST_UNSET_VARIABLE}",
			wantWords: []string{"bad.yml:13: environment variable KPI_TEST_UNSET_VARIABLE is not set"}},
		{name: "a credential the file does not give", from: "      api_key: ${KPI_TEST_YOUTUBE_KEY}", to: "      api_key: \"\"",
			wantWords: []string{"bad.yml:14: channels.youtube: a youtube channel needs a credential"}},
		{name: "a credential the type does not take", from: "      api_key: ${KPI_TEST_YOUTUBE_KEY}", to: "      api_key: ${KPI_TEST_UNSET_VARIABLE}\n      bearer_tokn: ${KPI_TEST_UNSET_VARIABLE}",
			wantWords: []string{`a youtube channel takes no credential "bearer_tokn"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t)
			if !strings.Contains(string(good), tt.from) {
				t.Fatalf("the good config has no %q", tt.from)
			}
			data := []byte(strings.Replace(string(good), tt.from, tt.to, 1))
			file := filepath.Join("testdata", "bad.yml")
			if _, err := config.Load(file, data, collectors.Types()); err == nil {
				t.Error("loaded with every secret asked for")
			}
			cfg, err := config.Load(file, data, collectors.Types(), config.WithoutSecrets())
			if len(tt.wantWords) == 0 {
				if err != nil {
					t.Fatalf("not loaded without secrets: %v", err)
				}
				if yt := cfg.Channels["youtube"].Credentials.Get("api_key"); tt.from == "${KPI_TEST_YOUTUBE_KEY}" && yt.IsSet() {
					t.Error("a secret whose variable is unset is set")
				}
				if cfg.Channels["offline"].Credentials.Get("token").Reveal() != recordToken {
					t.Error("a secret whose variable is set is not")
				}
				return
			}
			if err == nil {
				t.Fatal("loaded without error")
			}
			for _, w := range tt.wantWords {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}

// The keys only some types take live in each type's settings: they keep
// their defaults and rules, and every mistake is named at its line.
func TestTypeKeysAtTheirLines(t *testing.T) {
	base := `plan: {name: p, goal: networking, start: 2026-07-01, end: 2026-12-31}
channels:
  x:
    type: twitter
    credentials: {bearer_token: t}
    accounts: [acme]
    KEYS
kpis:
  - {name: k, channel: x, metric: METRIC, milestones: [{due: 2026-07-31, target: 1}]}
`
	tests := []struct {
		name, keys, metric, want string
		line                     int
	}{
		{"max_pages of zero", "max_pages: 0", "followers", "channels.x.max_pages: 0 must be at least 1", 7},
		{"negative max_pages", "max_pages: -2", "followers", "channels.x.max_pages: -2 must be at least 1", 7},
		{"negative min_followers", "min_followers: -1", "followers", "channels.x.min_followers: -1 must not be negative", 7},
		{"max_pages as words", "max_pages: many", "followers", `"many" should be a whole number`, 7},
		{"min_followers as a list", "min_followers: [1]", "followers", "found a list where a whole number belongs", 7},
		{"another type's key", "metrics: {a: b}", "followers", "type twitter takes no metrics (beyond the keys every channel takes, it takes api, concurrency, max_pages, min_followers, posts_window, quota)", 7},
		{"another type's key, second", "version: \"202610\"", "followers", "type twitter takes no version", 7},
		{"a key no type takes", "max_page: 3", "followers", `unknown key "max_page"`, 7},
		{"influential followers without min_followers", "max_pages: 3", "influential_followers", "set channels.x.min_followers", 9},
		{"an X API version that does not exist", "api: v3", "followers", `channels.x.api: "v3" is not an X API version`, 7},
		{"posts_window beyond a year", "posts_window: 53w", "followers", "further back than the twitter API pages posts (365d at most)", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yml := strings.Replace(strings.Replace(base, "KEYS", tt.keys, 1), "METRIC", tt.metric, 1)
			_, err := config.Load("t.yml", []byte(yml), collectors.Types())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if want := fmt.Sprintf("t.yml:%d:", tt.line); !strings.Contains(err.Error(), want) {
				t.Errorf("not at %s: %v", want, err)
			}
			var problems config.Problems
			if !errors.As(err, &problems) || len(problems) != 1 {
				t.Errorf("%d problems, want the one: %v", len(problems), err)
			}
		})
	}

	// Given keys override the type's defaults; the rest keep them.
	yml := strings.Replace(strings.Replace(base, "KEYS", "max_pages: 3\n    min_followers: 500", 1), "METRIC", "influential_followers", 1)
	cfg, err := config.Load("t.yml", []byte(yml), collectors.Types())
	if err != nil {
		t.Fatal(err)
	}
	ch := cfg.Channels["x"]
	if config.PagesOf(ch).MaxPages != 3 || config.InfluenceOf(ch).MinFollowers != 500 || config.PostsOf(ch).PostsWindow != 30 || ch.Engagement || ch.Schedule != "@daily" {
		t.Errorf("max_pages %d, min_followers %d, posts_window %s, engagement %v, schedule %q; want 3, 500, 30d, false, @daily",
			config.PagesOf(ch).MaxPages, config.InfluenceOf(ch).MinFollowers, config.PostsOf(ch).PostsWindow, ch.Engagement, ch.Schedule)
	}
	// A type without the keys has none of them.
	if cfg, err := config.Load("t.yml", []byte("plan: {name: p, goal: seo, start: 2026-07-01, end: 2026-12-31}\nchannels:\n  f: {type: feed, accounts: ['https://b.example/feed.xml']}\nkpis: [{name: k, channel: f, metric: posts, milestones: [{due: 2026-07-31, target: 1}]}]\n"), collectors.Types()); err != nil {
		t.Fatal(err)
	} else if ch := cfg.Channels["f"]; config.PostsOf(ch) != nil || config.PagesOf(ch) != nil || config.InfluenceOf(ch) != nil || config.UserMetricsOf(ch) != nil {
		t.Errorf("a feed channel has keys of other types: %+v", ch.Settings)
	}
}

// http_json's and google_analytics' metrics: key are their settings', with
// the same rules at the same lines.
func TestUserMetricsAtTheirLines(t *testing.T) {
	base := `plan: {name: p, goal: seo, start: 2026-07-01, end: 2026-12-31}
channels:
  j:
    type: http_json
    accounts: [https://api.example.com/stats]
    metrics:
      subscribers: data.count
kpis:
  - {name: k, channel: j, metric: subscribers, milestones: [{due: 2026-07-31, target: 1}]}
`
	cfg, err := config.Load("t.yml", []byte(base), collectors.Types())
	if err != nil {
		t.Fatal(err)
	}
	if got := config.UserMetricsOf(cfg.Channels["j"]); len(got) != 1 || got["subscribers"] != "data.count" {
		t.Errorf("metrics %v", got)
	}
	tests := []struct {
		name, from, to, want string
		line                 int
	}{
		{"no metrics", "    metrics:\n      subscribers: data.count\n", "", "a http_json channel needs at least one metric", 4},
		{"a bad metric name", "      subscribers: data.count", "      Subscribers: data.count", `"Subscribers" is not a metric name`, 7},
		{"a KPI on a metric not named", "metric: subscribers,", "metric: members,", `has no metric "members"; it has subscribers`, 9},
		{"metrics as a list", "    metrics:\n      subscribers: data.count\n", "    metrics: [data.count]\n", "found a list where a mapping belongs", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load("t.yml", []byte(strings.Replace(base, tt.from, tt.to, 1)), collectors.Types())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if want := fmt.Sprintf("t.yml:%d:", tt.line); !strings.Contains(err.Error(), want) {
				t.Errorf("not at %s: %v", want, err)
			}
		})
	}
}

// LinkedIn's credentials that mint access tokens, oauth_url and
// version_end: each problem once, at its line; secrets never quoted.
func TestLinkedInMintingKeys(t *testing.T) {
	base := `plan: {name: p, goal: networking, start: 2026-07-01, end: 2026-12-31}
channels:
  li:
    type: linkedin
    credentials: CREDS
    accounts: ["1234567"]
    KEYS
kpis:
  - {name: k, channel: li, metric: followers, milestones: [{due: 2026-07-31, target: 1}]}
`
	minting := "{client_id: cid-1234567, client_secret: SECRET-cs-1234567, refresh_token: SECRET-rt-1234567}"
	tests := []struct {
		name, creds, keys, want string
		line                    int
	}{
		{"refresh token without the client", "{refresh_token: SECRET-rt-1234567}", "", "a refresh_token mints access tokens only with the app's client_id and client_secret", 5},
		{"both tokens", "{access_token: SECRET-at-1234567, client_id: cid-1234567, client_secret: SECRET-cs-1234567, refresh_token: SECRET-rt-1234567}", "", "give access_token or refresh_token, not both", 5},
		{"a client id alone", "{access_token: SECRET-at-1234567, client_id: cid-1234567}", "", "client_id and client_secret go together", 5},
		{"no token", "{client_id: cid-1234567, client_secret: SECRET-cs-1234567}", "", "set credentials.access_token or credentials.access_token_file or credentials.refresh_token", 5},
		{"oauth_url not a URL", minting, "oauth_url: ftp://proxy", `channels.li.oauth_url: "ftp://proxy" is not an http or https URL`, 7},
		{"version_end not a date", minting, "version_end: 2027-13-01", `"2027-13-01" is not a date of the form YYYY-MM-DD`, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yml := strings.Replace(strings.Replace(base, "CREDS", tt.creds, 1), "KEYS", tt.keys, 1)
			_, err := config.Load("t.yml", []byte(yml), collectors.Types())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if want := fmt.Sprintf("t.yml:%d:", tt.line); !strings.Contains(err.Error(), want) {
				t.Errorf("not at %s: %v", want, err)
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != 1 {
				t.Errorf("%d problems, want 1: %v", n, err)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("a secret shows: %v", err)
			}
		})
	}
	yml := strings.Replace(strings.Replace(base, "CREDS", minting, 1), "KEYS", "oauth_url: https://proxy.example/oauth/v2/\n    version_end: 2027-05-01", 1)
	if _, err := config.Load("t.yml", []byte(yml), collectors.Types()); err != nil {
		t.Fatal(err)
	}
}

// KPIs with the same milestones share one list of due times: a plan of
// 100,000 KPIs on a few schedules holds a few lists.
func TestSameMilestonesShareOneList(t *testing.T) {
	cfg, err := config.Load("plan.yml", []byte(`plan: {name: p, goal: seo, timezone: Europe/Stockholm, start: 2026-07-01, end: 2026-12-31}
channels:
  yt: {type: youtube, credentials: {api_key: a-key-of-ours}, accounts: [UCa, UCb]}
kpis:
  - {name: a, channel: yt, account: UCa, metric: views, milestones: [{due: 2026-09-30, target: 10}, {due: 2026-12-31, target: 20}]}
  - {name: b, channel: yt, account: UCb, metric: views, milestones: [{due: 2026-09-30, target: 10}, {due: 2026-12-31, target: 20}]}
  - {name: c, channel: yt, account: UCa, metric: subscribers, milestones: [{due: 2026-09-30, target: 10}, {due: 2026-12-31, target: 21}]}
  - {name: d, channel: yt, account: UCb, metric: subscribers, milestones: [{due: 2026-10-01, target: 10}, {due: 2026-12-31, target: 20}]}
`), collectors.Types())
	if err != nil {
		t.Fatal(err)
	}
	a, b, c, d := cfg.KPIs[0].Due, cfg.KPIs[1].Due, cfg.KPIs[2].Due, cfg.KPIs[3].Due
	if &a[0] != &b[0] {
		t.Error("a and b have the same milestones but two lists")
	}
	if &a[0] == &c[0] || &a[0] == &d[0] || &c[0] == &d[0] {
		t.Error("KPIs with other targets or dates share a list")
	}
	if c[1].Target != 21 || !d[0].Due.Equal(time.Date(2026, 10, 2, 0, 0, 0, 0, cfg.Plan.Location)) {
		t.Errorf("c %v, d %v", c, d)
	}
}
