package chart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var stockholm = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		panic(err)
	}
	return loc
}()

// day is 24:00 of a plan's day in Stockholm: where a due date falls due.
func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d+1, 0, 0, 0, 0, stockholm) }

var h2 = snapshot.PlanInfo{Name: "acme-2026-h2", Goal: "brand_awareness", Timezone: "Europe/Stockholm", Start: "2026-07-01", End: "2026-12-31",
	StartTime: time.Date(2026, 7, 1, 0, 0, 0, 0, stockholm), EndTime: time.Date(2027, 1, 1, 0, 0, 0, 0, stockholm)}

// daily is a count read every day at 06:00 from July 1 up to at, growing
// by perDay from base.
func daily(base, perDay float64, at time.Time) []plan.Point {
	var out []plan.Point
	for t := time.Date(2026, 7, 1, 6, 0, 0, 0, stockholm); !t.After(at); t = t.AddDate(0, 0, 1) {
		out = append(out, plan.Point{Time: t, Value: math.Round(base + perDay*t.Sub(h2.StartTime).Hours()/24)})
	}
	return out
}

// evaluated is the KPI as the engine publishes it at at: evaluated by the
// plan, with the values spread over the plan as the sparkline keeps them.
func evaluated(name, metric string, count vocab.Count, manual bool, ms []vocab.Milestone, readings []plan.Point, at time.Time) snapshot.KPIState {
	k := plan.KPI{Count: count, Tolerance: 0.05, Milestones: ms, KeptByHand: manual, Interval: 24 * time.Hour}
	if manual && len(readings) > 0 && readings[0].Time.After(h2.StartTime) {
		// As the engine does: counts kept by hand start from nothing.
		readings = append([]plan.Point{{Time: h2.StartTime, Value: 0}}, readings...)
	}
	ev := plan.Evaluate(h2.StartTime, k, readings, at)
	var recent []plan.Point
	prev := -1
	for i := range snapshot.SparkPoints - 1 {
		t := h2.StartTime.Add(time.Duration(float64(h2.EndTime.Sub(h2.StartTime)) * float64(i) / float64(snapshot.SparkPoints-2)))
		if t.After(at) {
			break
		}
		j := len(upTo(readings, t)) - 1
		if j < 0 || j == prev {
			continue
		}
		recent = append(recent, plan.Point{Time: readings[j].Time, Value: readings[j].Value - ev.Reference})
		prev = j
	}
	if last := len(upTo(readings, at)) - 1; last >= 0 && last != prev {
		recent = append(recent, plan.Point{Time: readings[last].Time, Value: readings[last].Value - ev.Reference})
	}
	return snapshot.KPIState{KPI: &snapshot.KPI{Name: name, Channel: "c", Account: "a", Metric: metric, Count: count, Tolerance: 0.05, Milestones: ms, Manual: manual}, Evaluation: ev, Recent: snapshot.SparkOf(recent)}
}

type chartCase struct {
	name string
	kpi  snapshot.KPIState
	at   time.Time
}

func cases() []chartCase {
	subs := []vocab.Milestone{{Due: day(2026, 7, 31), Target: 1200}, {Due: day(2026, 9, 30), Target: 1500}, {Due: day(2026, 12, 31), Target: 2000}}
	rel := []vocab.Milestone{{Due: day(2026, 7, 31), Target: 5}, {Due: day(2026, 8, 31), Target: 8}, {Due: day(2026, 10, 31), Target: 12}}
	// Relationships recorded by hand: a few, on odd days.
	var byHand []plan.Point
	total := 0.0
	for _, d := range []struct {
		m    time.Month
		d, n int
	}{{7, 3, 1}, {7, 20, 2}, {8, 14, 1}, {9, 2, 3}, {9, 29, 1}, {10, 12, 2}} {
		total += float64(d.n)
		byHand = append(byHand, plan.Point{Time: time.Date(2026, d.m, d.d, 15, 30, 0, 0, stockholm), Value: total})
	}
	at := time.Date(2026, 10, 20, 12, 0, 0, 0, stockholm)
	return []chartCase{
		// Subscribers read every day: on track in July, falling behind,
		// the September milestone missed, the forecast short of December's.
		{"scheduled", evaluated("youtube_subscribers", "subscribers", vocab.Total, false, subs, daily(1000, 3.2, at), at), at},
		// Relationships kept by hand: a step line up to today; July's five
		// and August's eight reached late (by the plan's rule, reached).
		{"by_hand", evaluated("new <relationships> & \"friends\"", "relationships", vocab.Growth, true, rel, byHand, at), at},
		// No reading yet, a week into the plan.
		{"no_data", evaluated("x_followers", "followers", vocab.Growth, false, subs[:1], nil, time.Date(2026, 7, 8, 9, 0, 0, 0, stockholm)), time.Date(2026, 7, 8, 9, 0, 0, 0, stockholm)},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./chart -update rewrites it):\n%s", name, got)
	}
}

