package collectors

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/kpi-collector/kpi-collector/config"
)

// Google's APIs for a web site's numbers (Search Console, Analytics 4) are
// read with a service account: a JSON key given as the channel's
// credentials.service_account (or service_account_file). The key signs a
// short-lived assertion that Google's token endpoint (the key's token_uri,
// or the channel's token_url) trades for an hour's bearer token, which is
// cached and renewed ten seconds before it expires. The key itself is never
// sent anywhere; the token only to the channel's API.

// googleCredential is the credential name of a service-account key.
const googleCredential = "service_account"

// googleAuth is a channel's authorized client and what messages need of its
// key.
type googleAuth struct {
	client *http.Client
	email  string // the service account's address, to be added to properties
	tokens *rememberedTokens
}

// rememberedTokens is a token source that remembers the access tokens it
// handed out: they are credentials the config does not know, and an API
// that echoes its request must not get them into an error.
type rememberedTokens struct {
	src  oauth2.TokenSource
	mu   sync.Mutex
	seen []string
}

// Token is the source's token, remembered.
func (r *rememberedTokens) Token() (*oauth2.Token, error) {
	t, err := r.src.Token()
	if err == nil && t.AccessToken != "" {
		r.mu.Lock()
		if !slices.Contains(r.seen, t.AccessToken) {
			r.seen = append(r.seen, t.AccessToken)
		}
		r.mu.Unlock()
	}
	return t, err
}

// scrub masks every access token handed out in s.
func (r *rememberedTokens) scrub(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.seen {
		s = strings.ReplaceAll(s, t, "<secret>")
	}
	return s
}

// newGoogleAuth builds the client of a channel that reads with a service
// account, with read-only scopes. Requests, the token's included, go through
// env.Client, so that they are counted and their answers can be captured.
func newGoogleAuth(env Env, tokenURL string, scopes ...string) (*googleAuth, error) {
	key := []byte(env.Channel.Credentials.Get(googleCredential).Reveal())
	var id struct {
		Email string `json:"client_email"`
	}
	if err := json.Unmarshal(key, &id); err != nil {
		return nil, fmt.Errorf("credentials.%s is not a service account's JSON key (download one from the Google Cloud console, IAM, Service accounts, Keys)", googleCredential)
	}
	cfg, err := google.JWTConfigFromJSON(key, scopes...)
	if err != nil {
		return nil, fmt.Errorf("credentials.%s: %w", googleCredential, err)
	}
	if tokenURL != "" {
		cfg.TokenURL = tokenURL
	}
	base := env.Client
	if base == nil {
		base = http.DefaultClient
	}
	// The token source outlives any one run: its context only carries the
	// client the token requests go through.
	tokenCtx := context.WithValue(context.Background(), oauth2.HTTPClient, base)
	tokens := &rememberedTokens{src: cfg.TokenSource(tokenCtx)}
	client := *base
	client.Transport = &captureTransport{base: &oauth2.Transport{Source: tokens, Base: base.Transport}}
	return &googleAuth{client: &client, email: id.Email, tokens: tokens}, nil
}

// classify classifies a failed call of a service-account channel:
// a token the endpoint refused is auth (never retried: the key is wrong,
// rotated or deleted), and a 403 on the property says how to grant access.
func (a *googleAuth) classify(api string, err error, accounts ...string) *Error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		// On the JWT path RetrieveError.ErrorCode stays empty: the body says.
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(re.Body, &body)
		reason := Auth
		if re.Response != nil && re.Response.StatusCode >= 500 {
			reason = Server
		}
		return Fail(reason, fmt.Errorf("%s: Google's token endpoint refused the service account %s: %s (%s)", api, a.email, body.Error, body.Description), accounts...)
	}
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		e := *Classify(ScrubError(err), accounts...) // the reason first (a time-out), then the text
		if text := e.Err.Error(); a.tokens.scrub(text) != text {
			e.Err = errors.New(a.tokens.scrub(text))
		}
		return &e
	}
	reason := googleReason(ge)
	status := googleStatus(ge)
	msg := a.tokens.scrub(ge.Message)
	switch {
	case status == "RESOURCE_EXHAUSTED" && strings.Contains(msg, "tokens per day"):
		// GA4's daily tokens come back at midnight Pacific time; the hourly
		// ones and the concurrent requests within the hour (rate_limited).
		reason = Quota
	case status == "INVALID_ARGUMENT" || ge.Code == http.StatusBadRequest:
		reason = Decode // our request is wrong: a metric name, a filter
	case ge.Code == http.StatusForbidden && reason == Auth:
		msg += fmt.Sprintf(" — add the service account %s to the property as a user (Search Console: Settings, Users and permissions; Analytics: Admin, Property access management, Viewer)", a.email)
	}
	e := Fail(reason, fmt.Errorf("%s: %w", api, &StatusError{Code: ge.Code, Header: ge.Header, Body: []byte(msg)}), accounts...)
	e.RetryAt = ResetTime(ge.Code, ge.Header, time.Now())
	return e
}

