package collectors

import (
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
			Metrics:         []string{"subscribers", "views", "videos"},
			Credentials:     []string{"api_key"},
			Options:         []string{"quota", "concurrency"},
			DefaultSchedule: "@every 6h", // 4 runs a day, 1 unit per 50 channels each
			DefaultTimeout:  time.Minute,
			Batch:           YouTubeBatch,
			DefaultQuota:    10000, // the API's default allocation; channels.list costs 1 a call
			QuotaZone:       "America/Los_Angeles",
		},
		New: newYouTube,
	},
	"feed": {
		TypeSpec: config.TypeSpec{
			Metrics:         []string{"posts"},
			Options:         []string{"concurrency"},
			DefaultSchedule: "@every 1h", // often enough that a 10-item feed misses no post
			DefaultTimeout:  time.Minute,
			AccountCheck:    checkHTTPURL,
		},
		New: newFeed,
	},
	"bluesky": {
		TypeSpec: config.TypeSpec{
			Metrics:         []string{"followers", "following", "posts"},
			Options:         []string{"concurrency"},
			DefaultSchedule: "@every 1h",
			DefaultTimeout:  time.Minute,
			Batch:           BlueskyBatch,
		},
		New: newBluesky,
	},
	"http_json": {
		TypeSpec: config.TypeSpec{
			UserMetrics:     true,
			Options:         []string{"metrics", "concurrency"},
			DefaultSchedule: "@every 1h",
			DefaultTimeout:  30 * time.Second,
			AccountCheck:    checkHTTPURL,
		},
		New: newHTTPJSON,
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
