package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
	"github.com/kpi-collector/kpi-collector/internal/handclock"
	"github.com/kpi-collector/kpi-collector/snapshot"
)

// Over three months of runs every twelve hours: Facebook's debug_token is
// asked at most once a day, after the run's readings are stored; a check
// that fails is counted and changes no reading or run; the LinkedIn channel
// that mints its tokens shows its refresh token's end without asking, and
// its renewals (day 59) never show in an error, a log or the snapshot. The
// API version ends come from the config.
func TestCredentialChecksOverMonths(t *testing.T) {
	a := fakeapi.New()
	defer a.Close()
	start := time.Date(2026, time.September, 1, 0, 0, 0, 0, time.UTC)
	clock := handclock.New(start)
	a.Now = clock.Now
	cfg := loadYAML(t, fmt.Sprintf(`
plan: {name: p, goal: brand_awareness, timezone: UTC, start: 2026-07-01, end: 2027-06-30}
channels:
  fb:
    type: facebook
    api_url: %[1]s
    version: v24.0
    credentials: {access_token: %[2]s}
    accounts: ["20531316728"]
  li:
    type: linkedin
    api_url: %[1]s
    oauth_url: %[1]s/oauth/v2/
    version_end: 2027-03-01
    credentials: {client_id: %[3]s, client_secret: %[4]s, refresh_token: %[5]s}
    accounts: ["5100"]
kpis:
  - {name: fb, channel: fb, metric: followers, milestones: [{due: 2027-06-30, target: 200000000}]}
  - {name: li, channel: li, metric: followers, milestones: [{due: 2027-06-30, target: 1000}]}
`, a.URL, fakeapi.GraphToken, fakeapi.LinkedInClientID, fakeapi.LinkedInClientSecret, fakeapi.LinkedInRefreshToken))
	dir := t.TempDir()
	e, st := newEngine(t, dir, cfg, start)
	logs := &lockedBuffer{}
	e.logger = slog.New(slog.NewTextHandler(logs, nil))
	e.SetClock(clock.Now)

	ctx := context.Background()
	for run := 0; run < 2*90; run++ {
		clock.Set(start.Add(time.Duration(run) * 12 * time.Hour))
		day := run / 2
		// debug_token fails on days 30 to 39: the runs do not.
		switch day {
		case 30:
			a.Fail(fakeapi.GraphDebugToken, "caller")
		case 40:
			a.Fail(fakeapi.GraphDebugToken, "")
		}
		for _, name := range []string{"fb", "li"} {
			if rep := e.RunChannel(ctx, name); !rep.OK() {
				t.Fatalf("day %d: %s failed: %v", day, name, rep.Errors)
			}
		}
		if want := day + 1; a.Calls(fakeapi.GraphDebugToken) != want {
			t.Fatalf("day %d: debug_token asked %d times, want %d (once a day)", day, a.Calls(fakeapi.GraphDebugToken), want)
		}
	}
	snap := e.Snapshot()
	fb, li := channel(snap, "fb"), channel(snap, "li")
	if fb.Credential == nil || !fb.Credential.Ends.Equal(fakeapi.GraphDataAccessExpiresAt) || fb.CredentialCheckFailures != 10 {
		t.Errorf("facebook: %+v, %v failed checks; want the data access's end and 10", fb.Credential, fb.CredentialCheckFailures)
	}
	if li.Credential == nil || !li.Credential.Ends.Equal(start.Add(365*24*time.Hour)) || li.Credential.What != "the refresh token" || li.CredentialCheckFailures != 0 {
		t.Errorf("linkedin: %+v, %v failed checks; want the refresh token's end", li.Credential, li.CredentialCheckFailures)
	}
	if a.Calls(fakeapi.LinkedInIntrospect) != 0 {
		t.Error("a minting channel was introspected")
	}
	if got := a.MintedLinkedInTokens(); got != 2 {
		t.Errorf("%d tokens minted in 90 days, want 2 (days 0 and 59)", got)
	}
	if fb.APIVersion == nil || fb.APIVersion.Version != "v24.0" || !fb.APIVersion.Ends.Equal(time.Date(2028, 2, 18, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("facebook's version: %+v", fb.APIVersion)
	}
	if li.APIVersion == nil || !li.APIVersion.Ends.Equal(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)) || li.APIVersion.Source != "version_end" {
		t.Errorf("linkedin's version: %+v", li.APIVersion)
	}
	// A restart on the same store: the kept token and checks serve; the
	// first runs mint nothing and ask nothing.
	st.Close()
	calls, minted := a.Calls(fakeapi.GraphDebugToken), a.MintedLinkedInTokens()
	e2, st2 := newEngine(t, dir, cfg, start)
	defer st2.Close()
	e2.SetClock(clock.Now)
	if c := channel(e2.Snapshot(), "fb").Credential; c == nil || !c.Ends.Equal(fakeapi.GraphDataAccessExpiresAt) {
		t.Errorf("after a restart, before a run: %+v", c)
	}
	for _, name := range []string{"fb", "li"} {
		if rep := e2.RunChannel(ctx, name); !rep.OK() {
			t.Fatalf("after a restart: %s failed: %v", name, rep.Errors)
		}
	}
	if a.Calls(fakeapi.GraphDebugToken) != calls || a.MintedLinkedInTokens() != minted {
		t.Errorf("after a restart: debug_token asked %d more times, %d more tokens minted; want none", a.Calls(fakeapi.GraphDebugToken)-calls, a.MintedLinkedInTokens()-minted)
	}
	out := logs.String()
	if !strings.Contains(out, "asking the API when the channel's credential ends failed") {
		t.Errorf("the failed checks are not logged:\n%s", out)
	}
	for _, secret := range append(e.secrets(), fakeapi.GraphToken, fakeapi.LinkedInRefreshToken, fakeapi.LinkedInClientSecret) {
		if strings.Contains(out, secret) || strings.Contains(fmt.Sprintf("%+v %+v", fb, li), secret) {
			t.Errorf("a secret shows in the logs or the snapshot")
		}
	}
}

