package chart

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"time"

	"github.com/kpi-collector/kpi-collector/vocab"
)

// Options sizes a chart.
type Options struct {
	// Width and Height are the chart's size in CSS pixels (default 720 ×
	// 320). Below 480 wide the layout tightens for a phone.
	Width, Height int
	// Scale, for PNG only, is device pixels per CSS pixel (default 1).
	Scale float64
}

func (o Options) size() (float64, float64) {
	w, h := o.Width, o.Height
	if w <= 0 {
		w = 720
	}
	if h <= 0 {
		h = 320
	}
	return float64(max(w, 160)), float64(max(h, 120))
}

// The primitives a chart is laid out in: the SVG writer and the rasterizer
// draw exactly these.
type kind int

const (
	polyline kind = iota // open line through pts
	polygon              // filled shape through pts
	circle               // at pts[0], radius r
	text                 // at pts[0] (the baseline), anchored
)

type pt struct{ x, y float64 }

type shape struct {
	kind   kind
	pts    []pt
	r      float64
	stroke color.RGBA // zero alpha: none
	width  float64
	dash   []float64
	fill   color.RGBA // zero alpha: none
	// text
	text   string
	size   float64
	anchor string // start, middle, end
	bold   bool
	// title is the hover text.
	title string
}

// scene is a chart laid out: its size, what it says of itself, and its
// shapes in drawing order.
type scene struct {
	w, h   float64
	label  string
	shapes []shape
}

var (
	ink       = color.RGBA{0x1d, 0x23, 0x30, 0xff}
	muted     = color.RGBA{0x66, 0x66, 0x77, 0xff}
	gridColor = color.RGBA{0xe6, 0xe9, 0xee, 0xff}
	axisColor = color.RGBA{0xb8, 0xbf, 0xc9, 0xff}
	planColor = color.RGBA{0x8a, 0x94, 0xa6, 0xff}
	todayInk  = color.RGBA{0x3f, 0x51, 0xb5, 0xff}
	white     = color.RGBA{0xff, 0xff, 0xff, 0xff}
)

// statusColors follow the status page's.
var statusColors = map[vocab.Status]color.RGBA{
	vocab.Met: {0x2e, 0x7d, 0x32, 0xff}, vocab.Ahead: {0x2e, 0x7d, 0x32, 0xff},
	vocab.OnTrack: {0x00, 0x83, 0x8f, 0xff}, vocab.Behind: {0xef, 0x6c, 0x00, 0xff},
	vocab.Missed: {0xc6, 0x28, 0x28, 0xff}, vocab.NoData: {0x78, 0x90, 0x9c, 0xff},
}

var milestoneColors = map[MilestoneState]color.RGBA{
	Reached: {0x2e, 0x7d, 0x32, 0xff}, Missed: {0xc6, 0x28, 0x28, 0xff},
	Next: ink, Later: planColor, Open: planColor,
}

func statusColor(s vocab.Status) color.RGBA {
	if c, ok := statusColors[s]; ok {
		return c
	}
	return planColor
}

