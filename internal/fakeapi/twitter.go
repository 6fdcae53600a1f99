package fakeapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// XBearer is the bearer token the fake accepts (v2 and v1.1).
const XBearer = "AAAAAAAAAAAAAAAAAAAAAFAKE-x-bearer"

// The X endpoints faked.
const (
	X          API = "twitter"           // v2 users lookup
	XV1        API = "twitter_v1"        // v1.1 users/lookup
	XFollowers API = "twitter_followers" // v2 followers, for influential followers
	XTweets    API = "twitter_tweets"    // v2 a user's posts, for engagement
)

func init() {
	register(Fake{
		Type: "twitter",
		Routes: []Route{
			{API: X, Serve: (*Server).x, Match: func(r *http.Request) bool { return r.URL.Path == "/2/users/by" }},
			{API: XV1, Serve: (*Server).xV1, Match: func(r *http.Request) bool { return r.URL.Path == "/1.1/users/lookup.json" }},
			{API: XTweets, Serve: (*Server).xTweets, Match: func(r *http.Request) bool {
				return strings.HasPrefix(r.URL.Path, "/2/users/") && strings.HasSuffix(r.URL.Path, "/tweets")
			}},
			{API: XFollowers, Serve: (*Server).xFollowers, Match: func(r *http.Request) bool {
				return strings.HasPrefix(r.URL.Path, "/2/users/") && strings.HasSuffix(r.URL.Path, "/followers")
			}},
		},
		Channels: map[string]string{
			"x": `type: twitter
api_url: {{URL}}
credentials: {bearer_token: ` + XBearer + `}
accounts: [XDevelopers, gen42]
rivals: [gen700000]`,
			"x_legacy": `type: twitter
api: v1.1
api_url: {{URL}}
credentials: {bearer_token: ` + XBearer + `}
accounts: [XDevelopers]`,
		},
		KPIs: map[string]string{
			"x":        `{channel: x, account: XDevelopers, metric: followers, milestones: [{due: 2026-12-31, target: 700000}]}`,
			"x_views":  `{channel: x, account: XDevelopers, metric: views_in_window, milestones: [{due: 2026-12-31, target: 150000}]}`,
			"x_legacy": `{channel: x_legacy, metric: followers, milestones: [{due: 2026-12-31, target: 700000}]}`,
		},
		// The rival in the same users lookup; posts: two pages for
		// XDevelopers, one (empty) for gen42 and for the rival.
		Calls:     map[API]int{X: 1, XV1: 1, XTweets: 4},
		Fail:      map[API]string{X: "credits", XV1: "453"},
		FailPosts: map[API]string{XTweets: "credits"},
	})
}

// x answers /2/users/by: found users in data, the others in errors (a 200
// with both). gen<N> users have N followers, 2 following, 3 posts, 4 lists.
func (s *Server) x(w http.ResponseWriter, r *http.Request, mode string) {
	if r.Header.Get("Authorization") != "Bearer "+XBearer {
		reply(w, http.StatusUnauthorized, File("twitter/unauthorized.json"), "Content-Type", "application/problem+json")
		return
	}
	switch mode {
	case "credits":
		reply(w, http.StatusPaymentRequired, File("twitter/credits_depleted.json"), "Content-Type", "application/problem+json")
		return
	case "rate":
		reply(w, http.StatusTooManyRequests, File("twitter/rate_limited.json"),
			"x-rate-limit-limit", "300", "x-rate-limit-remaining", "0", "x-rate-limit-reset", "1767225600")
		return
	case "forbidden":
		reply(w, http.StatusForbidden, File("twitter/client_forbidden.json"))
		return
	}
	if r.URL.Query().Get("user.fields") != "public_metrics" {
		reply(w, http.StatusBadRequest, []byte(`{"title":"Invalid Request","detail":"user.fields must name public_metrics in this fake","type":"https://api.twitter.com/2/problems/invalid-request"}`))
		return
	}
	var page struct {
		Data []map[string]any `json:"data"`
	}
	recorded("twitter/users_partial.json", &page)
	names := strings.Split(r.URL.Query().Get("usernames"), ",")
	if len(names) > 100 {
		reply(w, http.StatusBadRequest, []byte(`{"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}`))
		return
	}
	var data, errs []any
	for _, n := range names {
		found := false
		for _, u := range page.Data {
			if strings.EqualFold(u["username"].(string), n) {
				data, found = append(data, u), true
			}
		}
		if g, ok := generated(n, "gen"); ok {
			data, found = append(data, map[string]any{"id": fmt.Sprint(1000 + g), "name": n, "username": n,
				"public_metrics": map[string]int{"followers_count": g, "following_count": 2, "tweet_count": 3, "listed_count": 4}}), true
		}
		if !found {
			errs = append(errs, map[string]any{"value": n, "detail": fmt.Sprintf("Could not find user with usernames: [%s].", n),
				"title": "Not Found Error", "resource_type": "user", "parameter": "usernames", "resource_id": n,
				"type": "https://api.twitter.com/2/problems/resource-not-found"})
		}
	}
	body := map[string]any{}
	if data != nil {
		body["data"] = data
	}
	if errs != nil {
		body["errors"] = errs
	}
	replyJSON(w, body)
}