// lockedBuffer is a log's writer that tests read.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Masking never waits for a token being minted: a run whose refresh hangs
// holds its collector's lock, and its request is counted under the
// engine's; asking for the secrets meanwhile must not take the two the
// other way round (it did, and deadlocked).
func TestSecretsWhileMinting(t *testing.T) {
	a := fakeapi.New()
	defer a.Close()
	a.Fail(fakeapi.LinkedInOAuth, "hang")
	cfg := loadYAML(t, fmt.Sprintf(`
plan: {name: p, goal: brand_awareness, timezone: UTC, start: 2026-07-01, end: 2027-06-30}
channels:
  li:
    type: linkedin
    api_url: %[1]s
    oauth_url: %[1]s/oauth/v2/
    timeout: 2s
    credentials: {client_id: %[2]s, client_secret: %[3]s, refresh_token: %[4]s}
    accounts: ["5100"]
kpis:
  - {name: li, channel: li, metric: followers, milestones: [{due: 2027-06-30, target: 1000}]}
`, a.URL, fakeapi.LinkedInClientID, fakeapi.LinkedInClientSecret, fakeapi.LinkedInRefreshToken))
	e, st := newEngine(t, t.TempDir(), cfg, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC))
	defer st.Close()
	done := make(chan RunReport)
	go func() { done <- e.RunChannel(context.Background(), "li") }()
	for a.Calls(fakeapi.LinkedInOAuth) == 0 {
		time.Sleep(time.Millisecond)
	}
	masked := make(chan struct{})
	go func() { _ = e.secrets(); close(masked) }()
	select {
	case <-masked: // returns while the refresh hangs
	case <-time.After(time.Second): // the refresh hangs for the channel's 2s time-out
		t.Fatal("asking for the secrets waited for the hanging refresh")
	}
	if rep := <-done; rep.OK() || rep.Errors[0].Reason != "timeout" {
		t.Errorf("the hanging refresh: %v", rep.Errors)
	}
}

