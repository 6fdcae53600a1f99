package web

import (
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/chart"
	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/report"
	"github.com/kpi-collector/kpi-collector/snapshot"
)

//go:embed kpi.html
var kpiHTML string

// kpiTemplate is the page of one KPI. It shares the status page's functions
// (a clone of its template set).
var kpiTemplate = template.Must(template.Must(page.Clone()).New("kpi").Parse(kpiHTML))

// LastReadings is how many of a KPI's values its page lists.
const LastReadings = 12

type kpiData struct {
	Snap *snapshot.Snapshot
	Loc  *time.Location
	KPI  snapshot.KPIState
	Row  report.Row
	// Wide and Narrow are the chart for a screen and for a phone: the page's
	// style sheet shows one of them.
	Wide, Narrow template.HTML
	Milestones   []chart.Milestone
	Readings     []plan.Point
}

// kpiPath is the path of a KPI's page, relative to the status page, with
// the name escaped as one path segment.
func kpiPath(name string) string {
	p := url.PathEscape(name)
	if strings.Trim(p, ".") == "" {
		p = strings.ReplaceAll(p, ".", "%2E") // "." and ".." are names, not steps up
	}
	return "kpi/" + p
}

// kpiPage serves /kpi/<name>: the KPI's chart, its row of the report, its
// milestones, the advice and its last values, on any replica of a sharded
// plan. 404 for a name the plan does not have; 503 while a shard that may
// hold it does not answer.
func (s *Server) kpiPage(w http.ResponseWriter, r *http.Request) {
	snap, missing := s.whole(w, r)
	if snap == nil {
		return
	}
	name := r.PathValue("name")
	i := slices.IndexFunc(snap.KPIs, func(k snapshot.KPIState) bool { return k.Name == name })
	if i < 0 {
		w.Header().Set("Content-Security-Policy", statusPageCSP)
		if len(missing) > 0 {
			shards := make([]string, len(missing))
			for j, m := range missing {
				shards[j] = strconv.Itoa(m.Shard)
			}
			which := "shard " + shards[0] + " of the plan did not answer: it may be its."
			if len(shards) > 1 {
				which = "shards " + strings.Join(shards, ", ") + " of the plan did not answer: it may be theirs."
			}
			http.Error(w, "No KPI of that name here, and "+which, http.StatusServiceUnavailable)
			return
		}
		http.Error(w, "The plan has no KPI of that name.", http.StatusNotFound)
		return
	}
	k := snap.KPIs[i]
	c := chart.FromKPI(snap.Plan, k, snap.At)
	var wide, narrow strings.Builder
	if err := c.SVG(&wide, chart.Options{Width: 720, Height: 320}); err != nil {
		s.Logger.Error("drawing a KPI's chart failed", "kpi", k.Name, "err", err)
	}
	if err := c.SVG(&narrow, chart.Options{Width: 340, Height: 280}); err != nil {
		s.Logger.Error("drawing a KPI's chart failed", "kpi", k.Name, "err", err)
	}
	d := kpiData{Snap: snap, Loc: snap.Plan.StartTime.Location(), KPI: k, Row: report.Build(&snapshot.Snapshot{At: snap.At, Plan: snap.Plan, KPIs: []snapshot.KPIState{k}}).KPIs[0],
		Wide: template.HTML(wide.String()), Narrow: template.HTML(narrow.String()), //nolint:gosec // the chart package escapes every name it writes
		Milestones: c.Milestones}
	recent := k.Recent.Points()
	for j := len(recent) - 1; j >= 0 && len(d.Readings) < LastReadings; j-- {
		d.Readings = append(d.Readings, recent[j])
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", statusPageCSP)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if err := kpiTemplate.Execute(w, d); err != nil {
		s.Logger.Error("rendering a KPI's page failed", "kpi", k.Name, "err", err)
	}
}
