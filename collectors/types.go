package collectors

import (
	"fmt"
	"maps"
	"slices"

	"github.com/kpi-collector/kpi-collector/config"
)

// Spec is a channel type: what the config loader must know of it (its
// metrics, credentials, options, defaults and behaviors) and how to build
// its collector.
type Spec struct {
	config.TypeSpec
	// New builds the type's collector; nil for types that are not
	// collected (manual).
	New func(Env) (Collector, error)
	// Ratios are the metrics that are not counts (a click-through rate, an
	// average position): the guard lets through any finite reading of 0 or
	// more for them.
	Ratios []string
}

// registry holds every channel type, each registered by its own file's init:
// adding a channel is adding its file (with its fake and testdata), nothing
// else (CONTRIBUTING.md).
var registry = map[string]Spec{}

// register adds a channel type; a name registered twice is a programming
// error.
func register(name string, s Spec) {
	if _, dup := registry[name]; dup {
		panic("collectors: channel type " + name + " registered twice")
	}
	registry[name] = s
}

// Names lists the registered channel types, sorted.
func Names() []string { return slices.Sorted(maps.Keys(registry)) }

// Types is the table as the config loader takes it.
func Types() config.Types {
	out := make(config.Types, len(registry))
	for name, t := range registry {
		out[name] = t.TypeSpec
	}
	return out
}

func checkTwitterOptions(ch *config.Channel) error {
	s := settingsFor[twitterSettings](ch)
	if s.API == "v1.1" && ch.Engagement {
		return fmt.Errorf("api: engagement (posts_window, or a KPI on it) is read with API v2 only; remove api: v1.1")
	}
	if s.API == "v1.1" && s.MinFollowers > 0 {
		return fmt.Errorf("min_followers: influential followers are read with API v2 only; remove api: v1.1")
	}
	switch s.API {
	case "", "v2", "v1.1":
		return nil
	default:
		return fmt.Errorf("api: %q is not an X API version this collector speaks; use v2 (the default) or v1.1", s.API)
	}
}

// settingsOf is a channel's own settings (TypeSpec.Settings), as the loader
// decoded them, or, for a channel built without the loader, a copy of its
// type's defaults: the defaults live in the registration alone.
func settingsOf[T any](env Env) *T { return settingsFor[T](env.Channel) }

// settingsFor is settingsOf for a channel.
func settingsFor[T any](ch *config.Channel) *T {
	if s, ok := ch.Settings.(*T); ok && s != nil {
		return s
	}
	s := new(T)
	if proto, ok := registry[ch.Type].Settings.(*T); ok {
		*s = *proto
	}
	return s
}
