package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/kpi-collector/kpi-collector/config"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

func init() {
	register("linkedin", Spec{
		TypeSpec: config.TypeSpec{
			Metrics:            append([]string{"followers"}, linkedInEngagement...),
			Credentials:        []string{"access_token"},
			Options:            []string{"concurrency"},
			Settings:           &linkedInSettings{Posts: config.Posts{PostsWindow: 30}},
			LevelMetrics:       linkedInEngagement,
			MaxPostsWindow:     365,          // share statistics cover the last 12 months only
			DefaultSchedule:    "@every 12h", // daily limits, unpublished, reset at 00:00 UTC
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 1, // daily limits, unpublished
			AccountCheck:       checkLinkedInAccount,
		},
		New: newLinkedIn,
	})
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

// linkedInSettings are a linkedin channel's own keys: version is the
// LinkedIn-Version sent (DefaultLinkedInVersion where none is given).
type linkedInSettings struct {
	config.APIVersion `yaml:",inline"`
	config.Posts      `yaml:",inline"`
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
// Management API's networkSizes, one organization a call.
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
			if err := l.shareStatistics(ctx, urn, account, &res); err != nil {
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
func (l *linkedIn) shareStatistics(ctx context.Context, urn, account string, res *Result) error {
	now := l.env.now()
	from := civilDay(now.UTC()).AddDate(0, 0, -int(l.settings.PostsWindow))
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
	if err := GetJSON(ctx, l.env.Client, u, l.header, &body, classifyLinkedIn); err != nil {
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
