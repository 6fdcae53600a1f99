package collectors

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

// engagementOf keeps a result's engagement readings, by metric.
func engagementOf(res Result, account string) map[string]float64 {
	out := map[string]float64{}
	for _, r := range res.Readings {
		if r.Account == account && slices.Contains(engagementMetrics(true, true), r.Metric) {
			out[r.Metric] = r.Value
		}
	}
	return out
}

// The arithmetic every type shares, as a marketer would check it by hand.
func TestEngagementArithmetic(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	followers := n(2000)
	tests := []struct {
		name       string
		posts      []OwnPost
		followers  *int64
		has        engagementCounts
		want       map[string]float64
		wantHidden []string
	}{
		{
			name:      "three posts: 60 likes, 9 replies, 6 shares make 25 engagements a post, 1.25% of 2,000 followers",
			posts:     []OwnPost{{Likes: n(30), Replies: n(4), Shares: n(2)}, {Likes: n(20), Replies: n(3), Shares: n(3)}, {Likes: n(10), Replies: n(2), Shares: n(1)}},
			followers: followers, has: engagementCounts{shares: true},
			want: map[string]float64{PostsInWindow: 3, LikesInWindow: 60, RepliesInWindow: 9, SharesInWindow: 6, EngagementsInWindow: 75, EngagementPerPost: 25, EngagementRate: 25.0 / 2000},
		},
		{
			name:      "likes hidden on one post: summed over the others, and the post counted",
			posts:     []OwnPost{{Likes: n(30), Replies: n(4), Views: n(900)}, {Likes: nil, Replies: n(3), Views: n(500)}},
			followers: followers, has: engagementCounts{views: true},
			want: map[string]float64{PostsInWindow: 2, LikesInWindow: 30, RepliesInWindow: 7, ViewsInWindow: 1400, EngagementsInWindow: 37, EngagementPerPost: 18.5, EngagementRate: 18.5 / 2000, LikesHiddenPosts: 1, RepliesHiddenPosts: 0},
		},
		{
			name:       "likes hidden on every post: no likes, no engagements",
			posts:      []OwnPost{{Replies: n(4)}, {Replies: n(3)}},
			followers:  followers,
			want:       map[string]float64{PostsInWindow: 2, RepliesInWindow: 7, LikesHiddenPosts: 2, RepliesHiddenPosts: 0},
			wantHidden: []string{LikesInWindow},
		},
		{
			name: "no posts in the window: 0 posts and engagements, no per-post figure",
			has:  engagementCounts{shares: true}, followers: followers,
			want: map[string]float64{PostsInWindow: 0, LikesInWindow: 0, RepliesInWindow: 0, SharesInWindow: 0, EngagementsInWindow: 0},
		},
		{
			name:  "followers unknown: no rate",
			posts: []OwnPost{{Likes: n(3), Replies: n(1)}},
			want:  map[string]float64{PostsInWindow: 1, LikesInWindow: 3, RepliesInWindow: 1, EngagementsInWindow: 4, EngagementPerPost: 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res Result
			res.addEngagement("a", tt.posts, tt.followers, tt.has)
			if got := engagementOf(res, "a"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
			var hidden []string
			for _, h := range res.Hidden {
				hidden = append(hidden, h.Metric)
			}
			if !reflect.DeepEqual(hidden, tt.wantHidden) {
				t.Errorf("hidden %v, want %v", hidden, tt.wantHidden)
			}
		})
	}
}

func TestBlueskyEngagement(t *testing.T) {
	api := newAPI(t)
	settings := &blueskySettings{Posts: config.Posts{PostsWindow: 30}, Pages: config.Pages{MaxPages: 50}}
	ch := &config.Channel{Type: "bluesky", APIURL: api.URL, Engagement: true, Settings: settings, Concurrency: 1}
	res, _ := collectAt(t, ch, []string{"bsky.app", "gen10.bsky.social"}, september1)
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	// Three own posts since 2 August (a repost of someone else's left out,
	// 28 July's too old): 120+80+45 likes, 14+5+3 replies, (30+2)+(11+0)+(6+1)
	// reposts and quotes.
	perPost := 317.0 / 3
	want := map[string]float64{PostsInWindow: 3, LikesInWindow: 245, RepliesInWindow: 22, SharesInWindow: 50,
		EngagementsInWindow: 317, EngagementPerPost: perPost, EngagementRate: perPost / 35250704}
	if got := engagementOf(res, "bsky.app"); !reflect.DeepEqual(got, want) {
		t.Errorf("bsky.app: %v\nwant %v", got, want)
	}
	if got := engagementOf(res, "gen10.bsky.social"); got[PostsInWindow] != 0 || len(got) != 5 {
		t.Errorf("an actor without posts: %v", got)
	}
	// Two pages for bsky.app (the second reaches past the window), one for
	// the actor without posts.
	if got := api.Calls(fakeapi.BlueskyFeed); got != 3 {
		t.Errorf("%d getAuthorFeed calls, want 3", got)
	}

	// One page allowed: the window needs two, so no sum at all (quota).
	settings.MaxPages = 1
	res, _ = collectAt(t, ch, []string{"bsky.app"}, september1)
	if got := reasons(res); !reflect.DeepEqual(got, map[string]Reason{"bsky.app": Quota}) || len(engagementOf(res, "bsky.app")) != 0 {
		t.Errorf("capped: errors %v, engagement %v", got, engagementOf(res, "bsky.app"))
	}

	settings.MaxPages = 50
	failsAlone(t, api, fakeapi.BlueskyFeed, ch, "bsky.app", map[string]Reason{"rate": RateLimited})
}

func TestMastodonEngagement(t *testing.T) {
	api := newAPI(t)
	ch := &config.Channel{Type: "mastodon", APIURL: api.URL, Engagement: true, Concurrency: 1}
	res, _ := collectAt(t, ch, []string{"Gargron@mastodon.social"}, september1)
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	// Three statuses since 2 August (his own thread's reply among them; 25
	// July's too old): 610+150+88 favourites, 41+12+7 replies, (120+4)+(30+0)+(9+1)
	// boosts and quotes.
	perPost := 1072.0 / 3
	want := map[string]float64{PostsInWindow: 3, LikesInWindow: 848, RepliesInWindow: 60, SharesInWindow: 164,
		EngagementsInWindow: 1072, EngagementPerPost: perPost, EngagementRate: perPost / mastodonFollowers(t)}
	if got := engagementOf(res, "Gargron@mastodon.social"); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if got := api.Calls(fakeapi.MastodonStatuses); got != 2 {
		t.Errorf("%d statuses pages, want 2", got)
	}
	failsAlone(t, api, fakeapi.MastodonStatuses, ch, "Gargron@mastodon.social", map[string]Reason{"rate": RateLimited})
}

func mastodonFollowers(t *testing.T) float64 {
	var a struct {
		Followers float64 `json:"followers_count"`
	}
	if err := json.Unmarshal(fakeapi.File("mastodon/account.json"), &a); err != nil {
		t.Fatal(err)
	}
	return a.Followers
}

func TestXEngagement(t *testing.T) {
	api := newAPI(t)
	ch := &config.Channel{Type: "twitter", APIURL: api.URL, Engagement: true, Concurrency: 1,
		Credentials: config.NewCredentials("bearer_token", fakeapi.XBearer)}
	res, _ := collectAt(t, ch, []string{"XDevelopers", "gen7"}, september1)
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	// Four posts since 2 August: 230+95+61+40 likes, 17+9+4+8 replies,
	// (42+6)+(11+2)+(7+0)+(3+1) reposts and quotes, 93,735 impressions.
	want := map[string]float64{PostsInWindow: 4, LikesInWindow: 426, RepliesInWindow: 38, SharesInWindow: 72, ViewsInWindow: 93735,
		EngagementsInWindow: 536, EngagementPerPost: 134, EngagementRate: 134.0 / xFollowers}
	if got := engagementOf(res, "XDevelopers"); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	// ceil(posts/100) pages: two for XDevelopers (the fake's recorded pages
	// are short), one for a user without posts.
	if got := api.Calls(fakeapi.XTweets); got != 3 {
		t.Errorf("%d pages of posts, want 3", got)
	}
	failsAlone(t, api, fakeapi.XTweets, ch, "XDevelopers", map[string]Reason{"credits": Payment, "rate": RateLimited})
}

const xFollowers = 640512 // XDevelopers in twitter/users_partial.json

func TestYouTubeEngagement(t *testing.T) {
	api := newAPI(t)
	ch := &config.Channel{Type: "youtube", APIURL: api.URL, Engagement: true, Concurrency: 1,
		Credentials: config.NewCredentials("api_key", fakeapi.YouTubeKey)}
	res, _ := collectAt(t, ch, []string{"UC_x5XG1OV2P6uZZ5FSM9Ttw", "UCgen5"}, september1)
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	// Four uploads since 2 August: likes 15,085 + 1,930 + 1,204 (one video
	// hides them), comments 261 + 88 + 40 (one has them off), 604,928 views;
	// no shares on YouTube.
	want := map[string]float64{PostsInWindow: 4, LikesInWindow: 18219, RepliesInWindow: 389, ViewsInWindow: 604928,
		EngagementsInWindow: 18608, EngagementPerPost: 4652, EngagementRate: 4652.0 / 2510000, LikesHiddenPosts: 1, RepliesHiddenPosts: 1}
	if got := engagementOf(res, "UC_x5XG1OV2P6uZZ5FSM9Ttw"); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	// The floor: one channels.list for both (the uploads playlist in it),
	// then per channel ceil(uploads/50)+ playlist pages (the fake's pages
	// are short: two) and ceil(videos/50) videos.list calls.
	calls := map[fakeapi.API]int{fakeapi.YouTube: api.Calls(fakeapi.YouTube), fakeapi.YouTubePlaylistItems: api.Calls(fakeapi.YouTubePlaylistItems), fakeapi.YouTubeVideos: api.Calls(fakeapi.YouTubeVideos)}
	if want := map[fakeapi.API]int{fakeapi.YouTube: 1, fakeapi.YouTubePlaylistItems: 3, fakeapi.YouTubeVideos: 1}; !reflect.DeepEqual(calls, want) {
		t.Errorf("calls %v, want %v", calls, want)
	}
	failsAlone(t, api, fakeapi.YouTubeVideos, ch, "UC_x5XG1OV2P6uZZ5FSM9Ttw", map[string]Reason{"quota": Quota})
	failsAlone(t, api, fakeapi.YouTubePlaylistItems, ch, "UC_x5XG1OV2P6uZZ5FSM9Ttw", map[string]Reason{"quota": Quota})
}

func TestGraphEngagement(t *testing.T) {
	api := newAPI(t)
	ch := func(typ string) *config.Channel {
		return &config.Channel{Type: typ, APIURL: api.URL, Engagement: true, Concurrency: 1,
			Credentials: config.NewCredentials("access_token", fakeapi.GraphToken)}
	}
	res, _ := collectAt(t, ch("facebook"), []string{"20531316728"}, september1)
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	// Three posts since 2 August: reactions 5,120 + 2,210 + 640, comments
	// 842 + 301 + 57, shares 310 + 95 + 0 (the last never shared: no field).
	perPost := 9575.0 / 3
	want := map[string]float64{PostsInWindow: 3, LikesInWindow: 7970, RepliesInWindow: 1200, SharesInWindow: 405,
		EngagementsInWindow: 9575, EngagementPerPost: perPost, EngagementRate: perPost / 154230118}
	if got := engagementOf(res, "20531316728"); !reflect.DeepEqual(got, want) {
		t.Errorf("facebook: %v\nwant %v", got, want)
	}
	if got := api.Calls(fakeapi.GraphPosts); got != 2 {
		t.Errorf("%d pages of posts, want 2", got)
	}
	res, _ = collectAt(t, ch("instagram"), []string{"17841405309211844"}, september1)
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	// Three media since 2 August, one hiding its likes: 2,804 + 1,502 likes,
	// 61 + 19 + 33 comments.
	want = map[string]float64{PostsInWindow: 3, LikesInWindow: 4306, RepliesInWindow: 113, EngagementsInWindow: 4419,
		EngagementPerPost: 1473, EngagementRate: 1473.0 / 267793, LikesHiddenPosts: 1, RepliesHiddenPosts: 0}
	if got := engagementOf(res, "17841405309211844"); !reflect.DeepEqual(got, want) {
		t.Errorf("instagram: %v\nwant %v", got, want)
	}
	failsAlone(t, api, fakeapi.GraphPosts, ch("facebook"), "20531316728", map[string]Reason{"permission": Auth, "app_limit": RateLimited})
}

func TestLinkedInEngagement(t *testing.T) {
	api := newAPI(t)
	ch := &config.Channel{Type: "linkedin", APIURL: api.URL, Engagement: true, Concurrency: 1,
		Credentials: config.NewCredentials("access_token", fakeapi.LinkedInToken)}
	res, _ := collectAt(t, ch, []string{"1234567"}, september1)
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	// The thirty days 2 to 31 August of the recorded statistics, summed.
	var recorded struct {
		Elements []struct {
			TimeRange struct{ Start int64 }
			Stats     struct{ LikeCount, CommentCount, ShareCount, ImpressionCount float64 } `json:"totalShareStatistics"`
		}
	}
	if err := json.Unmarshal(fakeapi.File("linkedin/share_statistics.json"), &recorded); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{}
	from, to := time.Date(2026, 8, 2, 0, 0, 0, 0, time.UTC).UnixMilli(), time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	days := 0
	for _, e := range recorded.Elements {
		if e.TimeRange.Start >= from && e.TimeRange.Start < to {
			days++
			want[LikesInWindow] += e.Stats.LikeCount
			want[RepliesInWindow] += e.Stats.CommentCount
			want[SharesInWindow] += e.Stats.ShareCount
			want[ViewsInWindow] += e.Stats.ImpressionCount
		}
	}
	want[EngagementsInWindow] = want[LikesInWindow] + want[RepliesInWindow] + want[SharesInWindow]
	if days != 30 {
		t.Fatalf("%d recorded days in the window, want 30", days)
	}
	// The organization's own posts of those days: 28, 20 and 9 August and
	// 2 August at 00:00; not this morning's, the reshare, the dark post or
	// 1 August's (testdata/linkedin/README.md).
	want[PostsInWindow] = 4
	want[EngagementPerPost] = want[EngagementsInWindow] / 4
	want[EngagementRate] = want[EngagementPerPost] / 219145
	if got := engagementOf(res, "1234567"); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	// One call of each: the posts fit in a page.
	for _, endpoint := range []fakeapi.API{fakeapi.LinkedIn, fakeapi.LinkedInShare, fakeapi.LinkedInPosts} {
		if got := api.Calls(endpoint); got != 1 {
			t.Errorf("%d %s calls, want 1", got, endpoint)
		}
	}
	failsAlone(t, api, fakeapi.LinkedInShare, ch, "1234567", map[string]Reason{"rate": RateLimited, "denied": Auth})
	failsAlone(t, api, fakeapi.LinkedInPosts, ch, "1234567", map[string]Reason{"rate": RateLimited, "denied": Auth, "version": Version, "no_created": Decode})

	// A token without r_organization_social is told what it lacks.
	api.Fail(fakeapi.LinkedInPosts, "denied")
	res, _ = collectAt(t, ch, []string{"1234567"}, september1)
	api.Fail(fakeapi.LinkedInPosts, "")
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "r_organization_social") {
		t.Errorf("a 403 on posts: %v", res.Errors)
	}
}

