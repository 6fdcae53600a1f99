package collectors

import (
	"slices"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
)

// Every key a type takes beyond the common ones is in its settings, except
// the Channel's own optional keys (quota, concurrency), and the keys the
// loader applies rules to are where the type's behaviors need them.
func TestTypesDeclareTheirKeysInSettings(t *testing.T) {
	for name, spec := range Types() {
		for _, o := range spec.Options {
			if o != "quota" && o != "concurrency" {
				t.Errorf("%s: option %q belongs in the type's settings", name, o)
			}
		}
		ch := &config.Channel{Type: name, Settings: spec.Settings}
		if spec.InfluenceMetric != "" && config.InfluenceOf(ch) == nil {
			t.Errorf("%s reads %s but its settings have no min_followers", name, spec.InfluenceMetric)
		}
		if spec.InfluenceMetric != "" && (config.PagesOf(ch) == nil || config.PagesOf(ch).MaxPages < 1) {
			t.Errorf("%s reads follower lists but has no default max_pages", name)
		}
		if spec.MaxPostsWindow > 0 && (config.PostsOf(ch) == nil || config.PostsOf(ch).PostsWindow < 1 || config.PostsOf(ch).PostsWindow > spec.MaxPostsWindow) {
			t.Errorf("%s: a MaxPostsWindow without a default posts_window within it", name)
		}
		if config.PostsOf(ch) != nil && (len(spec.LevelMetrics) == 0 || spec.MaxPostsWindow == 0) {
			t.Errorf("%s takes posts_window but has no level metrics or no MaxPostsWindow", name)
		}
		if spec.UserMetrics != (config.UserMetricsOf(ch) != nil || slices.Contains(spec.Keys(), "metrics")) {
			t.Errorf("%s: UserMetrics %v, but metrics in its keys %v", name, spec.UserMetrics, spec.Keys())
		}
	}
}
