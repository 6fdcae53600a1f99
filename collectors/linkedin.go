package collectors

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/kpi-collector/kpi-collector/config"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

func init() {
	register("linkedin", Spec{
		TypeSpec: config.TypeSpec{
			Metrics: append([]string{"followers"}, linkedInEngagement...),
			// access_token, or refresh_token with client_id and
			// client_secret to mint access tokens (linkedin_oauth.go);
			// client_id and client_secret with access_token let the
			// collector ask when the token ends.
			Credentials:         []string{"access_token", linkedInRefreshToken},
			OptionalCredentials: []string{linkedInClientID, linkedInClientSecret},
			Settings:            &linkedInSettings{OAuthURL: DefaultLinkedInOAuthURL},
			Options:             []string{"version", "concurrency", "posts_window"},
			LevelMetrics:        linkedInEngagement,
			DefaultPostsWindow:  30,
			MaxPostsWindow:      365,          // share statistics cover the last 12 months only
			DefaultSchedule:     "@every 12h", // daily limits, unpublished, reset at 00:00 UTC
			DefaultTimeout:      time.Minute,
			DefaultConcurrency:  1, // daily limits, unpublished
			AccountCheck:        checkLinkedInAccount,
			OptionCheck:         checkLinkedInOptions,
		},
		New:        newLinkedIn,
		VersionEnd: linkedInVersionEnd,
	})
}

// linkedInSettings are a linkedin channel's own keys.
type linkedInSettings struct {
	// OAuthURL is where the OAuth endpoints (accessToken, introspectToken)
	// live: a proxy or a test server, as api_url is for the API.
	OAuthURL string `yaml:"oauth_url"`
	// VersionEnd, where set, replaces the end of the channel's version
	// known from LinkedIn's pages (linkedInVersionEnds).
	VersionEnd config.Date `yaml:"version_end"`
}

// Validate checks oauth_url.
func (s *linkedInSettings) Validate() error {
	if !strings.HasPrefix(s.OAuthURL, "https://") && !strings.HasPrefix(s.OAuthURL, "http://") {
		return config.SettingProblem([]any{"oauth_url"}, "oauth_url: %q is not an http or https URL", s.OAuthURL)
	}
	return nil
}

// linkedInVersionEnds are the sunset dates of LinkedIn's versions as its
// migrations page lists them (learn.microsoft.com/linkedin/marketing/
// integrations/migrations); a version not listed is served "for a minimum
// of one year" (learn.microsoft.com/linkedin/marketing/versioning), so it
// is taken to end on the first day of its month a year later.
var linkedInVersionEnds = map[string]config.Date{
	"202411": {Year: 2025, Month: time.November, Day: 17},
	"202511": {Year: 2026, Month: time.November, Day: 16},
	"202601": {Year: 2027, Month: time.January, Day: 15},
	"202603": {Year: 2027, Month: time.March, Day: 16},
}

// linkedInVersionEnd is when the channel's LinkedIn-Version is retired:
// version_end, else the migrations page's date, else a year after the
// version's month.
func linkedInVersionEnd(ch *config.Channel) VersionEnd {
	v := cmp.Or(ch.Version, DefaultLinkedInVersion)
	settings, _ := ch.Settings.(*linkedInSettings)
	switch d, listed := linkedInVersionEnds[v]; {
	case settings != nil && !settings.VersionEnd.IsZero():
		return VersionEnd{Version: v, Ends: utcDay(settings.VersionEnd), Source: "version_end"}
	case listed:
		return VersionEnd{Version: v, Ends: utcDay(d), Source: "LinkedIn's migrations page"}
	}
	month, err := time.Parse("200601", v)
	if err != nil {
		return VersionEnd{Version: v}
	}
	return VersionEnd{Version: v, Ends: month.AddDate(1, 0, 0), Source: "a year after the version's month, LinkedIn's minimum"}
}

// linkedInEngagement are what organization share statistics give: the
// organization's organic posts' likes, comments, shares and impressions
// summed by day. They do not say how many posts there were, so there is no
// per-post figure or rate.
var linkedInEngagement = []string{LikesInWindow, RepliesInWindow, SharesInWindow, ViewsInWindow, EngagementsInWindow}

