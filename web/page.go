package web

import (
	"embed"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/report"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"num": func(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) },
	"pct": func(v float64) string {
		// Clamped: a ratio far off the plan says as much at 100,000%, and
		// converting a larger float to int would print nonsense.
		return strconv.FormatFloat(math.Round(math.Max(-1e5, math.Min(1e5, v*100))), 'f', -1, 64) + "%"
	},
	"width": func(v, of float64) string {
		if of <= 0 {
			return "0"
		}
		return strconv.FormatFloat(math.Max(0, math.Min(100, 100*v/of)), 'f', 1, 64)
	},
	"toward": toward,
	"date":   func(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02 15:04") },
	// day is the day a due time ends: due 2026-07-31 falls due at 08-01 00:00.
	"day": func(t time.Time, loc *time.Location) string {
		return t.In(loc).Add(-time.Nanosecond).Format(time.DateOnly)
	},
	"spark":   sparkline,
	"kpiPath": kpiPath,
	"advice":  func(k snapshot.KPIState, loc *time.Location) string { return plan.Advice(k.Evaluation, loc) },
	"days": func(t, from time.Time) string {
		d := t.Sub(from).Hours() / 24
		if d < 0 {
			return "due"
		}
		return strconv.Itoa(int(math.Ceil(d))) + " days left"
	},
}).Parse(pageHTML))

// toward is how far v has come toward the KPI's next target, as a bar
// width in percent: from 0 up to the target, or, where lower is better,
// from the baseline down to it.
func toward(k snapshot.KPIState, v float64) string {
	from, to := 0.0, k.Target
	if k.Direction == vocab.Down {
		from = k.Baseline
	}
	if to == from {
		return "0"
	}
	return strconv.FormatFloat(math.Max(0, math.Min(100, 100*(v-from)/(to-from))), 'f', 1, 64)
}

type pageData struct {
	Snap *snapshot.Snapshot
	// Missing is the shards whose parts of the plan did not come.
	Missing  []report.Missing
	Loc      *time.Location
	Elapsed  float64
	Channels []pageChannel
}

type pageChannel struct {
	snapshot.ChannelState
	KPIs []snapshot.KPIState
}

// statusPageCSP lets the page load nothing but its own stylesheet and
// script and talk to nothing but its own origin: no inline script, no
// framework, no external font, no framing. Style attributes (the bars'
// widths) are the one inline allowance; they cannot run code.
const statusPageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; " +
	"connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

//go:embed static
var static embed.FS

// staticFiles serves the page's stylesheet and script.
var staticFiles = http.FileServerFS(static)

func (s *Server) statusPage(w http.ResponseWriter, r *http.Request) {
	snap, missing := s.whole(w, r)
	if snap == nil {
		return
	}
	d := pageData{Snap: snap, Missing: missing, Loc: snap.Plan.StartTime.Location()}
	if span := snap.Plan.EndTime.Sub(snap.Plan.StartTime); span > 0 {
		d.Elapsed = math.Max(0, math.Min(1, float64(snap.At.Sub(snap.Plan.StartTime))/float64(span)))
	}
	byChannel := map[string]*pageChannel{}
	for _, c := range snap.Channels {
		byChannel[c.Name] = &pageChannel{ChannelState: c}
	}
	for _, k := range snap.KPIs {
		if pc, ok := byChannel[k.Channel]; ok {
			pc.KPIs = append(pc.KPIs, k)
		}
	}
	for _, c := range snap.Channels {
		d.Channels = append(d.Channels, *byChannel[c.Name])
	}
	sort.SliceStable(d.Channels, func(i, j int) bool { return len(d.Channels[i].KPIs) > 0 && len(d.Channels[j].KPIs) == 0 })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", statusPageCSP)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if err := page.Execute(w, d); err != nil {
		s.Logger.Error("rendering the status page failed", "err", err)
	}
}

// sparkline draws, as inline SVG, a KPI's values (solid) over its glide path
// (dashed), from the plan's start to its end. Only numbers go into the
// markup, so it is safe to mark as HTML.
func sparkline(k snapshot.KPIState, start, end time.Time) template.HTML {
	const w, h = 300.0, 60.0
	span := end.Sub(start).Seconds()
	if span <= 0 {
		return ""
	}
	recent := k.Recent.Points()
	glide := []plan.Point{{Time: start, Value: k.Baseline}}
	for _, m := range k.Milestones {
		glide = append(glide, plan.Point{Time: m.Due, Value: m.Target})
	}
	if last := glide[len(glide)-1]; last.Time.Before(end) {
		glide = append(glide, plan.Point{Time: end, Value: last.Value})
	}
	lo, hi := 0.0, 0.0
	for _, ps := range [][]plan.Point{glide, recent} {
		for _, p := range ps {
			lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
		}
	}
	if hi == lo {
		hi = lo + 1
	}
	line := func(ps []plan.Point) string {
		var b strings.Builder
		for _, p := range ps {
			x := math.Max(0, math.Min(w, w*p.Time.Sub(start).Seconds()/span))
			// Halves first: hi-lo of two huge finite values would overflow.
			y := h - 2 - (h-4)*(p.Value/2-lo/2)/(hi/2-lo/2)
			fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
		}
		return strings.TrimSpace(b.String())
	}
	svg := fmt.Sprintf(`<svg class="spark" viewBox="0 0 %.0f %.0f" preserveAspectRatio="none" role="img" aria-label="%s: values over the glide path">`+
		`<polyline points="%s" fill="none" stroke="#8a94a6" stroke-width="1.5" stroke-dasharray="4 3"/>`, w, h, template.HTMLEscapeString(k.Name), line(glide))
	if len(recent) > 0 {
		last := line(recent[len(recent)-1:])
		x, y, _ := strings.Cut(last, ",")
		svg += fmt.Sprintf(`<polyline points="%s" fill="none" stroke="#1d2330" stroke-width="2"/><circle cx="%s" cy="%s" r="3" fill="#1d2330"/>`, line(recent), x, y)
	}
	return template.HTML(svg + `</svg>`) //nolint:gosec // numbers and an escaped name only
}
