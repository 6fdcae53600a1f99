package web

import (
	_ "embed"
	"html/template"
	"math"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/kpi-collector/kpi-collector/engine"
)

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"num": func(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) },
	"pct": func(v float64) string { return strconv.Itoa(int(math.Round(v*100))) + "%" },
	"width": func(v, of float64) string {
		if of <= 0 {
			return "0"
		}
		return strconv.FormatFloat(math.Max(0, math.Min(100, 100*v/of)), 'f', 1, 64)
	},
	"date": func(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02 15:04") },
	// day is the day a due time ends: due 2026-07-31 falls due at 08-01 00:00.
	"day": func(t time.Time, loc *time.Location) string {
		return t.In(loc).Add(-time.Nanosecond).Format(time.DateOnly)
	},
	"days": func(t, from time.Time) string {
		d := t.Sub(from).Hours() / 24
		if d < 0 {
			return "due"
		}
		return strconv.Itoa(int(math.Ceil(d))) + " days left"
	},
}).Parse(pageHTML))

type pageData struct {
	Snap     *engine.Snapshot
	Loc      *time.Location
	Elapsed  float64
	Channels []pageChannel
}

type pageChannel struct {
	engine.ChannelState
	KPIs []engine.KPIState
}

func (s *Server) statusPage(w http.ResponseWriter, _ *http.Request) {
	snap := s.Engine.Snapshot()
	if snap == nil {
		http.Error(w, "Not ready: loading stored readings.", http.StatusServiceUnavailable)
		return
	}
	d := pageData{Snap: snap, Loc: snap.Plan.StartTime.Location()}
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
	if err := page.Execute(w, d); err != nil {
		s.Logger.Error("rendering the status page failed", "err", err)
	}
}
