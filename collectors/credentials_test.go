package collectors

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
	"github.com/kpi-collector/kpi-collector/internal/handclock"
)

// mintingChannel is a LinkedIn channel that mints its tokens at the fake.
func mintingChannel(api *fakeapi.Server, refreshToken string) *config.Channel {
	return &config.Channel{
		Name: "li", Type: "linkedin", APIURL: api.URL, Timeout: 10 * time.Second,
		Credentials: config.NewCredentials("client_id", fakeapi.LinkedInClientID, "client_secret", fakeapi.LinkedInClientSecret, "refresh_token", refreshToken),
		Settings:    &linkedInSettings{OAuthURL: api.URL + "/oauth/v2/"},
	}
}

// buildAt builds ch's collector as the engine does, on clock and keeper.
func buildAt(t *testing.T, ch *config.Channel, clock func() time.Time, keeper TokenKeeper) Collector {
	t.Helper()
	c, err := New(Env{Channel: ch, Client: NewHTTPClient(ch.Timeout, nil, NewLimiter()), Now: clock, Tokens: keeper})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A year of runs every 12 hours: the access token is minted on day 0 and
// renewed on day 59 (a day before its 60 days end) and every 59 days after;
// the last one ends with the refresh token on day 365, which is not renewed
// in vain on its last day; from then on every run fails as auth, saying to
// authorize the app again, without calling LinkedIn. A restart on the same
// keeper mints nothing.
func TestLinkedInTokenRenewsOverAYear(t *testing.T) {
	api := newAPI(t)
	start := time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)
	clock := handclock.New(start)
	api.Now = clock.Now
	keeper := &MemoryTokens{}
	ch := mintingChannel(api, fakeapi.LinkedInRefreshToken)
	c := buildAt(t, ch, clock.Now, keeper)

	var mintDays []int
	for run := 0; run <= 2*400; run++ {
		now := start.Add(time.Duration(run) * 12 * time.Hour)
		clock.Set(now)
		day := run / 2
		before := api.MintedLinkedInTokens()
		res := c.Collect(t.Context(), []string{"5100"})
		if api.MintedLinkedInTokens() > before {
			mintDays = append(mintDays, day)
		}
		switch {
		case day < 365:
			if len(res.Errors) > 0 || len(res.Readings) != 1 || res.Readings[0].Value != 100 {
				t.Fatalf("day %d: %v %v", day, res.Readings, res.Errors)
			}
		default:
			if len(res.Errors) != 1 || res.Errors[0].Reason != Auth || !strings.Contains(res.Errors[0].Error(), "authorize the app again") || len(res.Readings) > 0 {
				t.Fatalf("day %d, after the refresh token's end: %v %v", day, res.Readings, res.Errors)
			}
		}
		if run == 10 {
			// A restart on the same store: the kept token serves.
			c = buildAt(t, ch, clock.Now, keeper)
		}
	}
	want := []int{0, 59, 118, 177, 236, 295, 354}
	if !equalInts(mintDays, want) {
		t.Errorf("minted on days %v, want %v", mintDays, want)
	}
	if got := api.Calls(fakeapi.LinkedInOAuth); got != len(want) {
		t.Errorf("%d calls to the token endpoint, want %d: none after the refresh token ended", got, len(want))
	}
	exp, ok, err := c.(CredentialChecker).CheckCredential(t.Context())
	if wantEnd := start.Add(365 * 24 * time.Hour); err != nil || !ok || !exp.Ends.Equal(wantEnd) || exp.What != "the refresh token" {
		t.Errorf("credential check: %+v %v %v, want the refresh token ending %s", exp, ok, err, wantEnd)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The token endpoint's refusals and failures: each a reason and a text
// that says what to do, with no loop of refreshes.
func TestLinkedInTokenRefusals(t *testing.T) {
	tests := []struct {
		mode      string
		refresh   string
		want      Reason
		wantText  string
		wantCalls int
	}{
		{mode: "invalid_grant", want: Auth, wantText: "authorize the app again", wantCalls: 1},
		{mode: "", refresh: "AQXunknown-refresh-token", want: Auth, wantText: "Token has been expired or revoked.", wantCalls: 1},
		{mode: "invalid_client", want: Auth, wantText: "check credentials.client_id and client_secret", wantCalls: 1},
		{mode: "missing", want: Decode, wantText: "is missing", wantCalls: 1},
		{mode: "server", want: Server, wantText: "HTTP 500", wantCalls: RetryAttempts},
	}
	for _, tt := range tests {
		t.Run(tt.mode+tt.refresh, func(t *testing.T) {
			api := newAPI(t)
			failFor(t, api, map[fakeapi.API]string{fakeapi.LinkedInOAuth: tt.mode})
			ch := mintingChannel(api, fakeapi.LinkedInRefreshToken)
			if tt.refresh != "" {
				ch.Credentials = config.NewCredentials("client_id", fakeapi.LinkedInClientID, "client_secret", fakeapi.LinkedInClientSecret, "refresh_token", tt.refresh)
			}
			res := buildAt(t, ch, nil, nil).Collect(t.Context(), []string{"5100", "5200"})
			if len(res.Errors) != 1 || res.Errors[0].Reason != tt.want || !strings.Contains(res.Errors[0].Error(), tt.wantText) {
				t.Fatalf("errors %v, want one %s saying %q", res.Errors, tt.want, tt.wantText)
			}
			if got := api.Calls(fakeapi.LinkedInOAuth); got != tt.wantCalls {
				t.Errorf("%d calls to the token endpoint, want %d", got, tt.wantCalls)
			}
			if api.Calls(fakeapi.LinkedIn) != 0 {
				t.Error("the API was called without a token")
			}
			for _, s := range []string{fakeapi.LinkedInClientSecret, fakeapi.LinkedInRefreshToken} {
				if strings.Contains(res.Errors[0].Error(), s) {
					t.Errorf("the error shows a secret: %v", res.Errors[0])
				}
			}
		})
	}
}

// A token LinkedIn calls expired before its time is renewed once and the
// read made again; if that fails too, the run fails as auth, no loop.
func TestLinkedInTokenDeadEarly(t *testing.T) {
	api := newAPI(t)
	c := buildAt(t, mintingChannel(api, fakeapi.LinkedInRefreshToken), nil, nil)
	if res := c.Collect(t.Context(), []string{"5100"}); len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	failFor(t, api, map[fakeapi.API]string{fakeapi.LinkedIn: "revoked"})
	res := c.Collect(t.Context(), []string{"5100"})
	if len(res.Errors) != 1 || res.Errors[0].Reason != Auth {
		t.Fatalf("errors %v, want one auth", res.Errors)
	}
	if got := api.MintedLinkedInTokens(); got != 2 {
		t.Errorf("%d tokens minted, want 2: the first, and one more when LinkedIn refused it", got)
	}
	minted := c.(SecretHolder).MintedSecrets()
	if len(minted) != 3 { // two access tokens and the refresh token
		t.Errorf("minted secrets: %d, want 3", len(minted))
	}
	api.Fail(fakeapi.LinkedIn, "")
	if res := c.Collect(t.Context(), []string{"5100"}); len(res.Errors) > 0 || api.MintedLinkedInTokens() != 2 {
		t.Errorf("after LinkedIn takes the token again: %v, %d minted", res.Errors, api.MintedLinkedInTokens())
	}
}

// A refresh token handed back anew replaces the old one, in memory and in
// the keeper; a refresh token configured anew (a new grant) does not find
// the tokens of the old one.
func TestLinkedInRotatedRefreshToken(t *testing.T) {
	api := newAPI(t)
	failFor(t, api, map[fakeapi.API]string{fakeapi.LinkedInOAuth: "rotate"})
	keeper := &MemoryTokens{}
	ch := mintingChannel(api, fakeapi.LinkedInRefreshToken)
	if res := buildAt(t, ch, nil, keeper).Collect(t.Context(), []string{"5100"}); len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	kept, ok, _ := keeper.LoadToken(t.Context(), "li", GrantOf(fakeapi.LinkedInClientID, fakeapi.LinkedInRefreshToken))
	if !ok || kept.RefreshToken.Reveal() != fakeapi.LinkedInRotatedRefreshToken {
		t.Errorf("kept refresh token: %v, want the rotated one", ok)
	}
	other := mintingChannel(api, fakeapi.LinkedInRotatedRefreshToken)
	if res := buildAt(t, other, nil, keeper).Collect(t.Context(), []string{"5100"}); len(res.Errors) > 0 || api.MintedLinkedInTokens() != 2 {
		t.Errorf("a new grant: %v, %d minted, want 2", res.Errors, api.MintedLinkedInTokens())
	}
}

// A plain token with its app's client id and secret is introspected; an
// inactive one is dead, a refused client an auth error; without the client
// nothing is asked.
func TestLinkedInIntrospection(t *testing.T) {
	now := time.Date(2026, time.December, 1, 0, 0, 0, 0, time.UTC)
	plain := func(api *fakeapi.Server, nameValue ...string) *config.Channel {
		return &config.Channel{Name: "li", Type: "linkedin", APIURL: api.URL, Timeout: 10 * time.Second,
			Credentials: config.NewCredentials(append([]string{"access_token", fakeapi.LinkedInToken}, nameValue...)...),
			Settings:    &linkedInSettings{OAuthURL: api.URL + "/oauth/v2/"}}
	}
	client := []string{"client_id", fakeapi.LinkedInClientID, "client_secret", fakeapi.LinkedInClientSecret}
	tests := []struct {
		name, mode string
		client     []string
		wantOK     bool
		wantEnds   time.Time
		wantDead   bool
		wantErr    Reason
	}{
		{name: "active", client: client, wantOK: true, wantEnds: fakeapi.LinkedInTokenExpiresAt},
		{name: "inactive", mode: "inactive", client: client, wantOK: true, wantEnds: now, wantDead: true},
		{name: "refused client", mode: "invalid_client", client: client, wantErr: Auth},
		{name: "no client", client: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newAPI(t)
			failFor(t, api, map[fakeapi.API]string{fakeapi.LinkedInIntrospect: tt.mode})
			c := buildAt(t, plain(api, tt.client...), func() time.Time { return now }, nil)
			exp, ok, err := c.(CredentialChecker).CheckCredential(t.Context())
			switch {
			case tt.wantErr != "":
				var e *Error
				if !errors.As(err, &e) || e.Reason != tt.wantErr || strings.Contains(e.Error(), fakeapi.LinkedInClientSecret) {
					t.Errorf("err %v, want %s", err, tt.wantErr)
				}
			case err != nil || ok != tt.wantOK || !exp.Ends.Equal(tt.wantEnds) || (exp.Dead != "") != tt.wantDead:
				t.Errorf("got %+v %v %v, want ok %v ending %s dead %v", exp, ok, err, tt.wantOK, tt.wantEnds, tt.wantDead)
			}
			if tt.client == nil && api.Calls(fakeapi.LinkedInIntrospect) != 0 {
				t.Error("introspected without a client")
			}
		})
	}
}

// debug_token: the earlier of expires_at and data_access_expires_at, 0
// meaning never; a token Meta calls invalid (HTTP 200) is dead; a refused
// caller is an auth error.
func TestGraphDebugToken(t *testing.T) {
	now := time.Date(2026, time.December, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		mode      string
		token     string
		wantEnds  time.Time
		wantNever bool
		wantWhat  string
		wantDead  bool
		wantErr   Reason
	}{
		{mode: "", wantEnds: fakeapi.GraphDataAccessExpiresAt, wantWhat: "the access token's data access"},
		{mode: "expiring", wantEnds: fakeapi.GraphTokenExpiresAt, wantWhat: "the access token"},
		{mode: "never", wantNever: true, wantWhat: "the access token"},
		{mode: "invalid", wantEnds: time.Unix(1668613551, 0), wantWhat: "the access token", wantDead: true},
		{mode: "caller", wantErr: Auth},
	}
	for _, typ := range []string{"facebook", "instagram"} {
		for _, tt := range tests {
			t.Run(typ+"/"+tt.mode, func(t *testing.T) {
				api := newAPI(t)
				failFor(t, api, map[fakeapi.API]string{fakeapi.GraphDebugToken: tt.mode})
				ch := &config.Channel{Name: typ, Type: typ, APIURL: api.URL, Timeout: 10 * time.Second, Credentials: config.NewCredentials("access_token", fakeapi.GraphToken)}
				exp, ok, err := buildAt(t, ch, func() time.Time { return now }, nil).(CredentialChecker).CheckCredential(t.Context())
				if tt.wantErr != "" {
					var e *Error
					if !errors.As(err, &e) || e.Reason != tt.wantErr || strings.Contains(e.Error(), fakeapi.GraphToken) {
						t.Errorf("err %v, want %s without the token", err, tt.wantErr)
					}
					return
				}
				if err != nil || !ok || !exp.Ends.Equal(tt.wantEnds) || exp.Never != tt.wantNever || exp.What != tt.wantWhat || (exp.Dead != "") != tt.wantDead {
					t.Errorf("got %+v %v %v", exp, ok, err)
				}
			})
		}
	}
}

// The end of each type's API version: the vendor's table, its rule where
// the table says nothing, and version_end over both.
func TestVersionEnds(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	graph := func(typ, v string, end config.Date) *config.Channel {
		return &config.Channel{Type: typ, Settings: &graphSettings{APIVersion: config.APIVersion{Version: v}, VersionEnd: end}}
	}
	li := func(v string, end config.Date) *config.Channel {
		return &config.Channel{Type: "linkedin", Settings: &linkedInSettings{APIVersion: config.APIVersion{Version: v}, VersionEnd: end}}
	}
	none := config.Date{}
	tests := []struct {
		ch       *config.Channel
		version  string
		wantEnds time.Time
	}{
		{graph("facebook", "v21.0", none), "v21.0", day(2027, time.January, 21)},
		{graph("instagram", "v22.0", none), "v22.0", day(2027, time.May, 20)},    // the table, not the rule's 2027-05-29
		{graph("facebook", "v26.0", none), "v26.0", day(2028, time.November, 4)}, // two years after v27.0
		{&config.Channel{Type: "facebook"}, DefaultGraphVersion, time.Time{}},    // the latest: not announced
		{graph("facebook", "v9.0", none), "v9.0", time.Time{}},                   // not in the table
		{graph("facebook", "v27.0", config.Date{Year: 2029, Month: time.March, Day: 1}), "v27.0", day(2029, time.March, 1)},
		{li("202511", none), "202511", day(2026, time.November, 16)}, // the migrations page
		{li("202605", none), "202605", day(2027, time.May, 1)},       // a year after its month
		{&config.Channel{Type: "linkedin"}, DefaultLinkedInVersion, day(2027, time.October, 1)},
		{li("202511", config.Date{Year: 2026, Month: time.December, Day: 31}), "202511", day(2026, time.December, 31)},
	}
	for _, tt := range tests {
		got, ok := VersionEndOf(tt.ch)
		if !ok || got.Version != tt.version || !got.Ends.Equal(tt.wantEnds) || (got.Source == "") != tt.wantEnds.IsZero() {
			t.Errorf("%s: %+v, want %s ending %s", tt.ch.Type, got, tt.version, tt.wantEnds)
		}
	}
	if _, ok := VersionEndOf(&config.Channel{Type: "youtube"}); ok {
		t.Error("youtube has no version to end")
	}
}
