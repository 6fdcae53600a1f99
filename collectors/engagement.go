package collectors

import (
	"fmt"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
)

// Engagement is what an account's own recent posts got: read over the
// channel's posts_window (replies to others and reposts of others left out)
// by the types whose APIs list posts with their counts. The metrics are the
// same on every type where the API has them.

// The engagement metrics. engagements_in_window is likes + replies + shares
// (of the counts the type has); engagement_per_post divides it by the posts;
// engagement_rate divides that by the followers (the usual industry
// definition: the share of the audience that engages with a post).
const (
	PostsInWindow       = "posts_in_window"
	LikesInWindow       = "likes_in_window"
	RepliesInWindow     = "replies_in_window"
	SharesInWindow      = "shares_in_window"
	ViewsInWindow       = "views_in_window"
	EngagementsInWindow = "engagements_in_window"
	EngagementPerPost   = "engagement_per_post"
	EngagementRate      = "engagement_rate"
	// LikesHiddenPosts and RepliesHiddenPosts count the posts in the window
	// whose count the API hides (likes hidden, comments off): their sums
	// leave those posts out.
	LikesHiddenPosts   = "likes_hidden_posts"
	RepliesHiddenPosts = "replies_hidden_posts"
)

// engagementMetrics are the metrics of a type with the given counts. Every
// type that lists posts may meet one without a count (hidden by its owner,
// or left out), so every one has the hidden-posts counts.
func engagementMetrics(shares, views bool) []string {
	out := []string{PostsInWindow, LikesInWindow, RepliesInWindow, EngagementsInWindow, EngagementPerPost, EngagementRate, LikesHiddenPosts, RepliesHiddenPosts}
	if shares {
		out = append(out, SharesInWindow)
	}
	if views {
		out = append(out, ViewsInWindow)
	}
	return out
}

// engagementRatios are the engagement metrics that are not counts.
var engagementRatios = []string{EngagementPerPost, EngagementRate}

// OwnPost is one of an account's own posts in the window and its public
// counts; nil is a count the API hides or leaves out (unknown, not 0).
type OwnPost struct {
	Published                     time.Time
	Likes, Replies, Shares, Views *int64
}

// engagementCounts says which counts a type's API gives.
type engagementCounts struct{ shares, views bool }

// addEngagement adds the engagement readings of an account's posts in the
// window. followers, where known, gives the rate. A count hidden on some
// posts is summed over the others, and the posts hiding it are counted; a
// count hidden on every post has no reading, and then neither have the
// engagements, which would be short of it. A window without posts is 0
// posts and no per-post figure.
func (r *Result) addEngagement(account string, posts []OwnPost, followers *int64, has engagementCounts) {
	r.add(account, PostsInWindow, float64(len(posts)))
	sum := func(metric string, get func(OwnPost) *int64) (total float64, hidden int, known bool) {
		for _, p := range posts {
			if v := get(p); v != nil {
				total += float64(*v)
				known = true
			} else {
				hidden++
			}
		}
		if len(posts) > 0 && !known {
			r.hide(account, metric, fmt.Sprintf("hidden on all %d posts in the window", len(posts)))
		}
		return total, hidden, known || len(posts) == 0
	}
	likes, likesHidden, likesKnown := sum(LikesInWindow, func(p OwnPost) *int64 { return p.Likes })
	replies, repliesHidden, repliesKnown := sum(RepliesInWindow, func(p OwnPost) *int64 { return p.Replies })
	engagements, complete := 0.0, likesKnown && repliesKnown
	if likesKnown {
		r.add(account, LikesInWindow, likes)
		engagements += likes
	}
	if repliesKnown {
		r.add(account, RepliesInWindow, replies)
		engagements += replies
	}
	if has.shares {
		shares, _, sharesKnown := sum(SharesInWindow, func(p OwnPost) *int64 { return p.Shares })
		if sharesKnown {
			r.add(account, SharesInWindow, shares)
			engagements += shares
		}
		complete = complete && sharesKnown
	}
	if has.views {
		if views, _, viewsKnown := sum(ViewsInWindow, func(p OwnPost) *int64 { return p.Views }); viewsKnown {
			r.add(account, ViewsInWindow, views)
		}
	}
	if likesHidden > 0 || repliesHidden > 0 {
		r.add(account, LikesHiddenPosts, float64(likesHidden))
		r.add(account, RepliesHiddenPosts, float64(repliesHidden))
	}
	if !complete {
		return
	}
	r.add(account, EngagementsInWindow, engagements)
	if len(posts) == 0 {
		return
	}
	perPost := engagements / float64(len(posts))
	r.add(account, EngagementPerPost, perPost)
	if followers != nil && *followers > 0 {
		r.add(account, EngagementRate, perPost/float64(*followers))
	}
}

// errTooManyPostPages is the error of a window whose posts take more pages
// than max_pages: no engagement at all, as a partial sum would be false.
func errTooManyPostPages(window config.Days, maxPages int, pages string) *Error {
	return Fail(Quota, fmt.Errorf("the posts of the last %s take more than max_pages (%d) pages of %s; raise max_pages or shorten posts_window", window, maxPages, pages))
}

// pageBack reads an account's posts page by page, newest first, until a
// page holds one older than the window or there is no next page, and keeps
// those within the window (the channel's posts_window). read is given the cursor of the page to read (""
// for the first) and returns the page's posts, filtered as the API needs,
// and the next page's cursor ("" for none). More pages than the channel's
// max_pages is a quota error (pages says what a page is), never a partial
// sum.
func pageBack[T any](window config.Days, maxPages int, now time.Time, pages string, published func(T) time.Time, read func(cursor string) ([]T, string, *Error)) ([]T, *Error) {
	var kept []T
	cursor := ""
	for page := 0; ; page++ {
		if page >= maxPages {
			return nil, errTooManyPostPages(window, maxPages, pages)
		}
		items, next, err := read(cursor)
		if err != nil {
			return nil, err
		}
		older := false
		for _, it := range items {
			at := published(it)
			if !inWindow(at, now, int(window)) {
				older = older || at.Before(now)
				continue
			}
			kept = append(kept, it)
		}
		if older || next == "" {
			return kept, nil
		}
		cursor = next
	}
}

// published is an OwnPost's time, for pageBack.
func published(p OwnPost) time.Time { return p.Published }

// inWindow reports whether t is within the window of days before now.
func inWindow(t, now time.Time, days int) bool {
	return !t.Before(now.AddDate(0, 0, -days)) && !t.After(now)
}
