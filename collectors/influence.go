package collectors

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
)

// Influential followers: the number of an account's followers who have at
// least min_followers followers of their own, so that a plan can aim at "50
// influential followers" rather than "500 followers". Follower lists are read
// page by page, up to max_pages a run; a list longer than that gives no
// reading at all (a partial count would be a false number) and a quota
// error that says to raise max_pages.

// errTooManyPages is the error of a follower list longer than the cap.
func errTooManyPages(maxPages int) *Error {
	return Fail(Quota, fmt.Errorf("the follower list is longer than max_pages (%d) pages; raise max_pages to count it whole", maxPages))
}

// countPages reads a follower list page by page: page is given the cursor
// of the page to read ("" for the first) and returns how many of its
// followers count and the next cursor ("" after the last page). More than
// maxPages pages give no count at all.
func countPages(maxPages int, page func(cursor string) (int, string, error)) (float64, *Error) {
	n, cursor := 0, ""
	for range maxPages {
		counted, next, err := page(cursor)
		if err != nil {
			return 0, Classify(err)
		}
		n += counted
		if cursor = next; cursor == "" {
			return float64(n), nil
		}
	}
	return 0, errTooManyPages(maxPages)
}

// twitterFollowers is a page of GET /2/users/:id/followers.
type twitterFollowers struct {
	Data []struct {
		ID            string `json:"id"`
		PublicMetrics *struct {
			FollowersCount *int64 `json:"followers_count"`
		} `json:"public_metrics"`
	} `json:"data"`
	Meta struct {
		ResultCount int    `json:"result_count"`
		NextToken   string `json:"next_token"`
	} `json:"meta"`
}

// influential counts an X user's followers with at least min followers.
func (x *twitterV2) influential(ctx context.Context, id string) (float64, *Error) {
	s := x.settings
	return countPages(s.MaxPages, func(token string) (int, string, error) {
		q := url.Values{"user.fields": {"public_metrics"}, "max_results": {"1000"}}
		if token != "" {
			q.Set("pagination_token", token)
		}
		var body twitterFollowers
		if err := GetJSON(ctx, x.env.Client, joinURL(x.base, "/2/users/"+url.PathEscape(id)+"/followers")+"?"+q.Encode(), x.header, &body, classifyTwitter); err != nil {
			return 0, "", err
		}
		n := 0
		for _, f := range body.Data {
			// user.fields=public_metrics was asked for: a follower without
			// it has an unknown count, which makes the whole count unknown.
			if f.PublicMetrics == nil || f.PublicMetrics.FollowersCount == nil {
				return 0, "", Fail(Decode, fmt.Errorf("follower %s came without public_metrics.followers_count, so the count of influential followers is unknown", f.ID))
			}
			if *f.PublicMetrics.FollowersCount >= int64(s.MinFollowers) {
				n++
			}
		}
		return n, body.Meta.NextToken, nil
	})
}

// blueskyFollowers is a page of app.bsky.graph.getFollowers.
type blueskyFollowers struct {
	Followers []struct {
		DID string `json:"did"`
	} `json:"followers"`
	Cursor string `json:"cursor"`
}

// influential counts a Bluesky actor's followers with at least min
// followers: getFollowers gives the followers, getProfiles their counts.
func (b *bluesky) influential(ctx context.Context, actor string) (float64, *Error) {
	s := b.settings
	return countPages(s.MaxPages, func(cursor string) (int, string, error) {
		q := url.Values{"actor": {actor}, "limit": {strconv.Itoa(100)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var body blueskyFollowers
		if err := GetJSON(ctx, b.env.Client, joinURL(b.base, "/xrpc/app.bsky.graph.getFollowers")+"?"+q.Encode(), nil, &body, classifyBluesky); err != nil {
			return 0, "", err
		}
		dids := make([]string, 0, len(body.Followers))
		for _, f := range body.Followers {
			dids = append(dids, f.DID)
		}
		n := 0
		for _, batch := range Batches(dids, BlueskyBatch) {
			var profiles blueskyProfiles
			if err := GetJSON(ctx, b.env.Client, joinURL(b.base, "/xrpc/app.bsky.actor.getProfiles")+"?"+url.Values{"actors": batch}.Encode(), nil, &profiles, classifyBluesky); err != nil {
				return 0, "", err
			}
			for _, p := range profiles.Profiles {
				if p.FollowersCount == nil {
					return 0, "", Fail(Decode, fmt.Errorf("follower %s has no followersCount, so the count of influential followers is unknown", p.DID))
				}
				if *p.FollowersCount >= int64(s.MinFollowers) {
					n++
				}
			}
		}
		return n, body.Cursor, nil
	})
}
