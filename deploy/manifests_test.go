package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
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