// DefaultLinkedInVersion is the LinkedIn-Version header sent unless the
// channel sets `version:`. LinkedIn serves each monthly version for about a
// year; a retired one answers 426.
const DefaultLinkedInVersion = "202610"

var linkedInOrg = regexp.MustCompile(`^(urn:li:organization:)?[0-9]+$`)

func checkLinkedInAccount(s string) error {
	if !linkedInOrg.MatchString(s) {
		return errors.New("must be an organization id (1234567) or URN (urn:li:organization:1234567)")
	}
	return nil
}

// linkedIn reads an organization's follower count from the Community
// Management API's networkSizes, one organization a call.
type linkedIn struct {
	env      Env
	base     string
	oauthURL string
	version  string
	header   http.Header
	// tokens mints the access tokens of a channel given a refresh token;
	// nil where the channel gives an access token.
	tokens *linkedInTokens
}

func newLinkedIn(env Env) (Collector, error) {
	settings := settingsOf[linkedInSettings](env)
	l := &linkedIn{env: env, base: env.Channel.APIURL, version: env.Channel.Version, header: http.Header{},
		oauthURL: cmp.Or(settings.OAuthURL, DefaultLinkedInOAuthURL)}
	if l.base == "" {
		l.base = "https://api.linkedin.com"
	}
	if l.version == "" {
		l.version = DefaultLinkedInVersion
	}
	if env.Channel.Credentials.Get(linkedInRefreshToken).IsSet() {
		l.tokens = newLinkedInTokens(env, l.oauthURL)
	} else {
		l.header.Set("Authorization", "Bearer "+env.Channel.Credentials.Get("access_token").Reveal())
	}
	l.header.Set("LinkedIn-Version", l.version)
	l.header.Set("X-Restli-Protocol-Version", "2.0.0")
	return l, nil
}

// Collect reads every account; see Collector. A channel that mints its
// tokens renews one that ends within a day first; where LinkedIn calls the
// token expired or revoked before its time, it mints one more and reads
// again, once.
func (l *linkedIn) Collect(ctx context.Context, accounts []string) Result {
	if l.tokens == nil {
		return l.collect(ctx, accounts, l.header)
	}
	tok, fresh, err := l.tokens.token(ctx, false)
	if err != nil {
		var res Result
		res.fail(err)
		return res
	}
	res := l.collect(ctx, accounts, l.withToken(tok))
	if fresh || len(res.Errors) == 0 || !slices.ContainsFunc(res.Errors, func(e *Error) bool { return linkedInTokenDead(e) }) {
		return res
	}
	tok, _, err = l.tokens.token(ctx, true)
	if err != nil {
		res.fail(err)
		return res
	}
	return l.collect(ctx, accounts, l.withToken(tok))
}

// withToken is the channel's header with a minted token.
func (l *linkedIn) withToken(tok config.Secret) http.Header {
	h := l.header.Clone()
	h.Set("Authorization", "Bearer "+tok.Reveal())
	return h
}

// MintedSecrets are the tokens the channel minted; see SecretHolder.
func (l *linkedIn) MintedSecrets() []string {
	if l.tokens == nil {
		return nil
	}
	return l.tokens.secrets()
}

// CheckCredential says when the channel's credential ends; see
// CredentialChecker. A channel that mints its tokens knows without a call:
// the refresh token's end, when a person must authorize the app again (the
// access tokens it mints renew themselves and are not what ends). A plain
// access token is asked about with LinkedIn's introspection, where the
// app's client id and secret are given.
func (l *linkedIn) CheckCredential(ctx context.Context) (CredentialExpiry, bool, error) {
	creds := l.env.Channel.Credentials
	switch {
	case l.tokens != nil:
		held := l.tokens.current(ctx)
		if held.RefreshExpiry.IsZero() {
			return CredentialExpiry{}, false, nil // not minted yet, or LinkedIn did not say
		}
		return CredentialExpiry{Ends: held.RefreshExpiry, What: "the refresh token"}, true, nil
	case creds.Get(linkedInClientID).IsSet() && creds.Get(linkedInClientSecret).IsSet():
		exp, err := l.introspect(ctx, l.oauthURL)
		return exp, err == nil, err
	}
	return CredentialExpiry{}, false, nil
}

