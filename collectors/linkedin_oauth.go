package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
)

// LinkedIn access tokens last 60 days. An app approved for programmatic
// refresh tokens also gets a refresh token that lasts 365 days from the
// member's consent and mints new access tokens meanwhile; refreshing does
// not extend it, so once a year a person authorizes the app again
// (learn.microsoft.com/linkedin/shared/authentication/programmatic-refresh-tokens).
// A channel given client_id, client_secret and refresh_token mints its own
// access tokens: a POST of the four form fields to the OAuth endpoint's
// accessToken, the answer kept in memory and in the store (a restart uses
// it), renewed a day before it ends.

// DefaultLinkedInOAuthURL is where LinkedIn's OAuth endpoints live unless
// the channel sets oauth_url (a proxy, a test server).
const DefaultLinkedInOAuthURL = "https://www.linkedin.com/oauth/v2/"

// LinkedInRenewBefore is how long before its end a minted access token is
// replaced: a run on the token's last day still has a day to spare.
const LinkedInRenewBefore = 24 * time.Hour

// The credential names of a LinkedIn channel that mints its tokens.
const (
	linkedInClientID     = "client_id"
	linkedInClientSecret = "client_secret"
	linkedInRefreshToken = "refresh_token"
)

// linkedInTokens mints and keeps a channel's access tokens.
type linkedInTokens struct {
	env      Env
	oauthURL string
	clientID config.Secret
	secret   config.Secret
	grant    string // GrantOf the configured client id and refresh token
	keeper   TokenKeeper

	// mu is held across a refresh (a network call), so that a run mints
	// at most one token.
	mu     sync.Mutex
	loaded bool
	tok    MintedToken
	// seenMu guards minted alone: masking never waits for a refresh.
	seenMu sync.Mutex
	minted []string // every access and refresh token seen, to mask in errors
}

func newLinkedInTokens(env Env, oauthURL string) *linkedInTokens {
	creds := env.Channel.Credentials
	t := &linkedInTokens{
		env: env, oauthURL: oauthURL,
		clientID: creds.Get(linkedInClientID), secret: creds.Get(linkedInClientSecret),
		grant:  GrantOf(creds.Get(linkedInClientID), creds.Get(linkedInRefreshToken)),
		keeper: env.Tokens,
	}
	if t.keeper == nil {
		t.keeper = &MemoryTokens{}
	}
	t.tok.RefreshToken = creds.Get(linkedInRefreshToken)
	return t
}

// load reads the kept tokens of the grant once; t.mu is held.
func (t *linkedInTokens) load(ctx context.Context) {
	if t.loaded {
		return
	}
	kept, ok, err := t.keeper.LoadToken(ctx, t.env.Channel.Name, t.grant)
	if err != nil {
		t.logger().Warn("reading the kept LinkedIn token failed; a new one is minted", "err", err)
		return // tried again on the next call
	}
	t.loaded = true
	if ok {
		t.tok = kept
		t.remember(kept)
	}
}

// remember adds a token's values to those masked.
func (t *linkedInTokens) remember(m MintedToken) {
	t.seenMu.Lock()
	defer t.seenMu.Unlock()
	for _, s := range []config.Secret{m.AccessToken, m.RefreshToken} {
		if s.IsSet() && !slices.Contains(t.minted, s.Reveal()) {
			t.minted = append(t.minted, s.Reveal())
		}
	}
}

func (t *linkedInTokens) logger() *slog.Logger {
	if t.env.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return t.env.Logger
}

// secrets lists every token minted or kept, for masking.
func (t *linkedInTokens) secrets() []string {
	t.seenMu.Lock()
	defer t.seenMu.Unlock()
	return slices.Clone(t.minted)
}

// current returns what is held (loading it first), without minting.
func (t *linkedInTokens) current(ctx context.Context) MintedToken {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.load(ctx)
	return t.tok
}

