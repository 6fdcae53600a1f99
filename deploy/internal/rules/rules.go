// Package rules renders the monitoring mixin (deploy/mixin) into the files
// that carry its rules: the Prometheus rule file deploy/prometheus/rules/
// kpi.yml and the Prometheus Operator's PrometheusRule. The mixin is the one
// source of the rules; `make generate` writes them and CI checks that they
// are current.
package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-jsonnet"
	"go.yaml.in/yaml/v3"
)

// Render evaluates a jsonnet expression over the mixin in dir (such as
// "(import 'mixin.libsonnet').prometheusAlerts") and returns its JSON.
func Render(dir, expr string) ([]byte, error) {
	vm := jsonnet.MakeVM()
	vm.Importer(&jsonnet.FileImporter{JPaths: []string{dir}})
	out, err := vm.EvaluateAnonymousSnippet(filepath.Join(dir, "render.jsonnet"), expr)
	if err != nil {
		return nil, fmt.Errorf("rendering the mixin: %w", err)
	}
	return []byte(out), nil
}

// Groups renders the mixin's recording rules and alerts, in that order.
func Groups(mixinDir string) ([]any, error) {
	out, err := Render(mixinDir, `local m = import 'mixin.libsonnet'; m.prometheusRules.groups + m.prometheusAlerts.groups`)
	if err != nil {
		return nil, err
	}
	var groups []any
	if err := json.Unmarshal(out, &groups); err != nil {
		return nil, err
	}
	return groups, nil
}

// RuleFile renders the Prometheus rule file.
func RuleFile(mixinDir string) ([]byte, error) {
	groups, err := Groups(mixinDir)
	if err != nil {
		return nil, err
	}
	return encode("# Recording rules and alerts for kpi-collector, rendered from deploy/mixin by `make generate`;\n"+
		"# do not edit. Tune them in deploy/mixin/config.libsonnet.\n", map[string]any{"groups": groups})
}

// PrometheusRule renders the PrometheusRule manifest carrying the same groups.
func PrometheusRule(mixinDir string) ([]byte, error) {
	groups, err := Groups(mixinDir)
	if err != nil {
		return nil, err
	}
	doc := map[string]any{
		"apiVersion": "monitoring.coreos.com/v1",
		"kind":       "PrometheusRule",
		"metadata": map[string]any{
			"name":   "kpi-collector",
			"labels": map[string]any{"app.kubernetes.io/name": "kpi-collector"},
		},
		"spec": map[string]any{"groups": groups},
	}
	return encode("# Rendered from deploy/mixin by `make generate`; do not edit.\n", doc)
}

// keyOrder puts the keys people look for first; the rest follow by name.
var keyOrder = []string{"apiVersion", "kind", "metadata", "name", "spec", "groups", "rules", "record", "alert", "expr", "for", "labels", "annotations"}

// encode writes v as YAML with a header, keys in keyOrder, multi-line
// strings as literal blocks.
func encode(header string, v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(header)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(node(v)); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func node(v any) *yaml.Node {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int {
			ia, ib := slices.Index(keyOrder, a), slices.Index(keyOrder, b)
			switch {
			case ia >= 0 && ib >= 0:
				return ia - ib
			case ia >= 0:
				return -1
			case ib >= 0:
				return 1
			}
			return strings.Compare(a, b)
		})
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range keys {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, node(x[k]))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range x {
			n.Content = append(n.Content, node(e))
		}
		return n
	case string:
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: x}
		if strings.Contains(x, "\n") {
			n.Style = yaml.LiteralStyle
		}
		return n
	default:
		n := &yaml.Node{}
		if err := n.Encode(x); err != nil {
			panic(err)
		}
		return n
	}
}
