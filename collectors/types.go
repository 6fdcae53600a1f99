package collectors

import (
	"fmt"
	"regexp"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
)

// channelType is one row of the table: what the config loader must know of a
// type, and how to build its collector.
type channelType struct {
	config.TypeSpec
	New func(Env) (Collector, error)
}

// registry is the one table of channel types. Adding a channel is adding a
// file with its collector and a row here.
var registry = map[string]channelType{
	"youtube": {
		TypeSpec: config.TypeSpec{
			Metrics:            []string{"subscribers", "views", "videos"},
			Credentials:        []string{"api_key"},
			Options:            []string{"quota", "concurrency"},
			DefaultSchedule:    "@every 6h", // 4 runs a day, 1 unit per 50 channels each
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 8, // no per-second limit, only the daily units: 8 calls in flight
			Batch:              YouTubeBatch,
			DefaultQuota:       10000, // the API's default allocation; channels.list costs 1 a call
			QuotaZone:          "America/Los_Angeles",
			Resolution:         youTubeResolution,
			ResolutionNote:     "YouTube rounds subscriber counts above 1,000 to three significant figures",
		},
		New: newYouTube,
	},
	"feed": {
		TypeSpec: config.TypeSpec{
			Metrics:            []string{"posts"},
			Options:            []string{"concurrency"},
			DefaultSchedule:    "@every 1h", // often enough that a 10-item feed misses no post
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 4, // feeds live on different hosts
			AccountCheck:       checkHTTPURL,
		},
		New: newFeed,
	},
	"bluesky": {
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
	},
	"http_json": {
		TypeSpec: config.TypeSpec{
			UserMetrics: true,
			Options:     []string{"metrics", "concurrency"},
			// credentials.query and .headers are optional: no Credentials entry.
			DefaultSchedule:    "@every 1h",
			DefaultTimeout:     30 * time.Second,
			DefaultConcurrency: 2,
			AccountCheck:       checkHTTPURL,
		},
		New: newHTTPJSON,
	},
	"twitter": {
		TypeSpec: config.TypeSpec{
			Metrics:         []string{"followers", "following", "posts", "listed", "influential_followers"},
			Credentials:     []string{"bearer_token"},
			Options:         []string{"api", "concurrency", "quota", "min_followers", "max_pages"},
			DefaultSchedule: "@daily", // pay-per-use: every user returned costs money
			// A follower page is 1,000 users, each a paid read: ten pages a day
			// by default.
			InfluenceMetric:    "influential_followers",
			InfluenceSchedule:  "@daily",
			DefaultMaxPages:    10,
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 1, // 300 lookups per 15 minutes per app
			Batch:              TwitterBatch,
			AccountCheck:       checkTwitterAccount,
			OptionCheck:        checkTwitterOptions,
		},
		New: newTwitter,
	},
	"facebook": {
		TypeSpec: config.TypeSpec{
			Metrics:            []string{"followers", "likes"},
			Credentials:        []string{"access_token"},
			Options:            []string{"version", "concurrency"},
			DefaultSchedule:    "@every 6h",
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 2, // usage is counted per hour; no need to hurry
			Batch:              GraphBatch,
		},
		New: newFacebook,
	},
	"instagram": {
		TypeSpec: config.TypeSpec{
			Metrics:            []string{"followers", "following", "posts"},
			Credentials:        []string{"access_token"},
			Options:            []string{"version", "concurrency"},
			DefaultSchedule:    "@every 6h",
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 2,
			Batch:              GraphBatch,
		},
		New: newInstagram,
	},
	"linkedin": {
		TypeSpec: config.TypeSpec{
			Metrics:            []string{"followers"},
			Credentials:        []string{"access_token"},
			Options:            []string{"version", "concurrency"},
			DefaultSchedule:    "@every 12h", // daily limits, unpublished, reset at 00:00 UTC
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 1, // daily limits, unpublished
			AccountCheck:       checkLinkedInAccount,
			OptionCheck:        checkLinkedInOptions,
		},
		New: newLinkedIn,
	},
	"mastodon": {
		TypeSpec: config.TypeSpec{
			Metrics:            []string{"followers", "following", "posts"},
			Options:            []string{"concurrency"},
			DefaultSchedule:    "@every 1h", // 300 requests per 5 minutes per instance
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 2, // 300 requests per 5 minutes per instance
			AccountCheck:       checkMastodonAccount,
		},
		New: newMastodon,
	},
	"manual": {
		TypeSpec: config.TypeSpec{
			NotScheduled: true,
			NoAccounts:   true,
		},
	},
}

// Types is the table as the config loader takes it.
func Types() config.Types {
	out := make(config.Types, len(registry))
	for name, t := range registry {
		out[name] = t.TypeSpec
	}
	return out
}

func checkTwitterOptions(ch *config.Channel) error {
	if ch.API == "v1.1" && ch.MinFollowers > 0 {
		return fmt.Errorf("min_followers: influential followers are read with API v2 only; remove api: v1.1")
	}
	switch ch.API {
	case "", "v2", "v1.1":
		return nil
	default:
		return fmt.Errorf("api: %q is not an X API version this collector speaks; use v2 (the default) or v1.1", ch.API)
	}
}

func checkLinkedInOptions(ch *config.Channel) error {
	if ch.Version != "" && !linkedInVersion.MatchString(ch.Version) {
		return fmt.Errorf("version: %q is not a LinkedIn version; give a month as YYYYMM, such as %s", ch.Version, DefaultLinkedInVersion)
	}
	return nil
}

var linkedInVersion = regexp.MustCompile(`^20[0-9]{2}(0[1-9]|1[0-2])$`)