// token returns an access token that lasts more than LinkedInRenewBefore,
// minting one where the one held does not (or, with force, where LinkedIn
// said it is dead). fresh reports a token minted by this call.
func (t *linkedInTokens) token(ctx context.Context, force bool) (tok config.Secret, fresh bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.load(ctx)
	now := t.env.now()
	// A token that ends with the refresh token is not renewed in vain: a
	// new one would end then too.
	lastOne := !t.tok.RefreshExpiry.IsZero() && !t.tok.Expiry.Before(t.tok.RefreshExpiry)
	if !force && t.tok.AccessToken.IsSet() && now.Before(t.tok.Expiry) && (lastOne || now.Add(LinkedInRenewBefore).Before(t.tok.Expiry)) {
		return t.tok.AccessToken, false, nil
	}
	if !t.tok.RefreshExpiry.IsZero() && !now.Before(t.tok.RefreshExpiry) {
		return "", false, Fail(Auth, fmt.Errorf("the LinkedIn refresh token ended on %s (they last a year from the member's consent): authorize the app again and set credentials.refresh_token to the new refresh token", t.tok.RefreshExpiry.UTC().Format(time.DateOnly)))
	}
	m, err := t.mint(ctx, now)
	if err != nil {
		return "", false, err
	}
	t.tok = m
	t.remember(m)
	if err := t.keeper.SaveToken(ctx, t.env.Channel.Name, t.grant, m); err != nil {
		// Held in memory, the token still serves; a restart mints another.
		t.logger().Warn("keeping the minted LinkedIn token in the store failed", "err", err)
	}
	t.logger().Info("minted a LinkedIn access token", "expires", m.Expiry.UTC().Format(time.RFC3339), "refresh_token_expires", formatOptional(m.RefreshExpiry))
	return m.AccessToken, true, nil
}

func formatOptional(t time.Time) string {
	if t.IsZero() {
		return "not said"
	}
	return t.UTC().Format(time.RFC3339)
}

// linkedInTokenAnswer is the accessToken endpoint's answer.
type linkedInTokenAnswer struct {
	AccessToken           string   `json:"access_token"`
	ExpiresIn             *float64 `json:"expires_in"`
	RefreshToken          string   `json:"refresh_token"`
	RefreshTokenExpiresIn *float64 `json:"refresh_token_expires_in"`
}

// mint trades the refresh token held for a new access token; t.mu is held.
// A refusal is returned as it is: the caller's run fails with it, and the
// next scheduled run asks once more (no loop here).
func (t *linkedInTokens) mint(ctx context.Context, now time.Time) (MintedToken, error) {
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {t.tok.RefreshToken.Reveal()},
		"client_id":     {t.clientID.Reveal()},
		"client_secret": {t.secret.Reveal()},
	}
	header := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"application/json"}}
	body, err := Post(ctx, t.env.Client, joinURL(t.oauthURL, "accessToken"), header, []byte(form.Encode()), classifyLinkedInOAuth)
	if err != nil {
		return MintedToken{}, linkedInOAuthError("renew the access token", err)
	}
	var a linkedInTokenAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return MintedToken{}, Fail(Decode, fmt.Errorf("LinkedIn's token answer is not JSON: %w", err))
	}
	if a.AccessToken == "" || a.ExpiresIn == nil || *a.ExpiresIn <= 0 {
		return MintedToken{}, Fail(Decode, errors.New("LinkedIn's token answer lacks access_token or a positive expires_in"))
	}
	m := MintedToken{
		AccessToken:   config.Secret(a.AccessToken),
		Expiry:        now.Add(time.Duration(*a.ExpiresIn) * time.Second),
		RefreshToken:  t.tok.RefreshToken, // an answer without one keeps the old one
		RefreshExpiry: t.tok.RefreshExpiry,
	}
	if a.RefreshToken != "" {
		m.RefreshToken = config.Secret(a.RefreshToken)
	}
	if a.RefreshTokenExpiresIn != nil && *a.RefreshTokenExpiresIn > 0 {
		m.RefreshExpiry = now.Add(time.Duration(*a.RefreshTokenExpiresIn) * time.Second)
	}
	return m, nil
}

// linkedInOAuthBody is the OAuth endpoints' error shape.
type linkedInOAuthBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// classifyLinkedInOAuth classifies the OAuth endpoints' refusals (API-
// REFERENCE A.4): a refused grant or client is auth, a request missing a
// field is ours (decode).
func classifyLinkedInOAuth(se *StatusError) Reason {
	var b linkedInOAuthBody
	_ = json.Unmarshal(se.Body, &b)
	switch {
	case b.Error == "invalid_request" && strings.Contains(b.Description, "required parameter"):
		return Decode
	case b.Error == "invalid_grant", b.Error == "invalid_request", b.Error == "unauthorized_client",
		strings.HasPrefix(b.Error, "invalid_client"), se.Code == http.StatusUnauthorized:
		return Auth
	}
	return ReasonForStatus(se.Code)
}

