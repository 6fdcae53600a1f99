package dashboards

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/kpi-collector/kpi-collector/deploy/internal/rules"
)

// exported lists the metric names the collector exports (read from its
// exporter's source, the one place that names them) and the recording rules'.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "..", "metrics", "exporter.go"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{"kpi_collector_build_info": true, "up": true}
	for _, m := range regexp.MustCompile(`newDesc\("([a-z_:]+)"`).FindAllStringSubmatch(string(src), -1) {
		names[m[1]] = true
	}
	groups, err := rules.Groups(filepath.Join("..", "..", "mixin"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		for _, r := range g.(map[string]any)["rules"].([]any) {
			if rec, ok := r.(map[string]any)["record"]; ok {
				names[rec.(string)] = true
			}
		}
	}
	if len(names) < 20 {
		t.Fatalf("found only %d metric names; is exporter.go still the place that names them?", len(names))
	}
	return names
}

// Every panel's query parses, and uses only metrics the collector or the
// recording rules export.
func TestQueriesParseAndUseKnownMetrics(t *testing.T) {
	known := exported(t)
	files, _ := filepath.Glob(filepath.Join("..", "..", "grafana", "dashboards", "*.json"))
	if len(files) != 4 {
		t.Fatalf("found %d dashboards, want 4", len(files))
	}
	labelValues := regexp.MustCompile(`^label_values\((.+), (\w+)\)$`)
	for _, f := range files {
		panels, variables, err := Queries(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range variables {
			g := labelValues.FindStringSubmatch(v)
			if g == nil {
				t.Errorf("%s: variable query %q is not label_values(selector, label)", f, v)
				continue
			}
			panels = append(panels, g[1])
		}
		for _, q := range panels {
			expr, err := parser.NewParser(parser.Options{}).ParseExpr(Expand(q))
			if err != nil {
				t.Errorf("%s: %q does not parse: %v", f, q, err)
				continue
			}
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				if vs, ok := n.(*parser.VectorSelector); ok && !known[vs.Name] {
					t.Errorf("%s: %q uses %s, which nothing exports", f, q, vs.Name)
				}
				return nil
			})
		}
	}
}

// The committed dashboards are what the generator makes now.
func TestCommittedDashboardsAreCurrent(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(all))
	for name := range all {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want, err := JSON(all[name])
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("..", "..", "grafana", "dashboards", name))
		if err != nil || string(got) != string(want) {
			t.Errorf("grafana/dashboards/%s is not what the generator makes: run make generate", name)
		}
	}
}
