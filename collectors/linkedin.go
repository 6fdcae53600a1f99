package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
)

func init() {
	register("linkedin", Spec{
		TypeSpec: config.TypeSpec{
			Metrics:     append([]string{"followers"}, linkedInEngagement...),
			Credentials: []string{"access_token"},
			Options:     []string{"concurrency"},
			Settings: &linkedInSettings{
				Posts: config.Posts{PostsWindow: 30},
				Pages: config.Pages{MaxPages: 10}, // 100 posts a page: a thousand posts a window
			},
			LevelMetrics:       linkedInEngagement,
			MaxPostsWindow:     365,          // share statistics cover the last 12 months only
			DefaultSchedule:    "@every 12h", // daily limits, unpublished, reset at 00:00 UTC
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 1, // daily limits, unpublished
			AccountCheck:       checkLinkedInAccount,
		},
		Ratios: engagementRatios,
		New:    newLinkedIn,
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
}

var linkedInVersion = regexp.MustCompile(`^20[0-9]{2}(0[1-9]|1[0-2])$`)

// Validate checks the settings; see config.SettingProblem.
func (s *linkedInSettings) Validate() error {
	if s.Version != "" && !linkedInVersion.MatchString(s.Version) {
		return config.SettingProblem([]any{"version"}, "version: %q is not a LinkedIn version; give a month as YYYYMM, such as %s", s.Version, DefaultLinkedInVersion)
	}
	return nil
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
	version  string
	header   http.Header
}

func newLinkedIn(env Env) (Collector, error) {
	settings := settingsOf[linkedInSettings](env)
	l := &linkedIn{env: env, settings: settings, base: env.Channel.APIURL, version: settings.Version, header: http.Header{}}
	if l.base == "" {
		l.base = "https://api.linkedin.com"
	}
	if l.version == "" {
		l.version = DefaultLinkedInVersion
	}
	l.header.Set("Authorization", "Bearer "+env.Channel.Credentials.Get("access_token").Reveal())
	l.header.Set("LinkedIn-Version", l.version)
	l.header.Set("X-Restli-Protocol-Version", "2.0.0")
	return l, nil
}

// Collect reads every account; see Collector.
func (l *linkedIn) Collect(ctx context.Context, accounts []string) Result {
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
		err := GetJSON(ctx, l.env.Client, u, l.header, &body, classifyLinkedIn)
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
			if err := l.engagement(ctx, urn, account, body.FirstDegreeSize, &res); err != nil {
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
func (l *linkedIn) engagement(ctx context.Context, urn, account string, followers *int64, res *Result) error {
	to := civilDay(l.env.now().UTC())
	from := to.AddDate(0, 0, -int(l.settings.PostsWindow))
	sums, err := l.shareStatistics(ctx, urn, from, to)
	if err != nil {
		return err
	}
	posts, fail := l.ownPosts(ctx, urn, to)
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
func (l *linkedIn) shareStatistics(ctx context.Context, urn string, from, to time.Time) (shareSums, error) {
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
	if err := GetJSON(ctx, l.env.Client, u, l.header, &body, classifyLinkedIn); err != nil {
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
func (l *linkedIn) ownPosts(ctx context.Context, urn string, to time.Time) (int, *Error) {
	first := strings.TrimSuffix(l.base, "/") + "/rest/posts?author=" + linkedInQueryURN(urn) + "&q=author&count=" + strconv.Itoa(linkedInPostsPage) + "&sortBy=CREATED"
	posts, fail := pageBack(l.settings.PostsWindow, l.settings.MaxPages, to, "100 posts", func(p listedPost) time.Time { return p.created }, func(start string) ([]listedPost, string, *Error) {
		u := first
		if start != "" {
			u += "&start=" + start
		}
		var body linkedInPosts
		if err := GetJSON(ctx, l.env.Client, u, l.header, &body, classifyLinkedIn); err != nil {
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