func TestSVGGolden(t *testing.T) {
	for _, tt := range cases() {
		for _, size := range []struct {
			suffix string
			o      Options
		}{{"", Options{Width: 720, Height: 320}}, {"_narrow", Options{Width: 360, Height: 260}}} {
			t.Run(tt.name+size.suffix, func(t *testing.T) {
				var b bytes.Buffer
				if err := FromKPI(h2, tt.kpi, tt.at).SVG(&b, size.o); err != nil {
					t.Fatal(err)
				}
				golden(t, tt.name+size.suffix+".svg", b.Bytes())
				wellFormed(t, b.Bytes())
			})
		}
	}
}

// wellFormed parses the SVG as XML, checks that nothing in it is a script,
// a style, an id or a reference, and that every name is escaped.
func wellFormed(t *testing.T, svg []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	dec.Strict = true
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			depth++
			switch se.Name.Local {
			case "script", "style", "image", "use", "a", "foreignObject":
				t.Errorf("the SVG holds a <%s>", se.Name.Local)
			}
			for _, a := range se.Attr {
				if a.Name.Local == "id" || a.Name.Local == "href" || a.Name.Local == "style" || strings.HasPrefix(a.Name.Local, "on") || strings.Contains(a.Value, "url(") {
					t.Errorf("the SVG's <%s> has %s=%q", se.Name.Local, a.Name.Local, a.Value)
				}
			}
		}
	}
	if depth == 0 {
		t.Error("the SVG has no element")
	}
	if bytes.Contains(svg, []byte("<relationships>")) {
		t.Error("a KPI's name is not escaped")
	}
}

// The SVG holds what the chart shows: hover text on each point, each
// milestone with its state, the forecast, today; dates in the plan's zone.
func TestSVGSays(t *testing.T) {
	cs := cases()
	tests := []struct {
		c    chartCase
		want []string
	}{
		{cs[0], []string{
			`<title>youtube_subscribers: subscribers over the plan&#39;s glide path</title>`,
			`<title>2026-07-09 06:00: 1026 subscribers</title>`,
			`<title>milestone: 1200 subscribers by the end of 2026-07-31, reached</title>`,
			`<title>milestone: 1500 subscribers by the end of 2026-09-30, missed</title>`,
			`<title>milestone: 2000 subscribers by the end of 2026-12-31, next</title>`,
			`<title>forecast: 1588.91 subscribers by the end of 2026-12-31</title>`,
			`<title>today, 2026-10-20 12:00</title>`,
			`>Jul 2026</text>`, `>Aug</text>`, `>Dec</text>`, `>missed</text>`,
		}},
		{cs[1], []string{
			`aria-label="new &lt;relationships&gt; &amp; &#34;friends&#34;: relationships over the plan&#39;s glide path"`,
			`<title>2026-07-03 15:30: 1 relationships</title>`,
			`<title>milestone: 5 relationships by the end of 2026-07-31, reached</title>`, `>behind</text>`,
			`<title>milestone: 8 relationships by the end of 2026-08-31, reached</title>`,
			`<title>milestone: 12 relationships by the end of 2026-10-31, next</title>`,
		}},
		{cs[2], []string{`>no_data</text>`, `<title>milestone: 1200 followers by the end of 2026-07-31, next</title>`}},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := FromKPI(h2, tt.c.kpi, tt.c.at).SVG(&b, Options{}); err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: the SVG does not hold %s", tt.c.name, w)
			}
		}
	}
}

// The PNG decodes back at its size times the scale, with the shapes where
// the layout put them: the values' line in ink, the missed milestone's
// red, the background white.
func TestPNG(t *testing.T) {
	for _, tt := range cases() {
		sizes := []Options{{Width: 600, Height: 280}, {Width: 360, Height: 240}}
		if tt.name == "scheduled" {
			sizes = append(sizes, Options{Width: 600, Height: 280, Scale: 2}) // once: it is four times the work
		}
		for _, o := range sizes {
			t.Run(tt.name, func(t *testing.T) {
				c := FromKPI(h2, tt.kpi, tt.at)
				var b bytes.Buffer
				if err := c.PNG(&b, o); err != nil {
					t.Fatal(err)
				}
				img, err := png.Decode(&b)
				if err != nil {
					t.Fatalf("the PNG does not decode: %v", err)
				}
				scale := max(o.Scale, 1)
				if got := img.Bounds().Size(); got != image.Pt(int(float64(o.Width)*scale), int(float64(o.Height)*scale)) {
					t.Fatalf("the PNG is %v, want %dx%d × %g", got, o.Width, o.Height, scale)
				}
				if got := img.At(1, img.Bounds().Dy()/2); !same(got, white) {
					t.Errorf("the background at the left edge is %v", got)
				}
				s := c.layout(o)
				points, seen := 0, 0
				for i, sh := range s.shapes {
					if sh.kind != circle || sh.title == "" {
						continue
					}
					points++
					if covered(s.shapes[i+1:], sh.pts[0]) {
						continue
					}
					seen++
					// A point's center is drawn in its fill.
					p := image.Pt(int(sh.pts[0].x*scale), int(sh.pts[0].y*scale))
					if got := img.At(p.X, p.Y); !near(got, sh.fill) {
						t.Errorf("%s: at %v the PNG has %v, want %v", sh.title, p, got, sh.fill)
					}
				}
				if seen < points*3/4 {
					t.Errorf("only %d of %d points are in sight", seen, points)
				}
				for _, sh := range s.shapes {
					if sh.kind != polygon || !strings.Contains(sh.title, "milestone") {
						continue
					}
					// A diamond is filled in its state's color where
					// reached, else outlined in it.
					at, want := pt{(sh.pts[0].x + sh.pts[1].x) / 2, (sh.pts[0].y + sh.pts[1].y) / 2}, sh.stroke
					if sh.fill != white {
						at, want = pt{sh.pts[0].x, sh.pts[1].y}, sh.fill
					}
					p := image.Pt(int(at.x*scale), int(at.y*scale))
					if got := img.At(p.X, p.Y); !near(got, want) {
						t.Errorf("%s: at %v the PNG has %v, want %v", sh.title, p, got, want)
					}
				}
			})
		}
	}
}