// A credential checked and a reload refused change no KPI: the snapshot is
// published again with the channels' health and the reload's outcome as
// they are now, its evaluations shared with the one before (a second
// evaluation of 100,000 KPIs built 37 MB while the first was still held).
func TestHealthAloneSharesTheEvaluations(t *testing.T) {
	e, _, clock, cfg := facebookEngine(t)
	ctx := context.Background()
	if rep := e.RunChannel(ctx, "fb"); !rep.OK() {
		t.Fatal(rep.Errors)
	}
	shared := func(before, after *snapshot.Snapshot) {
		t.Helper()
		if after == before || &after.KPIs[0] != &before.KPIs[0] || &after.Accounts.Values[0] != &before.Accounts.Values[0] || !after.At.Equal(before.At) {
			t.Errorf("the evaluations were made again (at %v, before at %v)", after.At, before.At)
		}
	}

	// A day later the credential is asked again, on its own.
	clock.Set(clock.Now().Add(25 * time.Hour))
	before := e.Snapshot()
	built, err := e.collectorFor(cfg, cfg.Channels["fb"])
	if err != nil {
		t.Fatal(err)
	}
	e.checkCredential(ctx, cfg.Channels["fb"], built)
	after := e.Snapshot()
	shared(before, after)
	if c := channel(after, "fb").Credential; c == nil || !c.Checked.Equal(clock.Now()) {
		t.Errorf("credential %+v, want the check of %v", c, clock.Now())
	}

	before = after
	e.ReloadFailed(ctx, errors.New("plan.yml:3: a mistake"))
	after = e.Snapshot()
	shared(before, after)
	if after.Reload.Success || after.Reload.Error != "plan.yml:3: a mistake" {
		t.Errorf("reload %+v", after.Reload)
	}
}

// Asking when the credential ends comes after the run and does not hold up
// the channel's next run: a run that comes while the API is slow to answer
// the check runs.
func TestCheckDoesNotHoldUpTheNextRun(t *testing.T) {
	e, a, _, _ := facebookEngine(t)
	checking, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	a.OnCall(func(api fakeapi.API) {
		if api == fakeapi.GraphDebugToken {
			once.Do(func() { close(checking); <-release })
		}
	})
	done := make(chan RunReport)
	go func() { done <- e.RunChannel(context.Background(), "fb") }()
	<-checking // the first run's readings are stored; its check waits
	rep := e.RunChannel(context.Background(), "fb")
	close(release)
	first := <-done
	if rep.Skipped || !rep.OK() {
		t.Errorf("a run during the check: skipped %v, %v", rep.Skipped, rep.Errors)
	}
	if !first.OK() {
		t.Errorf("the first run: %v", first.Errors)
	}
}

// facebookEngine is an engine of one Facebook channel and its KPI, at the
// fake Graph API, on a clock the test moves; all closed with the test.
func facebookEngine(t *testing.T) (*Engine, *fakeapi.Server, *handclock.Clock, *config.Config) {
	t.Helper()
	a := fakeapi.New()
	t.Cleanup(a.Close)
	clock := handclock.New(time.Date(2026, time.September, 1, 0, 0, 0, 0, time.UTC))
	a.Now = clock.Now
	cfg := loadYAML(t, fmt.Sprintf(`
plan: {name: p, goal: brand_awareness, timezone: UTC, start: 2026-07-01, end: 2027-06-30}
channels:
  fb: {type: facebook, api_url: %s, credentials: {access_token: %s}, accounts: ["20531316728"]}
kpis:
  - {name: fb, channel: fb, metric: followers, milestones: [{due: 2027-06-30, target: 200000000}]}
`, a.URL, fakeapi.GraphToken))
	e, st := newEngine(t, t.TempDir(), cfg, clock.Now())
	t.Cleanup(func() { st.Close() })
	e.SetClock(clock.Now)
	return e, a, clock, cfg
}
