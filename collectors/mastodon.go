package collectors

import (
	"context"
	"errors"
	"github.com/kpi-collector/kpi-collector/config"
	"net/url"
	"strings"
	"time"
)

func init() {
	register("mastodon", Spec{
		TypeSpec: config.TypeSpec{
			Metrics:            []string{"followers", "following", "posts"},
			Options:            []string{"concurrency"},
			DefaultSchedule:    "@every 1h", // 300 requests per 5 minutes per instance
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 2, // 300 requests per 5 minutes per instance
			AccountCheck:       checkMastodonAccount,
		},
		New: newMastodon,
	})
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
	env Env
}

func newMastodon(env Env) (Collector, error) { return &mastodon{env: env}, nil }

type mastodonAccount struct {
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
		return res
	})
}
