package rules

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

var mixin = filepath.Join("..", "..", "mixin")

// The shipped rule files are what the mixin renders: make generate was run.
func TestShippedFilesAreRenderedFromTheMixin(t *testing.T) {
	for file, render := range map[string]func(string) ([]byte, error){
		filepath.Join("..", "..", "prometheus", "rules", "kpi.yml"):                  RuleFile,
		filepath.Join("..", "..", "kubernetes", "base", "prometheusrule.yaml"):       PrometheusRule,
		filepath.Join("..", "..", "helm", "kpi-collector", "files", "kpi-rules.yml"): RuleFile,
	} {
		want, err := render(mixin)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what the mixin renders: run make generate", file)
		}
	}
}

// The mixin renders the same with the jsonnet command (Debian's C++
// jsonnet) as with go-jsonnet, where the command is installed (CI installs
// it): it is plain jsonnet, not a dialect of one implementation.
func TestMixinRendersWithTheJsonnetCommand(t *testing.T) {
	bin, err := exec.LookPath("jsonnet")
	if err != nil {
		t.Skip("jsonnet is not installed (Debian: apt-get install jsonnet)")
	}
	for _, field := range []string{"prometheusRules", "prometheusAlerts", "grafanaDashboards"} {
		expr := "(import 'mixin.libsonnet')." + field
		cmd := exec.Command(bin, "-J", mixin, "-e", expr)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("jsonnet -e %s: %v", expr, err)
		}
		ours, err := Render(mixin, expr)
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		if err := json.Unmarshal(out, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(ours, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: jsonnet and go-jsonnet disagree", field)
		}
	}
}

// Every alert links to its runbook section, and every section exists.
func TestEveryAlertHasARunbook(t *testing.T) {
	out, err := Render(mixin, "(import 'mixin.libsonnet').prometheusAlerts.groups")
	if err != nil {
		t.Fatal(err)
	}
	var groups []struct {
		Rules []struct {
			Alert       string            `json:"alert"`
			Annotations map[string]string `json:"annotations"`
		} `json:"rules"`
	}
	if err := json.Unmarshal(out, &groups); err != nil {
		t.Fatal(err)
	}
	runbooks, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "runbooks.md"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range groups {
		for _, r := range g.Rules {
			n++
			url := r.Annotations["runbook_url"]
			if want := "https://github.com/kpi-collector/kpi-collector/blob/main/docs/runbooks.md#" + lower(r.Alert); url != want {
				t.Errorf("%s: runbook_url %q, want %q", r.Alert, url, want)
			}
			if !bytes.Contains(runbooks, []byte("\n## "+r.Alert+"\n")) {
				t.Errorf("docs/runbooks.md has no section ## %s", r.Alert)
			}
		}
	}
	if n < 7 {
		t.Errorf("only %d alerts", n)
	}
}

func lower(s string) string { return string(bytes.ToLower([]byte(s))) }