// covered reports whether any of the shapes (drawn later) may cover p.
func covered(later []shape, p pt) bool {
	for _, sh := range later {
		x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, q := range sh.pts {
			x0, y0, x1, y1 = math.Min(x0, q.x), math.Min(y0, q.y), math.Max(x1, q.x), math.Max(y1, q.y)
		}
		pad := sh.width/2 + sh.r + 1
		if sh.kind == text {
			w := textWidth(sh.text, sh.size, sh.bold)
			switch sh.anchor {
			case "middle":
				x0 -= w / 2
			case "end":
				x0 -= w
			}
			x1, y0 = x0+w, y0-sh.size
		}
		if p.x >= x0-pad && p.x <= x1+pad && p.y >= y0-pad && p.y <= y1+pad {
			return true
		}
	}
	return false
}

func same(c color.Color, want color.RGBA) bool { return near(c, want) }

// near reports whether c is want, give or take antialiasing.
func near(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	d := func(a uint32, w uint8) float64 { return math.Abs(float64(a>>8) - float64(w)) }
	return d(r, want.R)+d(g, want.G)+d(b, want.B) < 60
}

// The value axis is round; the date axis in the plan's zone reads months
// over half a year, weeks over a month, quarters over years.
func TestTicks(t *testing.T) {
	tests := []struct {
		name     string
		from, to time.Time
		n        int
		want     string
	}{
		{"half a year", h2.StartTime, h2.EndTime, 10, "Jul 2026 Aug Sep Oct Nov Dec Jan 2027"},
		{"half a year, narrow", h2.StartTime, h2.EndTime, 5, "Jul 2026 Sep Nov Jan 2027"},
		{"a month", h2.StartTime, time.Date(2026, 8, 1, 0, 0, 0, 0, stockholm), 10, "Jul 6 Jul 13 Jul 20 Jul 27"},
		{"two years", h2.StartTime, time.Date(2028, 7, 1, 0, 0, 0, 0, stockholm), 10, "Jul 2026 Oct Jan 2027 Apr Jul Oct Jan 2028 Apr Jul"},
	}
	for _, tt := range tests {
		var labels []string
		for _, tk := range timeTicks(tt.from, tt.to, stockholm, tt.n) {
			if tk.t.Location() != stockholm || tk.t.Hour() != 0 {
				t.Errorf("%s: tick %v is not midnight in the plan's zone", tt.name, tk.t)
			}
			labels = append(labels, tk.label)
		}
		if got := strings.Join(labels, " "); got != tt.want {
			t.Errorf("%s: ticks %q, want %q", tt.name, got, tt.want)
		}
	}
	for _, tt := range []struct {
		lo, hi float64
		want   string
	}{
		{0, 12, "0 5 10 15"},
		{1000, 2000, "1000 1200 1400 1600 1800 2000"},
		{0, 250000, "0 50k 100k 150k 200k 250k"},
		{0.18, 0.26, "0.18 0.20 0.22 0.24 0.26"},
		{7, 7, "0 2 4 6 8"},
		{-1e308, 1e308, "-1e+308 -5e+307 0 5e+307 1e+308"},
		{0, 0, "0.0 0.2 0.4 0.6 0.8 1.0"},
	} {
		ticks, step := valueTicks(tt.lo, tt.hi, 5)
		var labels []string
		for _, v := range ticks {
			labels = append(labels, tickLabel(v, step))
		}
		if got := strings.Join(labels, " "); got != tt.want {
			t.Errorf("ticks over %g..%g: %q, want %q", tt.lo, tt.hi, got, tt.want)
		}
	}
}