// An organization posting every six hours has 120 posts in thirty days:
// two pages of the Posts API (start=0, then start=100), the second ending
// past the window; one page allowed is a quota error and no engagement.
func TestLinkedInPostsPaging(t *testing.T) {
	api := newAPI(t)
	settings := &linkedInSettings{Posts: config.Posts{PostsWindow: 30}, Pages: config.Pages{MaxPages: 10}}
	ch := &config.Channel{Type: "linkedin", APIURL: api.URL, Engagement: true, Concurrency: 1, Settings: settings,
		Credentials: config.NewCredentials("access_token", fakeapi.LinkedInToken)}
	res, _ := collectAt(t, ch, []string{"5180000"}, september1)
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	// The made-up organization had no activity: 0 engagements over 120 posts.
	want := map[string]float64{PostsInWindow: 120, LikesInWindow: 0, RepliesInWindow: 0, SharesInWindow: 0, ViewsInWindow: 0,
		EngagementsInWindow: 0, EngagementPerPost: 0, EngagementRate: 0}
	if got := engagementOf(res, "5180000"); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if got := api.Calls(fakeapi.LinkedInPosts); got != 2 {
		t.Errorf("%d posts calls, want 2", got)
	}

	// A window of 7 days is 28 posts, in the first page.
	settings.PostsWindow = 7
	res, _ = collectAt(t, ch, []string{"5180000"}, september1)
	if got := engagementOf(res, "5180000")[PostsInWindow]; got != 28 || api.Calls(fakeapi.LinkedInPosts) != 3 {
		t.Errorf("a week: %v posts in %d calls, want 28 in one more", got, api.Calls(fakeapi.LinkedInPosts)-2)
	}

	settings.PostsWindow, settings.MaxPages = 30, 1
	res, _ = collectAt(t, ch, []string{"5180000"}, september1)
	if got := reasons(res); !reflect.DeepEqual(got, map[string]Reason{"5180000": Quota}) || len(engagementOf(res, "5180000")) != 0 {
		t.Errorf("capped: errors %v, engagement %v", got, engagementOf(res, "5180000"))
	}
}