// xV1 answers /1.1/users/lookup.json as v1.1 did, errors as {"errors":[{code}]}.
func (s *Server) xV1(w http.ResponseWriter, r *http.Request, mode string) {
	if r.Header.Get("Authorization") != "Bearer "+XBearer {
		reply(w, http.StatusUnauthorized, []byte(`{"errors":[{"code":89,"message":"Invalid or expired token."}]}`))
		return
	}
	switch mode {
	case "453":
		reply(w, http.StatusForbidden, File("twitter_v1/access_level.json"))
	case "rate":
		reply(w, http.StatusTooManyRequests, File("twitter_v1/rate_limited.json"), "x-rate-limit-remaining", "0", "x-rate-limit-reset", "1767225600")
	case "none":
		reply(w, http.StatusNotFound, File("twitter_v1/no_user_matches.json"))
	default:
		reply(w, http.StatusOK, File("twitter_v1/lookup.json"))
	}
}

// XFollowersOfXDevelopers is how many followers the fake gives XDevelopers
// (id 2244994945): follower i has i followers of its own.
const XFollowersOfXDevelopers = 2500

// xFollowers answers GET /2/users/:id/followers, max_results (≤ 1000) a page
// with meta.next_token, as the docs show.
func (s *Server) xFollowers(w http.ResponseWriter, r *http.Request, mode string) {
	if r.Header.Get("Authorization") != "Bearer "+XBearer {
		reply(w, http.StatusUnauthorized, File("twitter/unauthorized.json"), "Content-Type", "application/problem+json")
		return
	}
	if mode == "rate" || mode == "credits" {
		s.x(w, r, mode)
		return
	}
	total := 0
	if strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/2/users/"), "/followers") == "2244994945" {
		total = XFollowersOfXDevelopers
	}
	q := r.URL.Query()
	size, _ := strconv.Atoi(q.Get("max_results"))
	if size <= 0 || size > 1000 {
		size = 100
	}
	from, _ := strconv.Atoi(strings.TrimPrefix(q.Get("pagination_token"), "page"))
	var data []map[string]any
	for i := from; i < min(from+size, total); i++ {
		f := map[string]any{"id": fmt.Sprint(5000000 + i), "name": fmt.Sprintf("Follower %d", i), "username": fmt.Sprintf("follower%d", i),
			"public_metrics": map[string]int{"followers_count": i, "following_count": 10, "tweet_count": 5, "listed_count": 0}}
		if mode == "no_metrics" && i == 1234 {
			delete(f, "public_metrics") // a follower whose metrics the API left out
		}
		data = append(data, f)
	}
	meta := map[string]any{"result_count": len(data)}
	if from+size < total {
		meta["next_token"] = fmt.Sprintf("page%d", from+size)
	}
	body := map[string]any{"meta": meta}
	if data != nil {
		body["data"] = data
	}
	replyJSON(w, body)
}

// xTweets answers /2/users/:id/tweets for XDevelopers (id 2244994945): two
// recorded pages joined by meta.next_token; a made-up user (id 1000+N) has
// posted nothing in the window ({"meta":{"result_count":0}}). Modes:
// credits (402), rate (429).
func (s *Server) xTweets(w http.ResponseWriter, r *http.Request, mode string) {
	if r.Header.Get("Authorization") != "Bearer "+XBearer {
		reply(w, http.StatusUnauthorized, File("twitter/unauthorized.json"), "Content-Type", "application/problem+json")
		return
	}
	q := r.URL.Query()
	id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/2/users/"), "/tweets")
	switch {
	case mode == "credits":
		reply(w, http.StatusPaymentRequired, File("twitter/credits_depleted.json"), "Content-Type", "application/problem+json")
	case mode == "rate":
		reply(w, http.StatusTooManyRequests, File("twitter/rate_limited.json"), "x-rate-limit-limit", "1500", "x-rate-limit-remaining", "0", "x-rate-limit-reset", "1767225600")
	case q.Get("exclude") != "retweets,replies" || q.Get("max_results") != "100" || q.Get("start_time") == "" || !strings.Contains(q.Get("tweet.fields"), "public_metrics"):
		reply(w, http.StatusBadRequest, []byte(`{"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}`), "Content-Type", "application/problem+json")
	case id == "2244994945" && q.Get("pagination_token") == "":
		reply(w, http.StatusOK, File("twitter/user_tweets_p1.json"))
	case id == "2244994945" && q.Get("pagination_token") == "7140dibdnow9c7btw4232poeq0wapgnwgwqwvuwn3peex":
		reply(w, http.StatusOK, File("twitter/user_tweets_p2.json"))
	default:
		reply(w, http.StatusOK, []byte(`{"meta":{"result_count":0}}`))
	}
}