// linkedInOAuthError words a failed OAuth call: what LinkedIn said, and for
// a refusal what a person must do. The answer's body is not quoted beyond
// the error and its description.
func linkedInOAuthError(doing string, err error) error {
	var e *Error
	var se *StatusError
	if !errors.As(err, &e) || !errors.As(err, &se) {
		return err
	}
	var b linkedInOAuthBody
	_ = json.Unmarshal(se.Body, &b)
	said := fmt.Sprintf("HTTP %d", se.Code)
	if b.Error != "" {
		said = fmt.Sprintf("HTTP %d %s: %s", se.Code, b.Error, b.Description)
	}
	switch {
	case e.Reason == Auth && strings.HasPrefix(b.Error, "invalid_client"):
		return Fail(Auth, fmt.Errorf("LinkedIn refused the app's client id or secret trying to %s (%s): check credentials.client_id and client_secret against the app's Auth tab in the Developer Portal, or authorize the app again", doing, said))
	case e.Reason == Auth:
		return Fail(Auth, fmt.Errorf("LinkedIn refused the refresh token trying to %s (%s): it expired or was revoked; authorize the app again and set credentials.refresh_token to the new refresh token", doing, said))
	default:
		return Fail(e.Reason, fmt.Errorf("LinkedIn's OAuth endpoint failed trying to %s: %s", doing, said))
	}
}

// introspect asks LinkedIn's token introspection when a plain access token
// ends (API-REFERENCE A.5): POST introspectToken with the token and the
// app's client id and secret.
func (l *linkedIn) introspect(ctx context.Context, oauthURL string) (CredentialExpiry, error) {
	creds := l.env.Channel.Credentials
	form := url.Values{
		"token":         {creds.Get("access_token").Reveal()},
		"client_id":     {creds.Get(linkedInClientID).Reveal()},
		"client_secret": {creds.Get(linkedInClientSecret).Reveal()},
	}
	header := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"application/json"}}
	body, err := Post(ctx, l.env.Client, joinURL(oauthURL, "introspectToken"), header, []byte(form.Encode()), classifyLinkedInOAuth)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Reason == Auth {
			return CredentialExpiry{}, Fail(Auth, errors.New("LinkedIn's token introspection refused the app's client id or secret, or the token: check credentials.client_id, client_secret and access_token"))
		}
		return CredentialExpiry{}, linkedInOAuthError("introspect the access token", err)
	}
	var a struct {
		Active    *bool  `json:"active"`
		Status    string `json:"status"`
		ExpiresAt *int64 `json:"expires_at"`
	}
	if err := json.Unmarshal(body, &a); err != nil || a.Active == nil {
		return CredentialExpiry{}, Fail(Decode, errors.New("LinkedIn's introspection answer lacks active"))
	}
	now := l.env.now()
	exp := CredentialExpiry{What: "the access token"}
	if !*a.Active {
		exp.Dead = "LinkedIn says the token is not active"
		if a.Status != "" {
			exp.Dead += " (" + a.Status + ")"
		}
		exp.Ends = now
		if a.ExpiresAt != nil && *a.ExpiresAt > 0 && time.Unix(*a.ExpiresAt, 0).Before(now) {
			exp.Ends = time.Unix(*a.ExpiresAt, 0)
		}
		return exp, nil
	}
	if a.ExpiresAt == nil || *a.ExpiresAt <= 0 {
		return CredentialExpiry{}, Fail(Decode, errors.New("LinkedIn's introspection answer says the token is active but gives no expires_at"))
	}
	exp.Ends = time.Unix(*a.ExpiresAt, 0)
	return exp, nil
}

// linkedInTokenDead reports whether LinkedIn refused a call for its token
// (expired, revoked, invalid: API-REFERENCE A.6), which a new token may cure;
// a missing permission is not one.
func linkedInTokenDead(err error) bool {
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusUnauthorized {
		return false
	}
	var b struct {
		Code             string `json:"code"`
		ServiceErrorCode int    `json:"serviceErrorCode"`
	}
	_ = json.Unmarshal(se.Body, &b)
	switch b.Code {
	case "EXPIRED_ACCESS_TOKEN", "REVOKED_ACCESS_TOKEN", "INVALID_ACCESS_TOKEN":
		return true
	}
	return b.ServiceErrorCode >= 65600 && b.ServiceErrorCode <= 65602
}
