package chart

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"
)

// SVG writes the chart as an SVG element with a viewBox of o's size, to be
// put inline in HTML or saved as a file. It holds no script, style sheet,
// id or outside reference.
func (c Chart) SVG(w io.Writer, o Options) error {
	s := c.layout(o)
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" role="img" aria-label="%s" font-family="Go, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif">`,
		num(s.w), num(s.h), escape(s.label))
	fmt.Fprintf(b, "<title>%s</title>\n", escape(s.label))
	for _, sh := range s.shapes {
		writeShape(b, sh)
	}
	b.WriteString("</svg>\n")
	return b.Flush()
}

func writeShape(b *bufio.Writer, sh shape) {
	var tag string
	switch sh.kind {
	case polyline, polygon:
		tag = "polyline"
		if sh.kind == polygon {
			tag = "polygon"
		}
		b.WriteString("<" + tag + ` points="`)
		for i, p := range sh.pts {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(num(p.x) + "," + num(p.y))
		}
		b.WriteByte('"')
	case circle:
		tag = "circle"
		fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="%s"`, num(sh.pts[0].x), num(sh.pts[0].y), num(sh.r))
	case text:
		tag = "text"
		fmt.Fprintf(b, `<text x="%s" y="%s" font-size="%s"`, num(sh.pts[0].x), num(sh.pts[0].y), num(sh.size))
		if sh.anchor != "" && sh.anchor != "start" {
			fmt.Fprintf(b, ` text-anchor="%s"`, sh.anchor)
		}
		if sh.bold {
			b.WriteString(` font-weight="bold"`)
		}
	}
	if sh.fill.A > 0 {
		fmt.Fprintf(b, ` fill="%s"`, hex(sh.fill))
	} else {
		b.WriteString(` fill="none"`)
	}
	if sh.stroke.A > 0 && sh.width > 0 {
		fmt.Fprintf(b, ` stroke="%s" stroke-width="%s"`, hex(sh.stroke), num(sh.width))
		if sh.kind == polyline {
			b.WriteString(` stroke-linejoin="round"`)
		}
		if len(sh.dash) > 0 {
			parts := make([]string, len(sh.dash))
			for i, d := range sh.dash {
				parts[i] = num(d)
			}
			fmt.Fprintf(b, ` stroke-dasharray="%s"`, strings.Join(parts, " "))
		}
	}
	b.WriteByte('>')
	if sh.title != "" {
		b.WriteString("<title>" + escape(sh.title) + "</title>")
	}
	if sh.kind == text {
		b.WriteString(escape(sh.text))
	}
	b.WriteString("</" + tag + ">\n")
}

// num writes a coordinate to a tenth of a pixel.
func num(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

func hex(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// escape makes text safe in SVG (XML) text and attributes, and so in HTML.
func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
