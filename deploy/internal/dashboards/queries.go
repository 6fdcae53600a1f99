package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Vars are sample values for the dashboards' template variables, as the
// tests set them.
var Vars = map[string]string{
	"$kpi": "youtube_subscribers", "$channel": "youtube", "$account": "UC_x5XG1OV2P6uZZ5FSM9Ttw", "$__rate_interval": "1m",
	"$job": "kpi-collector", "$instance": ".+", "$metric": "subscribers",
}

// Expand sets the template variables in a query.
func Expand(q string) string {
	for k, v := range Vars {
		q = strings.ReplaceAll(q, k, v)
	}
	return q
}

// Queries lists every panel query and variable query of a dashboard file.
func Queries(file string) (panels, variables []string, err error) {
	data, err := os.ReadFile(file) //nolint:gosec // the project's own dashboards
	if err != nil {
		return nil, nil, err
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			return nil, nil, fmt.Errorf("%s: panel %q has no query", file, p.Title)
		}
		for _, tg := range p.Targets {
			panels = append(panels, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		if q, ok := v.Query.(string); ok && v.Type == "query" {
			variables = append(variables, q)
		}
	}
	return panels, variables, nil
}
