package fakeapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The Bluesky endpoints faked.
const (
	Bluesky          API = "bluesky"           // app.bsky.actor.getProfiles
	BlueskyFollowers API = "bluesky_followers" // app.bsky.graph.getFollowers
	BlueskyFeed      API = "bluesky_feed"      // app.bsky.feed.getAuthorFeed
)

func init() {
	register(Fake{
		Type: "bluesky",
		Routes: []Route{
			{API: Bluesky, Serve: (*Server).bluesky, Match: func(r *http.Request) bool { return r.URL.Path == "/xrpc/app.bsky.actor.getProfiles" }},
			{API: BlueskyFollowers, Serve: (*Server).blueskyFollowers, Match: func(r *http.Request) bool { return r.URL.Path == "/xrpc/app.bsky.graph.getFollowers" }},
			{API: BlueskyFeed, Serve: (*Server).blueskyFeed, Match: func(r *http.Request) bool { return r.URL.Path == "/xrpc/app.bsky.feed.getAuthorFeed" }},
		},
		Channels: map[string]string{"bluesky": `type: bluesky
api_url: {{URL}}
accounts: [bsky.app]
rivals: [gen20000000.bsky.social]`},
		KPIs: map[string]string{
			"bsky":            `{channel: bluesky, metric: followers, milestones: [{due: 2026-12-31, target: 40000000}]}`,
			"bsky_engagement": `{channel: bluesky, metric: engagement_per_post, milestones: [{due: 2026-12-31, target: 150}]}`,
			"bsky_share":      `{channel: bluesky, metric: followers, versus: rivals, compare: share, milestones: [{due: 2026-12-31, target: 0.7}]}`,
		},
		// The rival in the same getProfiles call; getAuthorFeed: two pages
		// for bsky.app, one for the rival.
		Calls:     map[API]int{Bluesky: 1, BlueskyFeed: 3},
		Fail:      map[API]string{Bluesky: "rate"},
		FailPosts: map[API]string{BlueskyFeed: "rate"},
	})
}

// bluesky answers getProfiles: unknown actors are silently left out; gen<N>
// handles have N followers, 1 follow and 2 posts.
func (s *Server) bluesky(w http.ResponseWriter, r *http.Request, mode string) {
	actors := r.URL.Query()["actors"]
	switch {
	case mode == "rate":
		blueskyThrottled(w)
		return
	case mode == "invalid" || len(actors) > 25:
		reply(w, http.StatusBadRequest, File("bluesky/invalid_request.json"))
		return
	}
	var page struct {
		Profiles []map[string]any `json:"profiles"`
	}
	recorded("bluesky/profiles.json", &page)
	var out []map[string]any
	for _, a := range actors {
		for _, p := range page.Profiles {
			if strings.EqualFold(p["handle"].(string), a) || p["did"] == a {
				out = append(out, p)
			}
		}
		if a == "did:plc:nocount" {
			// The lexicon makes the counts optional.
			out = append(out, map[string]any{"did": a, "handle": "nocount.bsky.social"})
		}
		if n, ok := generated(strings.TrimPrefix(a, "did:plc:"), "grow"); ok {
			handle := strings.TrimPrefix(a, "did:plc:")
			out = append(out, map[string]any{"did": "did:plc:" + handle, "handle": handle + ".bsky.social", "followersCount": s.growing(Bluesky, a, "followers", n), "followsCount": 1, "postsCount": 2})
		}
		if n, ok := generated(strings.TrimPrefix(a, "did:plc:"), "gen"); ok {
			handle := strings.TrimPrefix(a, "did:plc:")
			out = append(out, map[string]any{"did": "did:plc:" + handle, "handle": handle, "followersCount": n, "followsCount": 1, "postsCount": 2})
		}
	}
	replyJSON(w, map[string]any{"profiles": out})
}

// BlueskyFollowersOfBsky is how many followers the fake gives bsky.app:
// gen0 … gen249.bsky.social, follower i having i followers.
const BlueskyFollowersOfBsky = 250

// blueskyFollowers answers getFollowers, 100 (or limit) a page with a cursor,
// as the lexicon documents; only bsky.app has followers here.
func (s *Server) blueskyFollowers(w http.ResponseWriter, r *http.Request, mode string) {
	if mode == "rate" {
		blueskyThrottled(w)
		return
	}
	q := r.URL.Query()
	actor := q.Get("actor")
	if actor != "bsky.app" && actor != "did:plc:z72i7hdynmk6r22z27h6tvur" {
		reply(w, http.StatusBadRequest, []byte(`{"error":"InvalidRequest","message":"Profile not found"}`))
		return
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	from, _ := strconv.Atoi(strings.TrimPrefix(q.Get("cursor"), "c"))
	var followers []map[string]any
	for i := from; i < min(from+limit, BlueskyFollowersOfBsky); i++ {
		h := fmt.Sprintf("gen%d.bsky.social", i)
		followers = append(followers, map[string]any{"did": "did:plc:" + h, "handle": h, "displayName": h})
	}
	if mode == "no_counts" && from == 0 {
		followers = append(followers, map[string]any{"did": "did:plc:nocount", "handle": "nocount.bsky.social"})
	}
	body := map[string]any{"subject": map[string]any{"did": "did:plc:z72i7hdynmk6r22z27h6tvur", "handle": "bsky.app"}, "followers": followers}
	if from+limit < BlueskyFollowersOfBsky {
		body["cursor"] = fmt.Sprintf("c%d", from+limit)
	}
	replyJSON(w, body)
}

// blueskyFeed answers getAuthorFeed: bsky.app's recorded pages (a repost of
// someone else's among its posts, the second page reaching back past
// July), an empty feed for gen<N> actors, and the lexicon's 400 for any
// other. Modes: rate (429).
func (s *Server) blueskyFeed(w http.ResponseWriter, r *http.Request, mode string) {
	if mode == "rate" {
		blueskyThrottled(w)
		return
	}
	q := r.URL.Query()
	actor := q.Get("actor")
	switch {
	case q.Get("filter") != "posts_no_replies" || q.Get("limit") != "100":
		reply(w, http.StatusBadRequest, []byte(`{"error":"InvalidRequest","message":"filter and limit are not what the collector sends"}`))
	case actor == "did:plc:z72i7hdynmk6r22z27h6tvur" && q.Get("cursor") == "":
		reply(w, http.StatusOK, File("bluesky/author_feed_p1.json"))
	case actor == "did:plc:z72i7hdynmk6r22z27h6tvur" && q.Get("cursor") == "2026-08-25T12:30:01.002Z":
		reply(w, http.StatusOK, File("bluesky/author_feed_p2.json"))
	case actor == "did:plc:z72i7hdynmk6r22z27h6tvur":
		replyJSON(w, map[string]any{"feed": []any{}}) // a cursor it does not know: an empty feed, not an error
	case strings.HasPrefix(actor, "did:plc:gen"):
		replyJSON(w, map[string]any{"feed": []any{}})
	default:
		reply(w, http.StatusBadRequest, File("bluesky/invalid_request.json"))
	}
}

// blueskyThrottled answers as the AppView does once an IP used its budget:
// 429 RateLimitExceeded with the RateLimit-* headers.
func blueskyThrottled(w http.ResponseWriter) {
	reply(w, http.StatusTooManyRequests, File("bluesky/rate_limited.json"),
		"RateLimit-Limit", "3000", "RateLimit-Remaining", "0", "RateLimit-Reset", "1767225600", "RateLimit-Policy", "3000;w=300")
}
