package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
)

func yamlDocs(t *testing.T, file string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []map[string]any
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, doc)
	}
}

func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// The kustomization names files that exist, and the Deployment runs the
// collector as the issue asks: non-root, read-only root, resources, probes.
func TestKubernetes(t *testing.T) {
	k := yamlDocs(t, "kubernetes/kustomization.yaml")[0]
	kinds := map[string]map[string]any{}
	for _, r := range k["resources"].([]any) {
		for _, doc := range yamlDocs(t, filepath.Join("kubernetes", r.(string))) {
			kinds[doc["kind"].(string)] = doc
		}
	}
	for _, want := range []string{"Namespace", "Secret", "PersistentVolumeClaim", "Deployment", "Service", "ServiceMonitor", "PrometheusRule"} {
		if kinds[want] == nil {
			t.Errorf("the kustomization has no %s", want)
		}
	}
	dep := kinds["Deployment"]
	c := dig(dep, "spec", "template", "spec", "containers", 0)
	checks := map[string]any{
		"runAsNonRoot":             dig(dep, "spec", "template", "spec", "securityContext", "runAsNonRoot"),
		"readOnlyRootFilesystem":   dig(c, "securityContext", "readOnlyRootFilesystem"),
		"liveness on /-/healthy":   dig(c, "livenessProbe", "httpGet", "path") == "/-/healthy",
		"readiness on /-/ready":    dig(c, "readinessProbe", "httpGet", "path") == "/-/ready",
		"memory limit":             dig(c, "resources", "limits", "memory") != nil,
		"store on the volume":      dig(c, "volumeMounts", 1, "mountPath") == "/var/lib/kpi-collector",
		"listens on 9469":          dig(c, "ports", 0, "containerPort") == 9469,
		"the plan from the config": strings.Contains(strings.Join(toStrings(dig(c, "args")), " "), "--config.file=/etc/kpi-collector/config.yml"),
	}
	for name, ok := range checks {
		if ok != true {
			t.Errorf("Deployment: %s is not so (%v)", name, ok)
		}
	}
	// The plan the ConfigMap carries is valid.
	data, err := os.ReadFile("kubernetes/plan.yml")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("KPI_RECORD_TOKEN", "x")
	if _, err := config.Load("kubernetes/plan.yml", data, collectors.Types()); err != nil {
		t.Errorf("kubernetes/plan.yml: %v", err)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

// Every file docker-compose.yml mounts exists, and it runs all four services.
func TestCompose(t *testing.T) {
	c := yamlDocs(t, "docker-compose.yml")[0]
	services := c["services"].(map[string]any)
	for _, name := range []string{"kpi-collector", "prometheus", "alertmanager", "grafana"} {
		s, ok := services[name].(map[string]any)
		if !ok {
			t.Errorf("no service %s", name)
			continue
		}
		for _, v := range toStrings(s["volumes"]) {
			src := strings.Split(v, ":")[0]
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(src); err != nil {
					t.Errorf("%s mounts %s, which does not exist", name, src)
				}
			}
		}
	}
	if ctx := dig(services, "kpi-collector", "build", "context"); ctx != ".." {
		t.Errorf("the collector is not built from the project's Dockerfile: context %v", ctx)
	}
	if _, err := os.Stat("../Dockerfile"); err != nil {
		t.Error(err)
	}
}

// The sharded variant: a StatefulSet whose replicas match --shard.count and
// whose pods take their shard from their ordinal.
func TestKubernetesSharded(t *testing.T) {
	k := yamlDocs(t, "kubernetes/sharded/kustomization.yaml")[0]
	var sts map[string]any
	for _, r := range k["resources"].([]any) {
		for _, doc := range yamlDocs(t, filepath.Join("kubernetes", "sharded", r.(string))) {
			if doc["kind"] == "StatefulSet" {
				sts = doc
			}
		}
	}
	if sts == nil {
		t.Fatal("no StatefulSet")
	}
	args := strings.Join(toStrings(dig(sts, "spec", "template", "spec", "containers", 0, "args")), " ")
	replicas := dig(sts, "spec", "replicas")
	if !strings.Contains(args, "--shard.count="+fmt.Sprint(replicas)) || !strings.Contains(args, "--shard.index=-1") {
		t.Errorf("args %q do not shard by ordinal over %v replicas", args, replicas)
	}
	if dig(sts, "spec", "volumeClaimTemplates", 0, "metadata", "name") != "data" {
		t.Error("each replica needs its own store volume")
	}
}
