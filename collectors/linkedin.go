package collectors

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
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
			Options:             []string{"concurrency"},
			Settings: &linkedInSettings{
				Posts:    config.Posts{PostsWindow: 30},
				Pages:    config.Pages{MaxPages: 10}, // 100 posts a page: a thousand posts a window
				OAuthURL: DefaultLinkedInOAuthURL,
			},
			LevelMetrics:       linkedInEngagement,
			MaxPostsWindow:     365,          // share statistics cover the last 12 months only
			DefaultSchedule:    "@every 12h", // daily limits, unpublished, reset at 00:00 UTC
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 1, // daily limits, unpublished
			AccountCheck:       checkLinkedInAccount,
			OptionCheck:        checkLinkedInCredentials,
		},
		Ratios:     engagementRatios,
		New:        newLinkedIn,
		VersionEnd: linkedInVersionEnd,
	})
}

// linkedInEngagement are what organization share statistics give (the
// organization's organic posts' likes, comments, shares and impressions
// summed by day) and what its own posts of the window, from the Posts API,
// make of them: the posts, the engagements per post and the rate.
var linkedInEngagement = []string{LikesInWindow, RepliesInWindow, SharesInWindow, ViewsInWindow, EngagementsInWindow, PostsInWindow, EngagementPerPost, EngagementRate}

// DefaultLinkedInVersion is the LinkedIn-Version header sent unless the
// channel sets `version:`. LinkedIn serves each monthly version for about a
// year; a retired one answers 426.
const DefaultLinkedInVersion = "202610"

// linkedInSettings are a linkedin channel's own keys: version is the
// LinkedIn-Version sent (DefaultLinkedInVersion where none is given).
type linkedInSettings struct {
	config.APIVersion `yaml:",inline"`
	config.Posts      `yaml:",inline"`
	config.Pages      `yaml:",inline"`
	// OAuthURL is where the OAuth endpoints (accessToken, introspectToken)
	// live: a proxy or a test server, as api_url is for the API.
	OAuthURL string `yaml:"oauth_url"`
	// VersionEnd, where set, replaces the end of the channel's version
	// known from LinkedIn's pages (linkedInVersionEnds).
	VersionEnd config.Date `yaml:"version_end"`
}

var linkedInVersion = regexp.MustCompile(`^20[0-9]{2}(0[1-9]|1[0-2])$`)

// Validate checks the settings; see config.SettingProblem.
func (s *linkedInSettings) Validate() error {
	if s.Version != "" && !linkedInVersion.MatchString(s.Version) {
		return config.SettingProblem([]any{"version"}, "version: %q is not a LinkedIn version; give a month as YYYYMM, such as %s", s.Version, DefaultLinkedInVersion)
	}
	if !strings.HasPrefix(s.OAuthURL, "https://") && !strings.HasPrefix(s.OAuthURL, "http://") {
		return config.SettingProblem([]any{"oauth_url"}, "oauth_url: %q is not an http or https URL", s.OAuthURL)
	}
	return nil
}

