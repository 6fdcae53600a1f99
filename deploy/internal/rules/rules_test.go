package rules

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The PrometheusRule carries exactly the groups of the Prometheus rule file.
func TestPrometheusRuleCarriesTheSameRules(t *testing.T) {
	source := filepath.Join("..", "..", "prometheus", "rules", "kpi.yml")
	want, err := Groups(source)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "kubernetes", "prometheusrule.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var pr struct {
		Kind string `yaml:"kind"`
		Spec struct {
			Groups []any `yaml:"groups"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(data, &pr); err != nil {
		t.Fatal(err)
	}
	if pr.Kind != "PrometheusRule" || !reflect.DeepEqual(pr.Spec.Groups, want) {
		t.Error("kubernetes/prometheusrule.yaml differs from prometheus/rules/kpi.yml: run make generate")
	}
	regenerated, err := PrometheusRule(source)
	if err != nil {
		t.Fatal(err)
	}
	if string(regenerated) != string(data) {
		t.Error("kubernetes/prometheusrule.yaml is not what the generator makes: run make generate")
	}
}