// An organization without a post in the window has 0 posts and no
// per-post figure or rate, never a division by zero.
func TestLinkedInNoPosts(t *testing.T) {
	api := newAPI(t)
	ch := &config.Channel{Type: "linkedin", APIURL: api.URL, Engagement: true, Concurrency: 1,
		Credentials: config.NewCredentials("access_token", fakeapi.LinkedInToken)}
	// September 2027: the recorded posts are all more than 30 days old.
	res, _ := collectAt(t, ch, []string{"1234567"}, func() time.Time { return time.Date(2027, 9, 1, 12, 0, 0, 0, time.UTC) })
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	got := engagementOf(res, "1234567")
	if _, ok := got[EngagementPerPost]; ok || got[PostsInWindow] != 0 {
		t.Errorf("no posts: %v", got)
	}
	if _, ok := got[EngagementRate]; ok {
		t.Errorf("no posts, yet a rate: %v", got)
	}
}

// failsAlone checks each documented failure of a posts API: the account's
// engagement fails with its reason and gives no reading at all, never a
// partial sum. Modes run in name order; each is cleared after.
func failsAlone(t *testing.T, api *fakeapi.Server, endpoint fakeapi.API, ch *config.Channel, account string, modes map[string]Reason) {
	t.Helper()
	for _, mode := range slices.Sorted(maps.Keys(modes)) {
		api.Fail(endpoint, mode)
		res, _ := collectAt(t, ch, []string{account}, september1)
		api.Fail(endpoint, "")
		if got := reasons(res); !reflect.DeepEqual(got, map[string]Reason{account: modes[mode]}) || len(engagementOf(res, account)) != 0 {
			t.Errorf("%s %s: errors %v, engagement %v; want %s alone and no engagement", endpoint, mode, got, engagementOf(res, account), modes[mode])
		}
	}
}