// checkLinkedInCredentials vets the credentials' combinations: a plain
// access_token, or a refresh_token with the app's client id and secret.
func checkLinkedInCredentials(ch *config.Channel) error {
	c := ch.Credentials
	minting := c.Get(linkedInRefreshToken).IsSet()
	switch {
	case minting && (!c.Get(linkedInClientID).IsSet() || !c.Get(linkedInClientSecret).IsSet()):
		return errors.New("credentials: a refresh_token mints access tokens only with the app's client_id and client_secret; set both (the app's Auth tab in LinkedIn's Developer Portal)")
	case minting && c.Get("access_token").IsSet():
		return errors.New("credentials: give access_token or refresh_token, not both: with a refresh_token the collector mints its own access tokens")
	case c.Get(linkedInClientID).IsSet() != c.Get(linkedInClientSecret).IsSet():
		return errors.New("credentials: client_id and client_secret go together")
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
	settings := settingsFor[linkedInSettings](ch)
	v := cmp.Or(settings.Version, DefaultLinkedInVersion)
	switch d, listed := linkedInVersionEnds[v]; {
	case !settings.VersionEnd.IsZero():
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

var linkedInOrg = regexp.MustCompile(`^(urn:li:organization:)?[0-9]+$`)

func checkLinkedInAccount(s string) error {
	if !linkedInOrg.MatchString(s) {
		return errors.New("must be an organization id (1234567) or URN (urn:li:organization:1234567)")
	}
	return nil
}

// linkedIn reads an organization's follower count from the Community
// Management API's networkSizes, one organization a call, and, for
// engagement, its share statistics and its own posts (see engagement).
type linkedIn struct {
	env      Env
	settings *linkedInSettings
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
	l := &linkedIn{env: env, settings: settings, base: env.Channel.APIURL, version: settings.Version, header: http.Header{},
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
			if err := l.engagement(ctx, header, urn, account, body.FirstDegreeSize, &res); err != nil {
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

// linkedInPostsPage is how many posts a Posts API call asks for: the most
// it is said to give ([UNVERIFIED]: third-party docs); a page the API caps
// lower says so in paging.count, and paging goes by that.
const linkedInPostsPage = 100

// engagement adds an organization's engagement over the window's whole
// days, to today's 00:00 UTC: the organic activity on its posts by day
// (share statistics, summed) and how many posts of its own it published in
// those days (the Posts API), for the per-post figure and the rate. The
// activity is on every organic post of the organization during the window,
// older posts' included: LinkedIn gives it by day, not by post. Either read
// failing adds nothing, as a per-post figure from part of it would be false.
func (l *linkedIn) engagement(ctx context.Context, header http.Header, urn, account string, followers *int64, res *Result) error {
	to := civilDay(l.env.now().UTC())
	from := to.AddDate(0, 0, -int(l.settings.PostsWindow))
	sums, err := l.shareStatistics(ctx, header, urn, from, to)
	if err != nil {
		return err
	}
	posts, fail := l.ownPosts(ctx, header, urn, to)
	if fail != nil {
		return fail
	}
	engagements := sums.likes + sums.comments + sums.shares
	res.add(account, LikesInWindow, float64(sums.likes))
	res.add(account, RepliesInWindow, float64(sums.comments))
	res.add(account, SharesInWindow, float64(sums.shares))
	res.add(account, ViewsInWindow, float64(sums.impressions))
	res.add(account, EngagementsInWindow, float64(engagements))
	res.add(account, PostsInWindow, float64(posts))
	if posts == 0 {
		return nil // no per-post figure without a post
	}
	perPost := float64(engagements) / float64(posts)
	res.add(account, EngagementPerPost, perPost)
	if followers != nil && *followers > 0 {
		res.add(account, EngagementRate, perPost/float64(*followers))
	}
	return nil
}

// shareSums are an organization's share statistics summed over days.
type shareSums struct{ likes, comments, shares, impressions int64 }

// shareStatistics sums an organization's organic engagement from from to
// to: organizationalEntityShareStatistics by DAY (Rest.li 2.0 query syntax,
// as the header says), one call.
func (l *linkedIn) shareStatistics(ctx context.Context, header http.Header, urn string, from, to time.Time) (shareSums, error) {
	interval := fmt.Sprintf("(timeRange:(start:%d,end:%d),timeGranularityType:DAY)", from.UnixMilli(), to.UnixMilli())
	u := strings.TrimSuffix(l.base, "/") + "/rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=" +
		linkedInQueryURN(urn) + "&timeIntervals=" + interval
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
	var sums shareSums
	if err := GetJSON(ctx, l.env.Client, u, header, &body, classifyLinkedIn); err != nil {
		return sums, err
	}
	// A day without activity may be left out: it adds nothing.
	for _, e := range body.Elements {
		s := e.Stats
		if s == nil || s.Likes == nil || s.Comments == nil || s.Shares == nil || s.Impressions == nil {
			return sums, Fail(Decode, fmt.Errorf("the statistics of the day starting %s lack a count", time.UnixMilli(e.TimeRange.Start).UTC().Format(time.DateOnly)))
		}
		sums.likes, sums.comments, sums.shares, sums.impressions = sums.likes+*s.Likes, sums.comments+*s.Comments, sums.shares+*s.Shares, sums.impressions+*s.Impressions
	}
	return sums, nil
}

// linkedInPosts is a page of the Posts API's author finder.
type linkedInPosts struct {
	Paging struct {
		Count int `json:"count"`
	} `json:"paging"`
	Elements []struct {
		ID        string `json:"id"`
		CreatedAt *int64 `json:"createdAt"`
		// ReshareContext is set on a reshare: someone else's post.
		ReshareContext json.RawMessage `json:"reshareContext"`
		Distribution   struct {
			FeedDistribution string `json:"feedDistribution"`
		} `json:"distribution"`
	} `json:"elements"`
}

// listedPost is a post as the author finder lists it, for pageBack.
type listedPost struct {
	created time.Time
	own     bool
}

// ownPosts counts the organization's own posts created in the window's
// days before to: the Posts API's author finder sorted by CREATED (newest
// first; edits do not reorder it), linkedInPostsPage a call, paging with
// start until a post older than the window or a short page. A reshare
// (reshareContext) is someone else's post; a post not distributed to the
// feed ("feedDistribution":"NONE", a dark post for ads, [UNVERIFIED]) is not
// organic, and share statistics leave it out too. Neither is counted.
func (l *linkedIn) ownPosts(ctx context.Context, header http.Header, urn string, to time.Time) (int, *Error) {
	first := strings.TrimSuffix(l.base, "/") + "/rest/posts?author=" + linkedInQueryURN(urn) + "&q=author&count=" + strconv.Itoa(linkedInPostsPage) + "&sortBy=CREATED"
	posts, fail := pageBack(l.settings.PostsWindow, l.settings.MaxPages, to, "100 posts", func(p listedPost) time.Time { return p.created }, func(start string) ([]listedPost, string, *Error) {
		u := first
		if start != "" {
			u += "&start=" + start
		}
		var body linkedInPosts
		if err := GetJSON(ctx, l.env.Client, u, header, &body, classifyLinkedIn); err != nil {
			e := Classify(err)
			if e.Reason == Auth {
				e.Err = fmt.Errorf("listing the organization's posts needs the r_organization_social scope and an ADMINISTRATOR, CONTENT_ADMIN or DIRECT_SPONSORED_CONTENT_POSTER role: %w", e.Err)
			}
			return nil, "", e
		}
		out := make([]listedPost, 0, len(body.Elements))
		for _, p := range body.Elements {
			if p.CreatedAt == nil {
				return nil, "", Fail(Decode, fmt.Errorf("post %q has no createdAt, so whether it is in the window is unknown", p.ID))
			}
			reshare := len(p.ReshareContext) > 0 && string(p.ReshareContext) != "null"
			out = append(out, listedPost{created: time.UnixMilli(*p.CreatedAt).UTC(), own: !reshare && p.Distribution.FeedDistribution != "NONE"})
		}
		size := linkedInPostsPage
		if c := body.Paging.Count; c > 0 && c < size {
			size = c
		}
		if len(body.Elements) == 0 || len(body.Elements) < size {
			return out, "", nil // the last page
		}
		offset, _ := strconv.Atoi(start)
		return out, strconv.Itoa(offset + len(body.Elements)), nil
	})
	if fail != nil {
		return 0, fail
	}
	n := 0
	for _, p := range posts {
		if p.own && p.created.Before(to) {
			n++
		}
	}
	return n, nil
}

// linkedInQueryURN is a URN as a query value: encoded, colons too.
func linkedInQueryURN(urn string) string {
	return strings.ReplaceAll(url.QueryEscape(urn), ":", "%3A")
}
