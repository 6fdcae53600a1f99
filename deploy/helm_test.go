package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"sigs.k8s.io/yaml"
)

const chartDir = "helm/kpi-collector"

// kubeVersion is the cluster the chart is rendered for.
var kubeVersion = &chartutil.KubeVersion{Version: "v1.32.0", Major: "1", Minor: "32"}

// readValues reads a values file ("" for the chart's defaults alone).
func readValues(t *testing.T, file string) map[string]any {
	t.Helper()
	values := map[string]any{}
	if file == "" {
		return values
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &values); err != nil {
		t.Fatal(err)
	}
	return values
}

// helmTemplate renders the chart as `helm template` does, with Helm's own
// library, and decodes every object strictly.
func helmTemplate(t *testing.T, valuesFile string) rendered {
	t.Helper()
	chart, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	install := action.NewInstall(&action.Configuration{})
	install.DryRun, install.ClientOnly, install.Replace = true, true, true
	install.ReleaseName, install.Namespace = "kpi-collector", "monitoring"
	install.KubeVersion = kubeVersion
	rel, err := install.Run(chart, readValues(t, valuesFile))
	if err != nil {
		t.Fatalf("helm template %s: %v", valuesFile, err)
	}
	return decodeObjects(t, "helm template "+valuesFile, []byte(rel.Manifest))
}

// The chart lints clean (helm lint, its Go library).
func TestHelmLint(t *testing.T) {
	for _, values := range []string{"", filepath.Join(chartDir, "values-sharded.yaml")} {
		linter := lint.AllWithKubeVersion(chartDir, readValues(t, values), "monitoring", kubeVersion)
		for _, m := range linter.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("helm lint %s: %s", values, m)
			}
		}
	}
}

// `helm template` with the default values: one replica with its volume,
// everything decoding into its type, no secret of the chart's own.
func TestHelmDefault(t *testing.T) {
	r := helmTemplate(t, "")
	if len(r.deployments) != 1 || len(r.statefulSets) != 0 || len(r.pvcs) != 2 {
		t.Fatalf("%d Deployments, %d StatefulSets, %d PVCs", len(r.deployments), len(r.statefulSets), len(r.pvcs))
	}
	if len(r.secrets) != 0 {
		t.Error("the chart ships a Secret")
	}
	checkInstall(t, r, 0)
	checkPod(t, r.deployments[0].Spec.Template.Spec, false)
	checkClaims(t, r.deployments[0].Spec.Template.Spec, r.pvcs)
	if rules := r.prometheusRules; len(rules) != 1 || len(rules[0].Spec.Groups) != 2 {
		t.Fatalf("PrometheusRules: %+v", rules)
	}
	for _, rule := range r.prometheusRules[0].Spec.Groups[1].Rules {
		if d := rule.Annotations["dashboard"]; !strings.HasPrefix(d, "/d/") {
			t.Errorf("%s links to %q, want a relative /d/ link by default", rule.Alert, d)
		}
	}
}

// `helm template -f values-sharded.yaml`: three shards in a StatefulSet
// behind a headless Service, every replica a peer, labels for
// kube-prometheus-stack and alert links on the Grafana given.
func TestHelmSharded(t *testing.T) {
	r := helmTemplate(t, filepath.Join(chartDir, "values-sharded.yaml"))
	if len(r.statefulSets) != 1 || len(r.deployments) != 0 {
		t.Fatalf("%d StatefulSets, %d Deployments", len(r.statefulSets), len(r.deployments))
	}
	sts := r.statefulSets[0]
	checkSharded(t, r, sts)
	checkInstall(t, r, 0)
	checkPod(t, sts.Spec.Template.Spec, true)
	checkClaims(t, sts.Spec.Template.Spec, sts.Spec.VolumeClaimTemplates)
	if sts.Spec.Template.Spec.Containers[0].EnvFrom[0].SecretRef.Name != "kpi-collector-credentials" {
		t.Error("the credentials do not come from the existing Secret")
	}
	if r.serviceMonitors[0].Labels["release"] != "kube-prometheus-stack" || r.prometheusRules[0].Labels["release"] != "kube-prometheus-stack" {
		t.Error("the release label is not set on the ServiceMonitor and PrometheusRule")
	}
	for _, rule := range r.prometheusRules[0].Spec.Groups[1].Rules {
		if d := rule.Annotations["dashboard"]; !strings.HasPrefix(d, "https://grafana.example.com/d/") {
			t.Errorf("%s links to %q", rule.Alert, d)
		}
	}
	names := []string{}
	for _, s := range r.services {
		names = append(names, s.Name)
	}
	if !slices.Contains(names, "kpi-collector-headless") {
		t.Errorf("services %v", names)
	}
}