// A Graph posts page whose paging.next leads to another host is not
// followed: the token would go along. The account's engagement fails as
// decode; nothing is asked of the other host.
func TestGraphNextPageOnlyOnTheChannelsHost(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/posts") {
			_, _ = io.WriteString(w, `{"data":[{"id":"123_1","created_time":"2026-08-30T10:00:00+0000","reactions":{"summary":{"total_count":1}},"comments":{"summary":{"total_count":0}}}],"paging":{"next":"http://elsewhere.invalid/v26.0/123/posts?after=x"}}`)
			return
		}
		_, _ = io.WriteString(w, `{"123":{"id":"123","followers_count":10,"fan_count":5}}`)
	})
	ch := &config.Channel{Type: "facebook", APIURL: f.URL, Engagement: true, Concurrency: 1,
		Credentials: config.NewCredentials("access_token", fakeapi.GraphToken)}
	res, _ := collectAt(t, ch, []string{"123"}, september1)
	if got := reasons(res); !reflect.DeepEqual(got, map[string]Reason{"123": Decode}) || len(engagementOf(res, "123")) != 0 {
		t.Errorf("errors %v, engagement %v; want decode and none", got, engagementOf(res, "123"))
	}
	if len(f.requests) != 2 {
		t.Errorf("%d requests, want 2 (the ids and the first page of posts)", len(f.requests))
	}
}

