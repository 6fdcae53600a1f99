// Package chart draws a KPI's chart: its values over the plan's glide path,
// each milestone marked with how it went, the forecast to the next due date
// and today's line, on a time axis in the plan's time zone. It is pure
// drawing: no HTTP, no store, no clock. It reads only what it is given (a
// KPI of a published snapshot, or a Chart filled in by hand), and imports
// snapshot, plan and vocab of this module, nothing else of it.
//
// One layout serves every output: the chart is laid out once as a list of
// primitives (lines, shapes, text) and written either as SVG, for the status
// page and the HTML report, or rasterized as PNG, for e-mail, where clients do
// not show SVG. A PNG therefore shows what the SVG shows, at the same places.
//
// The API:
//
//	c := chart.FromKPI(snap.Plan, snap.KPIs[i], snap.At)
//	err := c.SVG(w, chart.Options{Width: 720, Height: 320})
//	err = c.PNG(w, chart.Options{Width: 600, Height: 280, Scale: 2})
//
// FromKPI takes the KPI's values from KPIState.Recent (the values at moments
// spread over the plan, and the latest one), a step line for counts kept by
// hand (they change only when someone records them) and a straight line for
// scheduled ones. Options sets the size in CSS pixels; for PNG, Scale
// multiplies it into device pixels (2 for a sharp image on a high-density
// screen, shown at Width × Height). The SVG has a viewBox of Width × Height
// and no fixed size: CSS sizes it. It holds no script, no style sheet, no id
// and no reference to anything outside itself, so that several can share a
// page under a strict Content-Security-Policy; every point, milestone and
// today's line has a <title> shown on hover, and every name is escaped.
package chart
