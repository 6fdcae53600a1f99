package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
)

func init() {
	register("bluesky", Spec{
		TypeSpec: config.TypeSpec{
			Metrics: append([]string{"followers", "following", "posts", "influential_followers"}, blueskyEngagement...),
			Options: []string{"concurrency", "quota"},
			// A follower page is 100 users plus four getProfiles calls: fifty
			// pages (5,000 followers) a day by default.
			Settings: &blueskySettings{
				Posts: config.Posts{PostsWindow: 30},
				Pages: config.Pages{MaxPages: 50},
			},
			LevelMetrics: blueskyEngagement,
			// getAuthorFeed pages back through every post; a year is what a
			// run should read.
			MaxPostsWindow:     365,
			DefaultSchedule:    "@every 1h",
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 4, // the AppView's limits are generous
			Batch:              BlueskyBatch,
			InfluenceMetric:    "influential_followers",
			InfluenceSchedule:  "@daily",
		},
		Ratios: engagementRatios,
		New:    newBluesky,
	})
}

// blueskyEngagement are the engagement metrics Bluesky gives: shares are
// reposts and quotes; there are no views.
var blueskyEngagement = engagementMetrics(true, false)

// blueskySettings are a bluesky channel's own keys.
type blueskySettings struct {
	config.Posts     `yaml:",inline"`
	config.Pages     `yaml:",inline"`
	config.Influence `yaml:",inline"`
}

// BlueskyBatch is how many actors one getProfiles call takes.
const BlueskyBatch = 25

// bluesky reads public profiles from the AppView; no credentials needed.
type bluesky struct {
	env      Env
	settings *blueskySettings
	base     string
}

func newBluesky(env Env) (Collector, error) {
	base := env.Channel.APIURL
	if base == "" {
		base = "https://public.api.bsky.app"
	}
	return &bluesky{env: env, settings: settingsOf[blueskySettings](env), base: base}, nil
}

type blueskyProfiles struct {
	Profiles []struct {
		DID            string `json:"did"`
		Handle         string `json:"handle"`
		FollowersCount *int64 `json:"followersCount"`
		FollowsCount   *int64 `json:"followsCount"`
		PostsCount     *int64 `json:"postsCount"`
	} `json:"profiles"`
}

// Collect reads every account; see Collector.
func (b *bluesky) Collect(ctx context.Context, accounts []string) Result {
	return EachBatch(ctx, accounts, BlueskyBatch, b.env.Channel.Concurrency, func(ctx context.Context, batch []string) Result {
		var res Result
		q := url.Values{"actors": batch}
		var body blueskyProfiles
		err := GetJSON(ctx, b.env.Client, joinURL(b.base, "/xrpc/app.bsky.actor.getProfiles")+"?"+q.Encode(), nil, &body, classifyBluesky)
		if err != nil {
			res.fail(err, batch...)
			return res
		}
		// Unknown actors are left out of the answer: match by DID or handle.
		byKey := map[string]int{}
		for i, p := range body.Profiles {
			byKey[p.DID] = i
			byKey[strings.ToLower(p.Handle)] = i
		}
		for _, actor := range batch {
			key := strings.ToLower(strings.TrimPrefix(actor, "@"))
			if strings.HasPrefix(actor, "did:") {
				key = actor
			}
			i, ok := byKey[key]
			if !ok {
				res.fail(Fail(NotFound, errors.New("getProfiles did not return this actor")), actor)
				continue
			}
			p := body.Profiles[i]
			// The counts are optional in the lexicon: an absent one is unknown.
			addKnown(&res, actor, map[string]*int64{"followers": p.FollowersCount, "following": p.FollowsCount, "posts": p.PostsCount})
			if b.env.Channel.Engagement {
				if posts, err := b.ownPosts(ctx, p.DID); err != nil {
					res.fail(err, actor)
				} else {
					res.addEngagement(actor, posts, p.FollowersCount, engagementCounts{shares: true})
				}
			}
			if b.settings.MinFollowers > 0 {
				if n, err := b.influential(ctx, p.DID); err != nil {
					err.Accounts, err.Metric = []string{actor}, "influential_followers"
					res.Errors = append(res.Errors, err)
				} else {
					res.add(actor, "influential_followers", n)
				}
			}
		}
		return res
	})
}

func classifyBluesky(se *StatusError) Reason {
	var body struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(se.Body, &body)
	switch {
	case body.Error == "RateLimitExceeded":
		return RateLimited
	case body.Error == "AccountTakedown", strings.Contains(body.Message, "not found"):
		return NotFound
	case se.Code == http.StatusBadRequest:
		return Server
	}
	return ReasonForStatus(se.Code)
}

// blueskyFeed is a page of getAuthorFeed.
type blueskyFeed struct {
	Feed []struct {
		Post struct {
			Author struct {
				DID string `json:"did"`
			} `json:"author"`
			LikeCount   *int64    `json:"likeCount"`
			ReplyCount  *int64    `json:"replyCount"`
			RepostCount *int64    `json:"repostCount"`
			QuoteCount  *int64    `json:"quoteCount"`
			IndexedAt   time.Time `json:"indexedAt"`
		} `json:"post"`
		Reason json.RawMessage `json:"reason"`
	} `json:"feed"`
	Cursor string `json:"cursor"`
}

// ownPosts reads an actor's own posts of the window with getAuthorFeed,
// newest first, 100 a page, until a post older than the window: reposts of
// others and pinned posts (items with a reason) and replies are left out.
// The window is on indexedAt, which the AppView sets (createdAt is the
// client's and can be back-dated). More pages than max_pages is a quota
// error, never a partial sum.
func (b *bluesky) ownPosts(ctx context.Context, did string) ([]OwnPost, *Error) {
	return pageBack(b.settings.PostsWindow, b.settings.MaxPages, b.env.now(), "getAuthorFeed", published, func(cursor string) ([]OwnPost, string, *Error) {
		q := url.Values{"actor": {did}, "limit": {"100"}, "filter": {"posts_no_replies"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var body blueskyFeed
		if err := GetJSON(ctx, b.env.Client, joinURL(b.base, "/xrpc/app.bsky.feed.getAuthorFeed")+"?"+q.Encode(), nil, &body, classifyBluesky); err != nil {
			return nil, "", Classify(err)
		}
		var posts []OwnPost
		for _, item := range body.Feed {
			p := item.Post
			if len(item.Reason) > 0 || p.Author.DID != did {
				continue
			}
			var shares *int64
			if p.RepostCount != nil && p.QuoteCount != nil {
				n := *p.RepostCount + *p.QuoteCount
				shares = &n
			}
			posts = append(posts, OwnPost{Published: p.IndexedAt, Likes: p.LikeCount, Replies: p.ReplyCount, Shares: shares})
		}
		if len(body.Feed) == 0 {
			return posts, "", nil
		}
		return posts, body.Cursor, nil
	})
}