// googleStatus is the error's canonical status (INVALID_ARGUMENT,
// RESOURCE_EXHAUSTED), which googleapi.Error keeps only in its body.
func googleStatus(ge *googleapi.Error) string {
	var body struct {
		Error struct {
			Status string `json:"status"`
		} `json:"error"`
	}
	_ = json.Unmarshal([]byte(ge.Body), &body)
	return strings.ToUpper(body.Error.Status)
}

// call makes one API call with the Google client (do), retrying what may
// pass, and decodes the answer's own bytes into into: the clients decode an
// absent figure as 0, so the collectors read what was sent. A 2xx that is
// not the method's JSON is decode.
func (a *googleAuth) call(ctx context.Context, api, method, account string, into any, do func(context.Context) error) error {
	var body []byte
	err := Retry(ctx, func() error {
		callCtx, got := withCapture(ctx)
		err := do(callCtx)
		status, b := got.answer()
		body = b
		switch {
		case err == nil:
			return nil
		case status >= 200 && status < 300:
			return Fail(Decode, fmt.Errorf("%s: the answer is not %s's JSON: %w", api, method, ScrubError(err)), account)
		default:
			return a.classify(api, err, account)
		}
	})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, into); err != nil {
		return Fail(Decode, fmt.Errorf("%s: reading %s's answer: %w", api, method, err), account)
	}
	return nil
}

// options are the client options of a Google service: the authorized
// client, the endpoint (the channel's api_url, else the API's own) and the
// User-Agent.
func (a *googleAuth) options(env Env, endpoint string) []option.ClientOption {
	if env.Channel.APIURL != "" {
		endpoint = strings.TrimSuffix(env.Channel.APIURL, "/") + "/"
	}
	return []option.ClientOption{option.WithHTTPClient(a.client), option.WithEndpoint(endpoint), option.WithUserAgent(UserAgent())}
}

// checkServiceAccount vets a channel's service-account key when the config
// loads, so that `collector check` says what is wrong with it before a run
// does; it names no part of the key.
func checkServiceAccount(ch *config.Channel) error {
	key := ch.Credentials.Get(googleCredential)
	if !key.IsSet() {
		return nil // the missing credential is reported on its own
	}
	var k struct {
		Type       string `json:"type"`
		Email      string `json:"client_email"`
		PrivateKey string `json:"private_key"`
	}
	switch {
	case json.Unmarshal([]byte(key.Reveal()), &k) != nil:
		return errors.New("credentials: service_account is not JSON; give the service account's key file as downloaded (IAM & Admin, Service accounts, Keys, Add key, JSON), with service_account_file or ${VAR}")
	case k.Type != "service_account":
		return fmt.Errorf("credentials: service_account is a key of type %q; a service account's JSON key has type service_account", k.Type)
	case k.Email == "" || k.PrivateKey == "":
		return errors.New("credentials: service_account lacks client_email or private_key; download the key again")
	}
	// As the oauth2 library reads it to sign with: a PEM block of an RSA
	// key, PKCS #8 or PKCS #1. Only the problem is said, none of the key.
	block, _ := pem.Decode([]byte(k.PrivateKey))
	if block == nil {
		return errors.New("credentials: service_account's private_key is not a PEM private key; download the key again")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		parsed, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	}
	if _, rsaKey := parsed.(*rsa.PrivateKey); err != nil || !rsaKey {
		return errors.New("credentials: service_account's private_key is not an RSA private key that can be read; download the key again")
	}
	return nil
}