func (l *linkedIn) collect(ctx context.Context, accounts []string, header http.Header) Result {
	return EachBatch(ctx, accounts, 1, l.env.Channel.Concurrency, func(ctx context.Context, batch []string) Result {
		var res Result
		account := batch[0]
		urn := account
		if !strings.HasPrefix(urn, "urn:") {
			urn = "urn:li:organization:" + urn
		}
		u := strings.TrimSuffix(l.base, "/") + "/rest/networkSizes/" + strings.ReplaceAll(url.PathEscape(urn), ":", "%3A") + "?edgeType=COMPANY_FOLLOWED_BY_MEMBER"
		var body struct {
			FirstDegreeSize *int64 `json:"firstDegreeSize"`
		}
		err := GetJSON(ctx, l.env.Client, u, header, &body, classifyLinkedIn)
		var e *Error
		if errors.As(err, &e) && e.Reason == Version {
			e.Err = fmt.Errorf("LinkedIn no longer serves version %s; set channels.%s.version to a current month (YYYYMM): %w", l.version, l.env.Channel.Name, e.Err)
		}
		switch {
		case err != nil:
			res.fail(err, account)
		case body.FirstDegreeSize == nil:
			res.fail(Fail(Decode, errors.New("the answer has no firstDegreeSize")), account)
		default:
			res.add(account, "followers", float64(*body.FirstDegreeSize))
		}
		if err == nil && l.env.Channel.Engagement {
			if err := l.shareStatistics(ctx, header, urn, account, &res); err != nil {
				res.fail(err, account)
			}
		}
		return res
	})
}

func classifyLinkedIn(se *StatusError) Reason {
	var body struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(se.Body, &body)
	switch body.Code {
	case "NONEXISTENT_VERSION", "VERSION_MISSING":
		return Version
	case "INVALID_ACCESS_TOKEN", "ACCESS_DENIED", "REVOKED_ACCESS_TOKEN", "EXPIRED_ACCESS_TOKEN":
		return Auth
	case "NOT_FOUND":
		return NotFound
	}
	return ReasonForStatus(se.Code)
}

// shareStatistics adds an organization's organic engagement over the
// window: organizationalEntityShareStatistics by DAY (Rest.li 2.0 query
// syntax, as the header says), one call, the days summed.
func (l *linkedIn) shareStatistics(ctx context.Context, header http.Header, urn, account string, res *Result) error {
	now := l.env.now()
	from := civilDay(now.UTC()).AddDate(0, 0, -int(l.env.Channel.PostsWindow))
	to := civilDay(now.UTC())
	interval := fmt.Sprintf("(timeRange:(start:%d,end:%d),timeGranularityType:DAY)", from.UnixMilli(), to.UnixMilli())
	u := strings.TrimSuffix(l.base, "/") + "/rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=" +
		strings.ReplaceAll(url.QueryEscape(urn), ":", "%3A") + "&timeIntervals=" + interval
	var body struct {
		Elements []struct {
			TimeRange struct {
				Start int64 `json:"start"`
			} `json:"timeRange"`
			Stats *struct {
				Likes       *int64 `json:"likeCount"`
				Comments    *int64 `json:"commentCount"`
				Shares      *int64 `json:"shareCount"`
				Impressions *int64 `json:"impressionCount"`
			} `json:"totalShareStatistics"`
		} `json:"elements"`
	}
	if err := GetJSON(ctx, l.env.Client, u, header, &body, classifyLinkedIn); err != nil {
		return err
	}
	var likes, comments, shares, impressions int64
	for _, e := range body.Elements {
		s := e.Stats
		if s == nil || s.Likes == nil || s.Comments == nil || s.Shares == nil || s.Impressions == nil {
			return Fail(Decode, fmt.Errorf("the statistics of the day starting %s lack a count", time.UnixMilli(e.TimeRange.Start).UTC().Format(time.DateOnly)))
		}
		likes, comments, shares, impressions = likes+*s.Likes, comments+*s.Comments, shares+*s.Shares, impressions+*s.Impressions
	}
	// A day without activity may be left out: it adds nothing.
	res.add(account, LikesInWindow, float64(likes))
	res.add(account, RepliesInWindow, float64(comments))
	res.add(account, SharesInWindow, float64(shares))
	res.add(account, ViewsInWindow, float64(impressions))
	res.add(account, EngagementsInWindow, float64(likes+comments+shares))
	return nil
}
