package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/dghubble/go-twitter/twitter" //nolint:staticcheck // deprecated upstream; kept behind `api: v1.1` on purpose
)

// twitterV1 reads users/lookup.json with github.com/dghubble/go-twitter, for
// the few apps whose access level still serves API v1.1. The library is
// deprecated upstream and v1.1 only: it stays behind `api: v1.1`.
type twitterV1 struct {
	http *http.Client
}

func newTwitterV1(env Env) (Collector, error) {
	client := *env.Client
	client.Transport = &rewriteTransport{
		base:   env.Client.Transport,
		bearer: env.Channel.Credentials.Get("bearer_token").Reveal(),
	}
	if env.Channel.APIURL != "" {
		u, err := url.Parse(env.Channel.APIURL)
		if err != nil {
			return nil, fmt.Errorf("api_url: %w", err)
		}
		// The library's base URL is a constant: api_url is applied by
		// rewriting each request's scheme and host.
		client.Transport.(*rewriteTransport).target = u
	}
	return &twitterV1{http: &client}, nil
}

// rewriteTransport adds the app's bearer token and, where api_url is set,
// sends the request to that host instead of api.twitter.com.
type rewriteTransport struct {
	base   http.RoundTripper
	bearer string
	target *url.URL
}

// RoundTrip authorizes the request and points it at api_url.
func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+t.bearer)
	if t.target != nil {
		req.URL.Scheme = t.target.Scheme
		req.URL.Host = t.target.Host
		req.Host = t.target.Host
	}
	resp, err := t.base.RoundTrip(req)
	if err == nil {
		if err := capture(req, resp); err != nil {
			return nil, err
		}
	}
	return resp, err
}

// twitterV1User is a user of users/lookup as sent: the library decodes the
// counts into plain integers, where an absent or null count would read as 0.
type twitterV1User struct {
	ScreenName     string          `json:"screen_name"`
	FollowersCount json.RawMessage `json:"followers_count"`
	FriendsCount   json.RawMessage `json:"friends_count"`
	StatusesCount  json.RawMessage `json:"statuses_count"`
	ListedCount    json.RawMessage `json:"listed_count"`
}

// Collect reads every account; see Collector.
func (x *twitterV1) Collect(ctx context.Context, accounts []string) Result {
	var res Result
	for _, batch := range Batches(accounts, TwitterBatch) {
		if err := ctx.Err(); err != nil {
			res.fail(err, batch...)
			continue
		}
		names := make([]string, len(batch))
		for i, a := range batch {
			names[i] = strings.TrimPrefix(a, "@")
		}
		callCtx, got := withCapture(ctx)
		_, resp, err := x.lookup(callCtx, names) //nolint:bodyclose // sling's Receive reads and closes the body
		status, body := got.answer()
		if err == nil && (status < 200 || status > 299) {
			// The library reports an error only for a body in v1.1's own
			// shape; any other failure (a proxy's page, an empty body) would
			// otherwise read as "no such user".
			err = fmt.Errorf("twitter v1.1: HTTP %d", status)
		}
		if err != nil {
			res.Errors = append(res.Errors, classifyTwitterV1(err, resp, batch))
			continue
		}
		var users []twitterV1User
		if err := json.Unmarshal(body, &users); err != nil {
			res.fail(Fail(Decode, fmt.Errorf("twitter v1.1: users/lookup answered %d with a body that is not a list of users", status)), batch...)
			continue
		}
		byName := map[string]twitterV1User{}
		for _, u := range users {
			byName[strings.ToLower(u.ScreenName)] = u
		}
		for i, account := range batch {
			u, ok := byName[strings.ToLower(names[i])]
			if !ok {
				res.fail(Fail(NotFound, errors.New("users/lookup did not return this user")), account)
				continue
			}
			res.addCount(account, "followers", u.FollowersCount)
			res.addCount(account, "following", u.FriendsCount)
			res.addCount(account, "posts", u.StatusesCount)
			res.addCount(account, "listed", u.ListedCount)
		}
	}
	return res
}

// lookup runs Users.Lookup. The library takes no context of its own, so the
// call goes through a client whose requests carry ctx: the run's deadline and
// the capture of the answer reach the transport that way.
func (x *twitterV1) lookup(ctx context.Context, names []string) ([]twitter.User, *http.Response, error) {
	client := *x.http
	client.Transport = contextTransport{ctx: ctx, base: x.http.Transport}
	return twitter.NewClient(&client).Users.Lookup(&twitter.UserLookupParams{ScreenName: names})
}

// contextTransport sends every request with its context.
type contextTransport struct {
	ctx  context.Context //nolint:containedctx // the library builds requests without one
	base http.RoundTripper
}

// RoundTrip sends req under the transport's context.
func (t contextTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(req.WithContext(t.ctx))
}

// classifyTwitterV1 reads v1.1's {"errors":[{"code":N}]}.
func classifyTwitterV1(err error, resp *http.Response, batch []string) *Error {
	var ours *Error
	if errors.As(err, &ours) {
		return Classify(ScrubError(err), batch...)
	}
	var apiErr twitter.APIError
	if !errors.As(err, &apiErr) || len(apiErr.Errors) == 0 {
		if resp != nil && (resp.StatusCode < 200 || resp.StatusCode > 299) {
			return Fail(ReasonForStatus(resp.StatusCode), fmt.Errorf("twitter v1.1: HTTP %d", resp.StatusCode), batch...)
		}
		return Classify(ScrubError(err), batch...)
	}
	d := apiErr.Errors[0]
	reason := Server
	msg := fmt.Sprintf("twitter v1.1: %d %s", d.Code, d.Message)
	switch d.Code {
	case 453:
		reason = Version
		msg = "twitter v1.1: this access level has no v1.1 user endpoints; use api: v2 (code 453)"
	case 88:
		reason = RateLimited
	case 32, 89, 215:
		reason = Auth
	case 17, 50, 63:
		reason = NotFound
	default:
		if resp != nil {
			reason = ReasonForStatus(resp.StatusCode)
		}
	}
	return Fail(reason, errors.New(msg), batch...)
}