// layout places every part of the chart on a w × h canvas.
func (c Chart) layout(o Options) scene {
	w, h := o.size()
	loc := c.Loc
	if loc == nil {
		loc = time.UTC
	}
	narrow := w < 480
	font := 12.0
	s := scene{w: w, h: h, label: c.Name + ": " + c.Metric + " over the plan's glide path"}
	s.add(shape{kind: polygon, pts: []pt{{0, 0}, {w, 0}, {w, h}, {0, h}}, fill: white})

	from, to := c.From, c.To
	if !to.After(from) {
		to = from.Add(24 * time.Hour)
	}
	// The value axis covers every value, the glide path and the forecast.
	lo, hi := math.Inf(1), math.Inf(-1)
	see := func(v float64) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	for _, p := range c.Values {
		see(p.Value)
	}
	for _, p := range c.Glide {
		see(p.Value)
	}
	for _, m := range c.Milestones {
		see(m.Target)
	}
	if c.HasForecast {
		see(c.Value)
		see(c.Forecast)
	}
	if lo > hi {
		lo, hi = 0, 1
	}
	ticks, step := valueTicks(lo, hi, 5)
	lo, hi = ticks[0], ticks[len(ticks)-1]

	// Margins: the widest value label on the left, the legend on top, the
	// dates below.
	labelW := 0.0
	for _, v := range ticks {
		labelW = math.Max(labelW, textWidth(tickLabel(v, step), font, false))
	}
	left, right, top, bottom := labelW+12, 14.0, 2.2*font+6, 1.6*font+8
	plotW, plotH := w-left-right, h-top-bottom
	x := func(t time.Time) float64 {
		f := float64(t.Sub(from)) / float64(to.Sub(from))
		return left + plotW*math.Max(0, math.Min(1, f))
	}
	y := func(v float64) float64 {
		// Halves first: hi-lo of two huge finite values would overflow.
		return top + plotH - plotH*(v/2-lo/2)/(hi/2-lo/2)
	}

	// Grid and value labels.
	for _, v := range ticks {
		yy := y(v)
		s.add(shape{kind: polyline, pts: []pt{{left, yy}, {left + plotW, yy}}, stroke: gridColor, width: 1})
		s.add(shape{kind: text, pts: []pt{{left - 6, yy + font*0.35}}, text: tickLabel(v, step), size: font, anchor: "end", fill: muted})
	}
	// Date ticks, at most one per 64 px (narrow: 52 px).
	per := 64.0
	if narrow {
		per = 52
	}
	for _, tk := range timeTicks(from, to, loc, int(plotW/per)) {
		xx := x(tk.t)
		s.add(shape{kind: polyline, pts: []pt{{xx, top}, {xx, top + plotH + 4}}, stroke: gridColor, width: 1})
		if xx+textWidth(tk.label, font, false)+3 <= w {
			s.add(shape{kind: text, pts: []pt{{xx + 3, top + plotH + font + 6}}, text: tk.label, size: font, anchor: "start", fill: muted})
		}
	}
	s.add(shape{kind: polyline, pts: []pt{{left, top + plotH}, {left + plotW, top + plotH}}, stroke: axisColor, width: 1})

	// Legend.
	lx, ly := left, font+4
	legend := func(name string, sample shape) {
		sample.pts = []pt{{lx, ly - font*0.35}, {lx + 18, ly - font*0.35}}
		s.add(sample)
		s.add(shape{kind: text, pts: []pt{{lx + 22, ly}}, text: name, size: font, anchor: "start", fill: muted})
		lx += 22 + textWidth(name, font, false) + 14
	}
	legend("value", shape{kind: polyline, stroke: ink, width: 2})
	legend("plan", shape{kind: polyline, stroke: planColor, width: 1.5, dash: []float64{5, 3}})
	if c.HasForecast {
		legend("forecast", shape{kind: polyline, stroke: statusColor(c.Status), width: 2, dash: []float64{2, 3}})
	}
	if c.Status != "" && lx+textWidth(string(c.Status), font, true) <= w-right {
		s.add(shape{kind: text, pts: []pt{{w - right, ly}}, text: string(c.Status), size: font, anchor: "end", bold: true, fill: statusColor(c.Status)})
	}

	// Today.
	if !c.At.Before(from) && !c.At.After(to) {
		xx := x(c.At)
		title := "today, " + c.At.In(loc).Format("2006-01-02 15:04")
		s.add(shape{kind: polyline, pts: []pt{{xx, top - 2}, {xx, top + plotH}}, stroke: todayInk, width: 1, dash: []float64{1, 2}, title: title})
		anchor, tx := "middle", xx
		if tw := textWidth("today", font*0.9, false); xx+tw/2 > w-right {
			anchor, tx = "end", xx-3
		}
		s.add(shape{kind: text, pts: []pt{{tx, top - 4}}, text: "today", size: font * 0.9, anchor: anchor, fill: todayInk, title: title})
	}

	// The glide path.
	glide := make([]pt, 0, len(c.Glide))
	for _, p := range c.Glide {
		glide = append(glide, pt{x(p.Time), y(p.Value)})
	}
	if len(glide) > 1 {
		s.add(shape{kind: polyline, pts: glide, stroke: planColor, width: 1.5, dash: []float64{5, 3}, title: "the plan's glide path"})
	}

	// The forecast, from now to the next due date.
	if c.HasForecast {
		fc := statusColor(c.Status)
		title := fmt.Sprintf("forecast: %s %s by the end of %s", valueText(c.Forecast), c.Metric, dueDay(c.Due, loc))
		s.add(shape{kind: polyline, pts: []pt{{x(c.At), y(c.Value)}, {x(c.Due), y(c.Forecast)}}, stroke: fc, width: 2, dash: []float64{2, 3}, title: title})
		s.add(shape{kind: circle, pts: []pt{{x(c.Due), y(c.Forecast)}}, r: 3.5, stroke: fc, width: 1.5, fill: white, title: title})
	}

	// The values.
	if len(c.Values) > 0 {
		line := make([]pt, 0, 2*len(c.Values)+1)
		for i, p := range c.Values {
			if c.Step && i > 0 {
				line = append(line, pt{x(p.Time), line[len(line)-1].y})
			}
			line = append(line, pt{x(p.Time), y(p.Value)})
		}
		if last := c.Values[len(c.Values)-1]; c.Step && c.At.After(last.Time) {
			line = append(line, pt{x(c.At), y(last.Value)})
		}
		if len(line) > 1 {
			s.add(shape{kind: polyline, pts: line, stroke: ink, width: 2})
		}
		r := 3.0
		if len(c.Values) > 40 {
			r = 2
		}
		for _, p := range c.Values {
			title := fmt.Sprintf("%s: %s %s", p.Time.In(loc).Format("2006-01-02 15:04"), valueText(p.Value), c.Metric)
			s.add(shape{kind: circle, pts: []pt{{x(p.Time), y(p.Value)}}, r: r, fill: ink, stroke: white, width: 1, title: title})
		}
	}

	// The milestones: a diamond each, filled where reached, a cross where
	// missed, hollow while ahead; its target written above it.
	for _, m := range c.Milestones {
		mx, my := x(m.Due), y(m.Target)
		col := milestoneColors[m.State]
		title := fmt.Sprintf("milestone: %s %s by the end of %s, %s", valueText(m.Target), c.Metric, dueDay(m.Due, loc), m.State)
		const d = 6.0
		diamond := []pt{{mx, my - d}, {mx + d, my}, {mx, my + d}, {mx - d, my}}
		switch m.State {
		case Reached:
			s.add(shape{kind: polygon, pts: diamond, fill: col, stroke: white, width: 1, title: title})
		case Missed:
			s.add(shape{kind: polygon, pts: diamond, fill: white, stroke: col, width: 2, title: title})
			s.add(shape{kind: polyline, pts: []pt{{mx - 3, my - 3}, {mx + 3, my + 3}}, stroke: col, width: 2, title: title})
			s.add(shape{kind: polyline, pts: []pt{{mx - 3, my + 3}, {mx + 3, my - 3}}, stroke: col, width: 2, title: title})
		default:
			s.add(shape{kind: polygon, pts: diamond, fill: white, stroke: col, width: 2, title: title})
		}
		label := targetLabel(m.Target)
		anchor, lx := "middle", mx
		if tw := textWidth(label, font*0.9, true); mx+tw/2 > w-2 {
			anchor, lx = "end", mx+d
		}
		ty := my - d - 4
		if ty < top-2 {
			ty = my + d + font
		}
		s.add(shape{kind: text, pts: []pt{{lx, ty}}, text: label, size: font * 0.9, anchor: anchor, bold: true, fill: col, title: title})
	}
	return s
}

func (s *scene) add(sh shape) { s.shapes = append(s.shapes, sh) }

// dueDay is the day a due time ends: due 2026-07-31 falls due at 08-01 00:00.
func dueDay(t time.Time, loc *time.Location) string {
	return t.In(loc).Add(-time.Nanosecond).Format(time.DateOnly)
}

// valueText is a value for hover text: up to two decimals.
func valueText(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}
