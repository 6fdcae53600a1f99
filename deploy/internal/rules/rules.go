// Package rules turns the Prometheus rule file into the Prometheus Operator's
// PrometheusRule, so that Kubernetes carries the same rules as
// deploy/prometheus from one source.
package rules

import (
	"bytes"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

// Groups reads the rule groups of a Prometheus rule file.
func Groups(file string) ([]any, error) {
	data, err := os.ReadFile(file) //nolint:gosec // the project's own rule file
	if err != nil {
		return nil, err
	}
	var f struct {
		Groups []any `yaml:"groups"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return f.Groups, nil
}

// PrometheusRule renders the PrometheusRule manifest carrying the file's groups.
func PrometheusRule(file string) ([]byte, error) {
	groups, err := Groups(file)
	if err != nil {
		return nil, err
	}
	doc := map[string]any{
		"apiVersion": "monitoring.coreos.com/v1",
		"kind":       "PrometheusRule",
		"metadata": map[string]any{
			"name":   "kpi-collector",
			"labels": map[string]any{"app.kubernetes.io/name": "kpi-collector", "prometheus": "kpi-collector"},
		},
		"spec": map[string]any{"groups": groups},
	}
	var b bytes.Buffer
	b.WriteString("# Generated from deploy/prometheus/rules/kpi.yml by `make generate`; do not edit.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}
