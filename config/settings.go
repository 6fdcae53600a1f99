package config

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// A type's settings are the channel keys only it takes (search_console's
// window and filters): a struct of its own, declared in its collector's file
// with yaml tags and handed to the loader as TypeSpec.Settings, a pointer
// to the struct holding the defaults. The loader checks the keys' shapes
// with their lines, decodes them over a copy of the defaults and stores the
// copy in Channel.Settings; a settings struct that has a Validate method is
// validated with the rest of the config. Adding a type's keys therefore
// touches only its own file.

// SettingError is a problem of one setting: Path leads from the channel to
// the value (keys and list indexes, "filters", 0, "operator"), and Msg says
// what is wrong, starting with the key as a reader finds it.
type SettingError struct {
	Path []any
	Msg  string
}

func (e *SettingError) Error() string { return e.Msg }

// SettingProblem is a SettingError for the value at path.
func SettingProblem(path []any, format string, args ...any) error {
	return &SettingError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// validator is a settings struct that checks itself.
type validator interface{ Validate() error }

// settingFields maps a settings struct's yaml keys to their types.
func settingFields(settings any) map[string]reflect.Type {
	if settings == nil {
		return nil
	}
	return yamlFields(reflect.TypeOf(settings))
}

// yamlFieldsOf holds yamlFields' answers: checking a plan of 100,000 KPIs
// built a KPI's and a milestone's fields 100,000 times each (0.26 s of CPU
// in each load).
var yamlFieldsOf sync.Map // reflect.Type → map[string]reflect.Type

// yamlFields is the YAML keys of a struct type (or a pointer to one) and
// their types. The map is shared: read it, never write it.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if f, ok := yamlFieldsOf.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if opts == "inline" && f.Type.Kind() == reflect.Struct {
			maps.Copy(out, yamlFields(f.Type)) // keys several types share (keys.go)
			continue
		}
		if name != "" && name != "-" {
			out[name] = f.Type
		}
	}
	yamlFieldsOf.Store(t, out)
	return out
}

// settingsOf finds the spec of a channel mapping node by its type key.
func (ps *problems) settingsOf(n *yaml.Node) map[string]reflect.Type {
	if ps.types == nil || n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "type" {
			return settingFields(ps.types[n.Content[i+1].Value].Settings)
		}
	}
	return nil
}

// someTypeTakes reports whether some channel type takes key beyond the
// common ones: on a channel of another type, it is that type's key rather
// than a misspelling, and validateChannel says so.
func (ps *problems) someTypeTakes(key string) bool {
	if ps.typeKeys == nil {
		ps.typeKeys = map[string]bool{}
		for _, spec := range ps.types {
			for _, k := range spec.Keys() {
				ps.typeKeys[k] = true
			}
		}
	}
	return ps.typeKeys[key]
}

// decodeSettings decodes each channel's own keys over a copy of its type's
// defaults. Their shapes were checked with the rest of the file.
func decodeSettings(ps *problems, cfg *Config, types Types) {
	for name, ch := range cfg.Channels {
		if ch == nil {
			continue
		}
		proto := types[ch.Type].Settings
		if proto == nil {
			continue
		}
		fields := settingFields(proto)
		copied := reflect.New(reflect.TypeOf(proto).Elem())
		copied.Elem().Set(reflect.ValueOf(proto).Elem())
		node := lookupValue(ps.root, "channels", name)
		own := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		if node != nil {
			for i := 0; i+1 < len(node.Content); i += 2 {
				key := node.Content[i].Value
				if _, ok := fields[key]; ok {
					own.Content = append(own.Content, node.Content[i], node.Content[i+1])
				}
				// A window given is a wish to read the posts' engagement,
				// whether a KPI names it yet or not.
				if key == "posts_window" && takesPosts(proto) {
					ch.Engagement = true
				}
			}
		}
		// checkShape said, in plain words, what is wrong with a value;
		// the YAML library's words are for a case it does not know.
		if err := own.Decode(copied.Interface()); err != nil && len(ps.list) == 0 {
			ps.at(node, "channels.%s: %v", name, err)
		}
		ch.Settings = copied.Interface()
	}
}

// validateSettings reports the problems a channel's settings find in
// themselves, each at its line.
func validateSettings(ps *problems, name string, ch *Channel) {
	v, ok := ch.Settings.(validator)
	if !ok {
		return
	}
	err := v.Validate()
	if err == nil {
		return
	}
	var list []error
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		list = joined.Unwrap()
	} else {
		list = []error{err}
	}
	for _, e := range list {
		path := []any{"channels", name}
		var se *SettingError
		if errors.As(e, &se) {
			path = append(path, se.Path...)
		}
		ps.path(path, "channels.%s.%v", name, e)
	}
}
