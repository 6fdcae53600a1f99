package chart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// FuzzChart draws charts of arbitrary values, names and spans: the SVG is
// always well-formed XML, every coordinate a number, and the PNG encodes.
func FuzzChart(f *testing.F) {
	f.Add("relationships", 0.0, 5.0, 12.0, int64(184*24), int64(30*24), true)
	f.Add("<a href='x'>&</a>", -3.5, 1e308, -1e308, int64(1), int64(0), false)
	f.Add("\x00\xff\ufffe", math.Inf(1), math.NaN(), 0.0, int64(-5), int64(100), true)
	f.Add("share", 0.18, 0.26, 0.25, int64(3*365*24), int64(400*24), false)
	f.Fuzz(func(t *testing.T, name string, v1, v2, target float64, spanHours, dueHours int64, step bool) {
		start := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
		end := start.Add(time.Duration(spanHours) * time.Hour)
		due := start.Add(time.Duration(dueHours) * time.Hour)
		c := Chart{Name: name, Metric: name, Loc: time.UTC, From: start, To: end, At: start.Add(time.Duration(spanHours/2) * time.Hour),
			Status: vocab.Behind, Step: step,
			Values:      []plan.Point{{Time: start.Add(time.Hour), Value: v1}, {Time: start.Add(2 * time.Hour), Value: v2}},
			Glide:       []plan.Point{{Time: start, Value: 0}, {Time: due, Value: target}},
			Milestones:  []Milestone{{Due: due, Target: target, State: Missed}},
			HasForecast: true, Value: v2, Due: due, Forecast: v1 * 2}
		var b bytes.Buffer
		if err := c.SVG(&b, Options{Width: 300, Height: 150}); err != nil {
			t.Fatal(err)
		}
		svg := b.String()
		dec := xml.NewDecoder(&b)
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("the SVG is not well-formed: %v", err)
			}
			if se, ok := tok.(xml.StartElement); ok {
				for _, a := range se.Attr {
					if a.Name.Local != "aria-label" && (strings.Contains(a.Value, "NaN") || strings.Contains(a.Value, "Inf")) {
						t.Fatalf("the SVG places something at no number: <%s %s=%q>\n%s", se.Name.Local, a.Name.Local, a.Value, svg)
					}
				}
			}
		}
		if err := c.PNG(io.Discard, Options{Width: 200, Height: 120}); err != nil {
			t.Fatal(err)
		}
	})
}
