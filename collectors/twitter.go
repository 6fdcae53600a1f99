package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
)

func init() {
	register("twitter", Spec{
		TypeSpec: config.TypeSpec{
			Metrics:     append([]string{"followers", "following", "posts", "listed", "influential_followers"}, twitterEngagement...),
			Credentials: []string{"bearer_token"},
			Options:     []string{"concurrency", "quota"},
			// Billed per post read: a month of posts a day by default. A
			// follower page is 1,000 users, each a paid read: ten pages a
			// day by default.
			Settings: &twitterSettings{
				Posts: config.Posts{PostsWindow: 30},
				Pages: config.Pages{MaxPages: 10},
			},
			LevelMetrics: twitterEngagement,
			// Only the latest 3,200 posts are reachable; a year is what a
			// plan compares.
			MaxPostsWindow:     365,
			DefaultSchedule:    "@daily", // pay-per-use: every user returned costs money
			InfluenceMetric:    "influential_followers",
			InfluenceSchedule:  "@daily",
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 1, // 300 lookups per 15 minutes per app
			Batch:              TwitterBatch,
			AccountCheck:       checkTwitterAccount,
			OptionCheck:        checkTwitterOptions,
		},
		Ratios: engagementRatios,
		New:    newTwitter,
	})
}

// twitterEngagement are X's engagement metrics: shares are reposts and
// quotes; views are the posts' impressions.
var twitterEngagement = engagementMetrics(true, true)

// twitterSettings are a twitter channel's own keys.
type twitterSettings struct {
	// API is the X API version read: v2 (the default) or v1.1.
	API              string `yaml:"api"`
	config.Posts     `yaml:",inline"`
	config.Pages     `yaml:",inline"`
	config.Influence `yaml:",inline"`
}

// TwitterBatch is how many usernames one users lookup takes (v2 and v1.1).
const TwitterBatch = 100

var twitterUsername = regexp.MustCompile(`^[A-Za-z0-9_]{1,15}$`)

func checkTwitterAccount(s string) error {
	if !twitterUsername.MatchString(strings.TrimPrefix(s, "@")) {
		return errors.New("must be a username of up to 15 letters, digits and _")
	}
	return nil
}

func newTwitter(env Env) (Collector, error) {
	settings := settingsOf[twitterSettings](env)
	if settings.API == "v1.1" {
		return newTwitterV1(env)
	}
	base := env.Channel.APIURL
	if base == "" {
		base = "https://api.x.com"
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+env.Channel.Credentials.Get("bearer_token").Reveal())
	return &twitterV2{env: env, settings: settings, base: base, header: h}, nil
}

// twitterV2 reads public metrics with X API v2 users lookup.
type twitterV2 struct {
	env      Env
	settings *twitterSettings
	base     string
	header   http.Header
}

type twitterUsers struct {
	Data []struct {
		ID            string `json:"id"`
		Username      string `json:"username"`
		PublicMetrics *struct {
			FollowersCount *int64 `json:"followers_count"`
			FollowingCount *int64 `json:"following_count"`
			TweetCount     *int64 `json:"tweet_count"`
			ListedCount    *int64 `json:"listed_count"`
		} `json:"public_metrics"`
	} `json:"data"`
	Errors []struct {
		Value  string `json:"value"`
		Detail string `json:"detail"`
		Title  string `json:"title"`
		Type   string `json:"type"`
	} `json:"errors"`
}