// pageBack, which every type that lists posts pages with: it reads pages
// until one holds a post older than the window or there is no next, keeps
// the posts within the window, and refuses a window that takes more than
// max_pages, rather than sum part of it.
func TestPageBack(t *testing.T) {
	now := time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC)
	daysAgo := func(d int) OwnPost { return OwnPost{Published: now.AddDate(0, 0, -d)} }
	tests := []struct {
		name      string
		pages     [][]OwnPost // the API's pages, newest first
		maxPages  int
		wantReads int
		wantKept  int
		wantQuota bool
	}{
		{"one page, all within", [][]OwnPost{{daysAgo(1), daysAgo(2)}}, 5, 1, 2, false},
		{"the last page ends it", [][]OwnPost{{daysAgo(1)}, {daysAgo(3)}}, 5, 2, 2, false},
		{"a post older than the window ends it", [][]OwnPost{{daysAgo(1), daysAgo(40)}, {daysAgo(50)}}, 5, 1, 1, false},
		{"a post dated after now is left out and does not end it", [][]OwnPost{{OwnPost{Published: now.Add(time.Hour)}}, {daysAgo(2)}}, 5, 2, 1, false},
		{"an empty page with no next ends it", [][]OwnPost{{}}, 5, 1, 0, false},
		{"more pages than max_pages is quota", [][]OwnPost{{daysAgo(1)}, {daysAgo(2)}, {daysAgo(3)}}, 2, 2, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reads := 0
			kept, err := pageBack(30, tt.maxPages, now, "test pages", published, func(cursor string) ([]OwnPost, string, *Error) {
				if want := fmt.Sprint(reads); reads > 0 && cursor != want {
					t.Errorf("read %d was given cursor %q, want %q", reads, cursor, want)
				}
				page := tt.pages[reads]
				reads++
				next := ""
				if reads < len(tt.pages) {
					next = fmt.Sprint(reads)
				}
				return page, next, nil
			})
			if reads != tt.wantReads {
				t.Errorf("%d pages read, want %d", reads, tt.wantReads)
			}
			if tt.wantQuota {
				if err == nil || err.Reason != Quota || kept != nil {
					t.Fatalf("kept %v, error %v; want a quota error and nothing kept", kept, err)
				}
				return
			}
			if err != nil || len(kept) != tt.wantKept {
				t.Errorf("kept %d posts (error %v), want %d", len(kept), err, tt.wantKept)
			}
		})
	}
}
