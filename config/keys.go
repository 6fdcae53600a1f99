package config

import (
	"maps"
	"slices"
)

// Keys several types take are structs of their own here, which a type's
// settings struct embeds inline, so that each type declares every key it
// takes in one place (its settings) while the loader, which applies their
// defaults and rules, still finds them in any type's settings:
//
//	type xSettings struct {
//		API             string `yaml:"api"`
//		config.Posts     `yaml:",inline"`
//		config.Pages     `yaml:",inline"`
//		config.Influence `yaml:",inline"`
//	}
//
// The defaults are the settings prototype's (TypeSpec.Settings), as for any
// other key of the type.

// Posts is the key of a type that reads its accounts' own recent posts
// (engagement).
type Posts struct {
	// PostsWindow is how far back, by age, the posts read go.
	PostsWindow Days `yaml:"posts_window"`
}

// Pages is the key of a type that pages through lists (posts, followers).
type Pages struct {
	// MaxPages is how many pages of a list a run reads per account at most:
	// a longer list is a quota error, never a partial count.
	MaxPages int `yaml:"max_pages"`
}

// Influence is the key of a type that counts influential followers
// (TypeSpec.InfluenceMetric): 0 reads no follower lists.
type Influence struct {
	// MinFollowers is how many followers of their own make a follower
	// influential.
	MinFollowers int `yaml:"min_followers"`
}

// UserMetrics is the key of a type whose metrics the user names
// (TypeSpec.UserMetrics): metric name → where the API has it (a GJSON path,
// a GA4 metric).
type UserMetrics struct {
	Metrics map[string]string `yaml:"metrics"`
}

// APIVersion is the key of a type whose API is versioned by the caller.
type APIVersion struct {
	// Version is the API version sent; empty is the type's default.
	Version string `yaml:"version"`
}

// The accessors below are promoted to any settings struct that embeds the
// key, which is how the loader finds the key in a type's settings.

func (p *Posts) postsKey() *Posts             { return p }
func (p *Pages) pagesKey() *Pages             { return p }
func (i *Influence) influenceKey() *Influence { return i }
func (u *UserMetrics) metricsKey() *UserMetrics {
	return u
}

// PostsOf is the channel's posts_window key, nil for a type that reads no
// posts (or a channel not built by the loader).
func PostsOf(ch *Channel) *Posts {
	if s, ok := ch.Settings.(interface{ postsKey() *Posts }); ok {
		return s.postsKey()
	}
	return nil
}

// PagesOf is the channel's max_pages key, nil for a type without one.
func PagesOf(ch *Channel) *Pages {
	if s, ok := ch.Settings.(interface{ pagesKey() *Pages }); ok {
		return s.pagesKey()
	}
	return nil
}

// InfluenceOf is the channel's min_followers key, nil for a type without
// one.
func InfluenceOf(ch *Channel) *Influence {
	if s, ok := ch.Settings.(interface{ influenceKey() *Influence }); ok {
		return s.influenceKey()
	}
	return nil
}

// UserMetricsOf is the metrics a channel of a UserMetrics type names
// (metric → where the API has it); nil for other types.
func UserMetricsOf(ch *Channel) map[string]string {
	if s, ok := ch.Settings.(interface{ metricsKey() *UserMetrics }); ok {
		return s.metricsKey().Metrics
	}
	return nil
}

// takesPosts reports whether a type's settings have posts_window.
func takesPosts(settings any) bool {
	_, ok := settings.(interface{ postsKey() *Posts })
	return ok
}

// Keys is every key a channel of the type takes beyond the common ones
// (type, schedule, timeout, api_url, credentials, accounts, accounts_file,
// rivals), sorted: its Options and its settings' keys.
func (t TypeSpec) Keys() []string {
	keys := slices.Clone(t.Options)
	keys = slices.AppendSeq(keys, maps.Keys(settingFields(t.Settings)))
	slices.Sort(keys)
	return slices.Compact(keys)
}