// Collect reads every account; see Collector.
func (x *twitterV2) Collect(ctx context.Context, accounts []string) Result {
	return EachBatch(ctx, accounts, TwitterBatch, x.env.Channel.Concurrency, func(ctx context.Context, batch []string) Result {
		var res Result
		names := make([]string, len(batch))
		for i, a := range batch {
			names[i] = strings.TrimPrefix(a, "@")
		}
		q := url.Values{"usernames": {strings.Join(names, ",")}, "user.fields": {"public_metrics"}}
		var body twitterUsers
		if err := GetJSON(ctx, x.env.Client, joinURL(x.base, "/2/users/by")+"?"+q.Encode(), x.header, &body, classifyTwitter); err != nil {
			res.fail(err, batch...)
			return res
		}
		byName := map[string]int{}
		for i, u := range body.Data {
			byName[strings.ToLower(u.Username)] = i
		}
		problems := map[string]string{}
		for _, e := range body.Errors {
			problems[strings.ToLower(e.Value)] = e.Detail
		}
		for i, account := range batch {
			key := strings.ToLower(names[i])
			j, ok := byName[key]
			if !ok {
				detail := problems[key]
				if detail == "" {
					detail = "users lookup did not return this user"
				}
				res.fail(Fail(NotFound, errors.New(detail)), account)
				continue
			}
			pm := body.Data[j].PublicMetrics
			if pm == nil {
				res.fail(Fail(Decode, errors.New("the answer has no public_metrics")), account)
				continue
			}
			addKnown(&res, account, map[string]*int64{"followers": pm.FollowersCount, "following": pm.FollowingCount, "posts": pm.TweetCount, "listed": pm.ListedCount})
			if x.env.Channel.Engagement {
				if posts, err := x.ownPosts(ctx, body.Data[j].ID); err != nil {
					res.fail(err, account)
				} else {
					res.addEngagement(account, posts, pm.FollowersCount, engagementCounts{shares: true, views: true})
				}
			}
			if x.settings.MinFollowers > 0 {
				if n, err := x.influential(ctx, body.Data[j].ID); err != nil {
					err.Accounts, err.Metric = []string{account}, "influential_followers"
					res.Errors = append(res.Errors, err)
				} else {
					res.add(account, "influential_followers", n)
				}
			}
		}
		return res
	})
}

// addKnown adds the counts an API gave; an absent count is unknown, not 0.
func addKnown(res *Result, account string, counts map[string]*int64) {
	for metric, v := range counts {
		if v != nil {
			res.add(account, metric, float64(*v))
		}
	}
}

// classifyTwitter reads X's problem bodies: 402 credits-depleted is payment,
// a 429 usage-capped is the monthly quota.
func classifyTwitter(se *StatusError) Reason {
	var p struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(se.Body, &p)
	switch {
	case strings.HasSuffix(p.Type, "/credits-depleted"):
		return Payment
	case strings.HasSuffix(p.Type, "/usage-capped"):
		return Quota
	case strings.HasSuffix(p.Type, "/client-forbidden"):
		return Auth
	}
	return ReasonForStatus(se.Code)
}

// twitterTweets is a page of a user's posts with their public metrics.
type twitterTweets struct {
	Data []struct {
		ID            string    `json:"id"`
		CreatedAt     time.Time `json:"created_at"`
		PublicMetrics *struct {
			Retweets    *int64 `json:"retweet_count"`
			Replies     *int64 `json:"reply_count"`
			Likes       *int64 `json:"like_count"`
			Quotes      *int64 `json:"quote_count"`
			Impressions *int64 `json:"impression_count"`
		} `json:"public_metrics"`
	} `json:"data"`
	Meta struct {
		NextToken string `json:"next_token"`
	} `json:"meta"`
}

// ownPosts reads a user's own posts of the window (reposts and replies
// excluded by the query, start_time at the window's start), 100 a page:
// ceil(posts/100) calls, each post a paid read.
func (x *twitterV2) ownPosts(ctx context.Context, id string) ([]OwnPost, *Error) {
	now := x.env.now()
	from := now.AddDate(0, 0, -int(x.settings.PostsWindow))
	return pageBack(x.settings.PostsWindow, x.settings.MaxPages, now, "100 posts", published, func(token string) ([]OwnPost, string, *Error) {
		q := url.Values{"max_results": {"100"}, "tweet.fields": {"public_metrics,created_at"}, "exclude": {"retweets,replies"},
			"start_time": {from.UTC().Format(time.RFC3339)}}
		if token != "" {
			q.Set("pagination_token", token)
		}
		var body twitterTweets
		if err := GetJSON(ctx, x.env.Client, joinURL(x.base, "/2/users/"+url.PathEscape(id)+"/tweets")+"?"+q.Encode(), x.header, &body, classifyTwitter); err != nil {
			return nil, "", Classify(err)
		}
		posts := make([]OwnPost, 0, len(body.Data))
		for _, t := range body.Data {
			if t.PublicMetrics == nil {
				return nil, "", Fail(Decode, fmt.Errorf("post %s came without public_metrics", t.ID))
			}
			pm := t.PublicMetrics
			var shares *int64
			if pm.Retweets != nil && pm.Quotes != nil {
				n := *pm.Retweets + *pm.Quotes
				shares = &n
			}
			posts = append(posts, OwnPost{Published: t.CreatedAt, Likes: pm.Likes, Replies: pm.Replies, Shares: shares, Views: pm.Impressions})
		}
		return posts, body.Meta.NextToken, nil
	})
}
