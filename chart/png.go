package chart

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// PNG writes the chart as a PNG image of o's size times o.Scale pixels,
// rasterizing the very shapes the SVG is made of.
func (c Chart) PNG(w io.Writer, o Options) error {
	s := c.layout(o)
	scale := o.Scale
	if scale <= 0 || math.IsNaN(scale) {
		scale = 1
	}
	scale = math.Min(scale, 4)
	img := image.NewRGBA(image.Rect(0, 0, int(math.Ceil(s.w*scale)), int(math.Ceil(s.h*scale))))
	r := &raster{img: img, scale: scale}
	for _, sh := range s.shapes {
		r.draw(sh)
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("encoding the chart as PNG: %w", err)
	}
	return nil
}

// raster draws shapes onto an image, in CSS pixels times scale.
type raster struct {
	img   *image.RGBA
	scale float64
	v     *vector.Rasterizer
}

func (r *raster) draw(sh shape) {
	switch sh.kind {
	case polygon:
		if sh.fill.A > 0 {
			r.fill(sh.fill, sh.pts)
		}
		if sh.stroke.A > 0 && sh.width > 0 {
			r.stroke(sh.stroke, sh.width, nil, append(sh.pts, sh.pts[0]))
		}
	case polyline:
		if sh.stroke.A > 0 && sh.width > 0 {
			r.stroke(sh.stroke, sh.width, sh.dash, sh.pts)
		}
	case circle:
		if sh.fill.A > 0 {
			r.fill(sh.fill, ring(sh.pts[0], sh.r, 1))
		}
		if sh.stroke.A > 0 && sh.width > 0 {
			r.fill(sh.stroke, ring(sh.pts[0], sh.r+sh.width/2, 1), ring(sh.pts[0], math.Max(0, sh.r-sh.width/2), -1))
		}
	case text:
		r.text(sh)
	}
}

// fill fills the paths (closed polygons) with c. Overlapping paths of the
// same winding add up to full coverage; a path of the opposite winding cuts
// a hole (a ring).
func (r *raster) fill(c color.RGBA, paths ...[]pt) {
	// Rasterized within the paths' bounds only: clearing a canvas-sized
	// accumulator for every shape would cost more than drawing them.
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, path := range paths {
		for _, p := range path {
			x0, y0 = math.Min(x0, p.x*r.scale), math.Min(y0, p.y*r.scale)
			x1, y1 = math.Max(x1, p.x*r.scale), math.Max(y1, p.y*r.scale)
		}
	}
	box := image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1))+1, int(math.Ceil(y1))+1).Intersect(r.img.Bounds())
	if box.Empty() {
		return
	}
	if r.v == nil {
		r.v = vector.NewRasterizer(box.Dx(), box.Dy())
	} else {
		r.v.Reset(box.Dx(), box.Dy())
	}
	r.v.DrawOp = draw.Over
	ox, oy := float64(box.Min.X), float64(box.Min.Y)
	for _, path := range paths {
		if len(path) < 3 {
			continue
		}
		r.v.MoveTo(float32(path[0].x*r.scale-ox), float32(path[0].y*r.scale-oy))
		for _, p := range path[1:] {
			r.v.LineTo(float32(p.x*r.scale-ox), float32(p.y*r.scale-oy))
		}
		r.v.ClosePath()
	}
	r.v.Draw(r.img, box, image.NewUniform(c), image.Point{})
}

// stroke draws a line of width through pts, dashed where dash is given:
// each segment a rectangle, each joint a disc, all of one winding.
func (r *raster) stroke(c color.RGBA, width float64, dash []float64, pts []pt) {
	var paths [][]pt
	for _, seg := range dashed(pts, dash) {
		for i := 1; i < len(seg); i++ {
			if q := quad(seg[i-1], seg[i], width/2); q != nil {
				paths = append(paths, q)
			}
		}
		if len(dash) == 0 {
			for _, p := range seg[1 : len(seg)-1] {
				paths = append(paths, ring(p, width/2, 1))
			}
		}
	}
	if len(paths) > 0 {
		r.fill(c, paths...)
	}
}

// quad is the rectangle of half-width hw around the segment a-b, wound
// clockwise on screen whatever the segment's direction.
func quad(a, b pt, hw float64) []pt {
	dx, dy := b.x-a.x, b.y-a.y
	l := math.Hypot(dx, dy)
	if l == 0 {
		return nil
	}
	nx, ny := -dy/l*hw, dx/l*hw
	return []pt{{a.x + nx, a.y + ny}, {b.x + nx, b.y + ny}, {b.x - nx, b.y - ny}, {a.x - nx, a.y - ny}}
}

// ring is a circle as a polygon, wound as quad winds (dir 1) or the other
// way (dir -1).
func ring(c pt, radius float64, dir float64) []pt {
	const n = 32
	out := make([]pt, n)
	for i := range out {
		a := -dir * 2 * math.Pi * float64(i) / n
		out[i] = pt{c.x + radius*math.Cos(a), c.y + radius*math.Sin(a)}
	}
	return out
}

// dashed cuts a line into its dashes (on, off, on, ...); without a dash
// pattern it is the line itself.
func dashed(pts []pt, dash []float64) [][]pt {
	if len(dash) == 0 {
		return [][]pt{pts}
	}
	var out [][]pt
	i, left, on := 0, dash[0], true
	var cur []pt
	if on && len(pts) > 0 {
		cur = []pt{pts[0]}
	}
	for k := 1; k < len(pts); k++ {
		a, b := pts[k-1], pts[k]
		l := math.Hypot(b.x-a.x, b.y-a.y)
		pos := 0.0
		for l-pos > left {
			pos += left
			p := pt{a.x + (b.x-a.x)*pos/l, a.y + (b.y-a.y)*pos/l}
			if on {
				out = append(out, append(cur, p))
				cur = nil
			} else {
				cur = []pt{p}
			}
			on = !on
			i = (i + 1) % len(dash)
			left = dash[i]
		}
		left -= l - pos
		if on {
			cur = append(cur, b)
		}
	}
	if on && len(cur) > 1 {
		out = append(out, cur)
	}
	return out
}

func (r *raster) text(sh shape) {
	facesMu.Lock()
	defer facesMu.Unlock()
	f := face(sh.size*r.scale, sh.bold)
	x, y := sh.pts[0].x*r.scale, sh.pts[0].y*r.scale
	wd := fixedFloat(font.MeasureString(f, sh.text))
	switch sh.anchor {
	case "middle":
		x -= wd / 2
	case "end":
		x -= wd
	}
	d := font.Drawer{Dst: r.img, Src: image.NewUniform(sh.fill), Face: f, Dot: fixed.Point26_6{X: fixed.Int26_6(x * 64), Y: fixed.Int26_6(y * 64)}}
	d.DrawString(sh.text)
}
