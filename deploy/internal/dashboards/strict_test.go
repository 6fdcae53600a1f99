package dashboards

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// Every shipped dashboard decodes with the Grafana Foundation SDK's strict
// decoder (required fields present, values within the schema, no unknown
// fields), has a datasource variable that every query uses (no uid written
// in), job and instance variables, and no two queries of a panel share a
// refId.
func TestDashboardsDecodeStrictly(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	files, _ := filepath.Glob(filepath.Join("..", "..", "grafana", "dashboards", "*.json"))
	if len(files) == 0 {
		t.Fatal("no dashboards")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var d dashboard.Dashboard
			// The decoder returns its error list as an error even when
			// the list is empty.
			if err := d.UnmarshalJSONStrict(raw); err != nil {
				if be, ok := err.(cog.BuildErrors); !ok || len(be) > 0 { //nolint:errorlint // the decoder's own type, not wrapped
					t.Fatalf("strict decoding: %v", err)
				}
			}
			var loose struct {
				Panels []struct {
					Title      string          `json:"title"`
					Datasource json.RawMessage `json:"datasource"`
					Targets    []struct {
						RefID      string `json:"refId"`
						Datasource struct {
							UID string `json:"uid"`
						} `json:"datasource"`
					} `json:"targets"`
				} `json:"panels"`
				Templating struct {
					List []struct {
						Name string `json:"name"`
						Type string `json:"type"`
					} `json:"list"`
				} `json:"templating"`
			}
			if err := json.Unmarshal(raw, &loose); err != nil {
				t.Fatal(err)
			}
			vars := map[string]string{}
			for _, v := range loose.Templating.List {
				vars[v.Name] = v.Type
			}
			for name, typ := range map[string]string{"datasource": "datasource", "job": "query", "instance": "query"} {
				if vars[name] != typ {
					t.Errorf("no %s variable %q (have %v)", typ, name, vars)
				}
			}
			if strings.Contains(string(raw), `"orientation": ""`) {
				t.Error(`an "orientation" is "", outside the schema (auto, horizontal, vertical)`)
			}
			for _, p := range loose.Panels {
				refs := map[string]bool{}
				for _, tg := range p.Targets {
					if tg.RefID == "" || refs[tg.RefID] {
						t.Errorf("panel %q: refId %q is empty or repeated", p.Title, tg.RefID)
					}
					refs[tg.RefID] = true
					if tg.Datasource.UID != "${datasource}" {
						t.Errorf("panel %q: a query's datasource uid is %q, want ${datasource}", p.Title, tg.Datasource.UID)
					}
				}
			}
		})
	}
}
