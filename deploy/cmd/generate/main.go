// Command generate writes the files of deploy/ that are derived from one
// source: the Grafana dashboards (from internal/dashboards) and the
// Kubernetes PrometheusRule (from prometheus/rules/kpi.yml). Run it with
// `go generate` in deploy/ (or `make generate` at the top).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kpi-collector/kpi-collector/deploy/internal/dashboards"
	"github.com/kpi-collector/kpi-collector/deploy/internal/rules"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

func run() error {
	all, err := dashboards.All()
	if err != nil {
		return err
	}
	for name, d := range all {
		b, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join("grafana", "dashboards", name), append(b, '\n'), 0o644); err != nil { //nolint:gosec // dashboards are public files
			return err
		}
	}
	b, err := rules.PrometheusRule(filepath.Join("prometheus", "rules", "kpi.yml"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join("kubernetes", "prometheusrule.yaml"), b, 0o644) //nolint:gosec // a manifest, not a secret
}
