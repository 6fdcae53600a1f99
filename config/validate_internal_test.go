package config

import (
	"reflect"
	"testing"
	"time"
)

// Validation writes nothing: defaults come before it (applyDefaults), what
// the config resolves to after it (resolve).
func TestValidateWritesNothing(t *testing.T) {
	types := Types{"manual": {NotScheduled: true, NoAccounts: true, Manual: true, OptionalCredentials: []string{"token"}},
		"feed": {Metrics: []string{"posts"}, DefaultSchedule: "@every 1h", DefaultTimeout: time.Minute}}
	yml := `plan: {name: p, goal: seo, timezone: Europe/Stockholm, start: 2026-07-01, end: 2026-12-31}
channels:
  offline: {type: manual}
  blog: {type: feed, accounts: [https://blog.example/feed.xml]}
kpis:
  - {name: rel, channel: offline, metric: relationships, count: growth, every: month, step: 5}
  - {name: posts, channel: blog, metric: posts, milestones: [{due: 2026-08-31, target: 8}]}
`
	cfg, err := Load("p.yml", []byte(yml), types)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Plan.Location == nil || len(cfg.KPIs[0].Due) != 6 || len(cfg.KPIs[1].Due) != 1 {
		t.Fatalf("the loaded config is not resolved: %v %+v", cfg.Plan.Location, cfg.KPIs[0].Due)
	}
	again, err := Load("p.yml", []byte(yml), types)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range again.KPIs {
		k.Due = nil
	}
	again.Plan.Location = nil
	before := *again
	validate(&problems{file: "p.yml"}, again, types)
	if !reflect.DeepEqual(before, *again) {
		t.Error("validate changed the config")
	}
	for _, k := range again.KPIs {
		if k.Due != nil {
			t.Errorf("validate resolved %s's milestones", k.Name)
		}
	}
}
