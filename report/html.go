package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/chart"
	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/snapshot"
)

//go:embed html.tmpl
var htmlReport string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"short": short,
	"pct": func(v *float64) string {
		if v == nil {
			return "-"
		}
		return strconv.FormatFloat(math.Round(math.Max(-1e5, math.Min(1e5, *v*100))), 'f', -1, 64) + "%"
	},
	"width": func(v float64) string { return strconv.FormatFloat(math.Max(0, math.Min(100, v*100)), 'f', 1, 64) },
	"day":   func(t time.Time, loc *time.Location) string { return dueDay(t.In(loc)) },
	"due": func(s string) string {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return dueDay(t)
		}
		return "-"
	},
	"num": func(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) },
	// when writes the report's moment for people: 2026-10-20 12:00.
	"when": func(s string) string {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.Format("2006-01-02 15:04")
		}
		return s
	},
}).Parse(htmlReport))

// htmlDoc is what the HTML report shows.
type htmlDoc struct {
	Document
	Loc      *time.Location
	Elapsed  float64
	Counts   string
	Channels []htmlChannel
}

type htmlChannel struct {
	Name, Type string
	KPIs       []htmlKPI
}

type htmlKPI struct {
	Row
	Manual     bool
	Chart      template.HTML
	Milestones []chart.Milestone
}

// WriteHTML writes the report as one self-contained HTML file to send: the
// plan and a table of every KPI, then each channel on its own page with
// each KPI's chart, figures, milestones and advice. The style sheet and the
// charts (SVG) are inline; it has no script and asks for nothing from
// anywhere (its own Content-Security-Policy says so to the browser), and it
// prints to PDF a channel a page.
func WriteHTML(w io.Writer, s *snapshot.Snapshot) error {
	doc := Build(s)
	loc := s.Plan.StartTime.Location()
	d := htmlDoc{Document: doc, Loc: loc}
	if span := s.Plan.EndTime.Sub(s.Plan.StartTime); span > 0 {
		d.Elapsed = math.Max(0, math.Min(1, float64(s.At.Sub(s.Plan.StartTime))/float64(span)))
	}
	counts := map[string]int{}
	for _, r := range doc.KPIs {
		counts[r.Status]++
	}
	var parts []string
	for _, st := range plan.Statuses {
		if n := counts[string(st)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(string(st), "_", " ")))
		}
	}
	d.Counts = strings.Join(parts, " · ")

	// Channels by name, as the status page lists them, each with its KPIs
	// in the plan's order.
	index := map[string]int{}
	types := map[string]string{}
	for _, c := range s.Channels {
		types[c.Name] = c.Type
	}
	for i, k := range s.KPIs {
		j, ok := index[k.Channel]
		if !ok {
			j = len(d.Channels)
			index[k.Channel] = j
			d.Channels = append(d.Channels, htmlChannel{Name: k.Channel, Type: types[k.Channel]})
		}
		c := chart.FromKPI(s.Plan, k, s.At)
		var svg strings.Builder
		if err := c.SVG(&svg, chart.Options{Width: 720, Height: 300}); err != nil {
			return fmt.Errorf("drawing the chart of %s: %w", k.Name, err)
		}
		d.Channels[j].KPIs = append(d.Channels[j].KPIs, htmlKPI{Row: doc.KPIs[i], Manual: k.Manual,
			Chart:      template.HTML(svg.String()), //nolint:gosec // the chart package escapes every name it writes
			Milestones: c.Milestones})
	}
	slices.SortStableFunc(d.Channels, func(a, b htmlChannel) int { return strings.Compare(a.Name, b.Name) })
	return htmlTemplate.Execute(w, d)
}
