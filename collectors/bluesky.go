package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/kpi-collector/kpi-collector/config"
	"net/http"
	"net/url"
	"strings"
	"time"
)

func init() {
	register("bluesky", Spec{
		TypeSpec: config.TypeSpec{
			Metrics:            []string{"followers", "following", "posts", "influential_followers"},
			Options:            []string{"concurrency", "quota", "min_followers", "max_pages"},
			DefaultSchedule:    "@every 1h",
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 4, // the AppView's limits are generous
			Batch:              BlueskyBatch,
			// A follower page is 100 users plus four getProfiles calls: fifty
			// pages (5,000 followers) a day by default.
			InfluenceMetric:   "influential_followers",
			InfluenceSchedule: "@daily",
			DefaultMaxPages:   50,
		},
		New: newBluesky,
	})
}

// BlueskyBatch is how many actors one getProfiles call takes.
const BlueskyBatch = 25

// bluesky reads public profiles from the AppView; no credentials needed.
type bluesky struct {
	env  Env
	base string
}

func newBluesky(env Env) (Collector, error) {
	base := env.Channel.APIURL
	if base == "" {
		base = "https://public.api.bsky.app"
	}
	return &bluesky{env: env, base: base}, nil
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
			if b.env.Channel.MinFollowers > 0 {
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
