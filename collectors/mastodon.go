package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
)

func init() {
	register("mastodon", Spec{
		TypeSpec: config.TypeSpec{
			Metrics: append([]string{"followers", "following", "posts"}, mastodonEngagement...),
			Options: []string{"concurrency"},
			Settings: &mastodonSettings{
				Posts: config.Posts{PostsWindow: 30},
				Pages: config.Pages{MaxPages: 25}, // 40 statuses a page: a thousand posts
			},
			LevelMetrics:       mastodonEngagement,
			MaxPostsWindow:     365,
			DefaultSchedule:    "@every 1h", // 300 requests per 5 minutes per instance
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 2, // 300 requests per 5 minutes per instance
			AccountCheck:       checkMastodonAccount,
		},
		Ratios: engagementRatios,
		New:    newMastodon,
	})
}

// mastodonEngagement are Mastodon's engagement metrics: shares are boosts
// and quotes; no views.
var mastodonEngagement = engagementMetrics(true, false)

// mastodonSettings are a mastodon channel's own keys.
type mastodonSettings struct {
	config.Posts `yaml:",inline"`
	config.Pages `yaml:",inline"`
}

func checkMastodonAccount(s string) error {
	user, host, ok := strings.Cut(strings.TrimPrefix(s, "@"), "@")
	if !ok || user == "" || host == "" || strings.ContainsAny(host, "/@ ") {
		return errors.New("must be user@instance, such as Gargron@mastodon.social")
	}
	return nil
}

// mastodon reads public account counts from each account's own instance.
type mastodon struct {
	env      Env
	settings *mastodonSettings
}

func newMastodon(env Env) (Collector, error) {
	return &mastodon{env: env, settings: settingsOf[mastodonSettings](env)}, nil
}

type mastodonAccount struct {
	ID             string `json:"id"`
	FollowersCount *int64 `json:"followers_count"`
	FollowingCount *int64 `json:"following_count"`
	StatusesCount  *int64 `json:"statuses_count"`
	// HideCollections: the account hides whom it follows and who follows
	// it, and the instance then reports both counts as 0.
	HideCollections bool `json:"hide_collections"`
}

// Collect reads every account; see Collector.
func (m *mastodon) Collect(ctx context.Context, accounts []string) Result {
	return EachBatch(ctx, accounts, 1, m.env.Channel.Concurrency, func(ctx context.Context, batch []string) Result {
		var res Result
		account := batch[0]
		acct := strings.TrimPrefix(account, "@")
		_, host, _ := strings.Cut(acct, "@")
		base := "https://" + host
		if m.env.Channel.APIURL != "" {
			base = m.env.Channel.APIURL
		}
		var body mastodonAccount
		// The whole user@domain: an instance answers for remote accounts
		// too, and a bare user would find a local namesake or nothing.
		u := joinURL(base, "/api/v1/accounts/lookup") + "?" + url.Values{"acct": {acct}}.Encode()
		if err := GetJSON(ctx, m.env.Client, u, nil, &body, nil); err != nil {
			res.fail(err, account)
			return res
		}
		counts := map[string]*int64{"followers": body.FollowersCount, "following": body.FollowingCount, "posts": body.StatusesCount}
		if body.HideCollections {
			delete(counts, "followers")
			delete(counts, "following")
			res.hide(account, "followers", HiddenByAccount)
			res.hide(account, "following", HiddenByAccount)
		}
		addKnown(&res, account, counts)
		if m.env.Channel.Engagement {
			followers := body.FollowersCount
			if body.HideCollections {
				followers = nil
			}
			if posts, err := m.ownPosts(ctx, base, body.ID); err != nil {
				res.fail(err, account)
			} else {
				res.addEngagement(account, posts, followers, engagementCounts{shares: true})
			}
		}
		return res
	})
}

// mastodonStatus is a status as the account's statuses list gives it.
type mastodonStatus struct {
	ID        string          `json:"id"`
	CreatedAt time.Time       `json:"created_at"`
	Replies   *int64          `json:"replies_count"`
	Reblogs   *int64          `json:"reblogs_count"`
	Favs      *int64          `json:"favourites_count"`
	Quotes    *int64          `json:"quotes_count"` // Mastodon 4.5 and later
	Reblog    json.RawMessage `json:"reblog"`
}

// ownPosts reads the account's own statuses of the window, newest first,
// 40 a page, paging back with max_id (what the Link header's next gives)
// until a status older than the window: replies to others and boosts are
// excluded by the query, threads of its own stay.
func (m *mastodon) ownPosts(ctx context.Context, base, id string) ([]OwnPost, *Error) {
	if id == "" {
		return nil, Fail(Decode, errors.New("accounts/lookup gave no account id to list its statuses"))
	}
	return pageBack(m.settings.PostsWindow, m.settings.MaxPages, m.env.now(), "statuses", published, func(maxID string) ([]OwnPost, string, *Error) {
		q := url.Values{"limit": {"40"}, "exclude_replies": {"true"}, "exclude_reblogs": {"true"}}
		if maxID != "" {
			q.Set("max_id", maxID)
		}
		var statuses []mastodonStatus
		if err := GetJSON(ctx, m.env.Client, joinURL(base, "/api/v1/accounts/"+url.PathEscape(id)+"/statuses")+"?"+q.Encode(), nil, &statuses, nil); err != nil {
			return nil, "", Classify(err)
		}
		var posts []OwnPost
		for _, st := range statuses {
			if len(st.Reblog) > 0 && string(st.Reblog) != "null" {
				continue
			}
			shares := st.Reblogs
			if st.Reblogs != nil && st.Quotes != nil {
				n := *st.Reblogs + *st.Quotes
				shares = &n
			}
			posts = append(posts, OwnPost{Published: st.CreatedAt, Likes: st.Favs, Replies: st.Replies, Shares: shares})
		}
		if len(statuses) == 0 {
			return posts, "", nil
		}
		return posts, statuses[len(statuses)-1].ID, nil
	})
}
