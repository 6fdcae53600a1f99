// Command generate writes the files of deploy/ that are derived from one
// source: the Grafana dashboards (from internal/dashboards), and the
// Prometheus rule file and the Kubernetes PrometheusRule (from the mixin,
// deploy/mixin). Run it with `go generate` in deploy/ (or `make generate` at
// the top).
package main

import (
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
		b, err := dashboards.JSON(d)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join("grafana", "dashboards", name), b, 0o644); err != nil { //nolint:gosec // dashboards are public files
			return err
		}
	}
	for file, render := range map[string]func(string) ([]byte, error){
		filepath.Join("prometheus", "rules", "kpi.yml"):                  rules.RuleFile,
		filepath.Join("kubernetes", "base", "prometheusrule.yaml"):       rules.PrometheusRule,
		filepath.Join("helm", "kpi-collector", "files", "kpi-rules.yml"): rules.RuleFile,
	} {
		b, err := render("mixin")
		if err != nil {
			return err
		}
		if err := os.WriteFile(file, b, 0o644); err != nil { //nolint:gosec // rules, not secrets
			return err
		}
	}
	return nil
}
