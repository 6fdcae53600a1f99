package digest

import (
	"bytes"
	"html/template"
	"time"

	"github.com/kpi-collector/kpi-collector/vocab"
)

// Chart is a KPI's chart as an inline image of the e-mail: its Content-ID
// (without the angle brackets) and the PNG.
type Chart struct {
	KPI       string
	ContentID string
	PNG       []byte
}

// htmlPage is the e-mail's HTML part: inline styles only (mail clients drop
// style sheets and scripts), each chart an <img> by cid:.
var htmlPage = template.Must(template.New("digest").Funcs(template.FuncMap{
	"num":   num,
	"numv":  numv,
	"words": words,
	"color": func(s vocab.Status) string { return statusColors[s] },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.C.Subject}}</title></head>
<body style="margin:0;padding:16px;background:#f6f7f9;font-family:Helvetica,Arial,sans-serif;color:#1f2328">
<div style="max-width:720px;margin:0 auto;background:#fff;padding:20px;border:1px solid #d0d7de">
<h1 style="font-size:20px;margin:0 0 8px">{{.C.Subject}}</h1>
<p style="margin:0 0 4px">{{.C.StateLine}}</p>
<p style="margin:0 0 16px;color:#59636e">{{.C.Period}}{{if .C.Link}} <a href="{{.C.Link}}">The whole plan</a>{{end}}</p>

<h2 style="font-size:16px;margin:16px 0 8px">Since the last digest</h2>
<table style="border-collapse:collapse;width:100%;font-size:14px">
<tr><th align="left" style="border-bottom:1px solid #d0d7de;padding:4px">KPI</th><th align="right" style="border-bottom:1px solid #d0d7de;padding:4px">Then</th><th align="right" style="border-bottom:1px solid #d0d7de;padding:4px">Now</th><th align="left" style="border-bottom:1px solid #d0d7de;padding:4px">Status</th></tr>
{{range .C.KPIs}}<tr><td style="padding:4px">{{if .Link}}<a href="{{.Link}}">{{.KPI}}</a>{{else}}{{.KPI}}{{end}}</td><td align="right" style="padding:4px">{{if .Known}}{{num .Then}}{{else}}new{{end}}</td><td align="right" style="padding:4px">{{num .Now}}</td><td style="padding:4px;color:{{color .Status}}">{{if .StatusChanged}}<b>{{words .StatusThen}} → {{words .Status}}</b>{{else}}{{words .Status}}{{end}}</td></tr>
{{end}}</table>

<h2 style="font-size:16px;margin:16px 0 8px">Milestones that fell due</h2>
{{if .C.Milestones}}<ul>{{range .C.Milestones}}<li>{{.KPI}}: {{numv .Target}} by {{$.DueDay .Due}} — {{if eq .Outcome "missed"}}<b style="color:#cf222e">missed</b>{{else if eq .Outcome "pending"}}not decided yet (no reading since it fell due){{else}}<span style="color:#1a7f37">met</span>{{end}} (now {{num .Value}})</li>{{end}}</ul>{{else}}<p>None.</p>{{end}}

<h2 style="font-size:16px;margin:16px 0 8px">Due before the next digest</h2>
{{if .C.Upcoming}}<ul>{{range .C.Upcoming}}<li>{{.KPI}}: {{numv .Target}} by {{$.DueDay .Due}} (now {{num .Value}}{{if .Forecast}}, {{num .Forecast}} at the recent pace{{end}})</li>{{end}}</ul>{{else}}<p>Nothing falls due.</p>{{end}}

<h2 style="font-size:16px;margin:16px 0 8px">Behind, and what would bring it back</h2>
{{if .C.Behind}}<ul>{{range .C.Behind}}<li>{{if .Link}}<a href="{{.Link}}">{{.KPI}}</a>{{else}}{{.KPI}}{{end}} ({{words .Status}}){{if .Advice}}: {{.Advice}}{{end}}</li>{{end}}</ul>{{else}}<p>No KPI is behind.</p>{{end}}

{{if .Charts}}<h2 style="font-size:16px;margin:16px 0 8px">Charts</h2>
{{range .Charts}}<p style="margin:0 0 12px"><b>{{.KPI}}</b><br><img src="cid:{{.ContentID}}" alt="{{.KPI}}: readings against the plan" width="640" style="max-width:100%;height:auto;border:1px solid #d0d7de"></p>
{{end}}{{end}}
</div></body></html>
`))

// statusColors match the status page's.
var statusColors = map[vocab.Status]string{
	vocab.Met: "#1a7f37", vocab.Ahead: "#1a7f37", vocab.OnTrack: "#0969da",
	vocab.Behind: "#9a6700", vocab.Missed: "#cf222e", vocab.NoData: "#59636e",
}

// htmlView gives the template the content's methods.
type htmlView struct {
	C      *Content
	Charts []Chart
}

// DueDay is the day a due time ends, for the template.
func (v htmlView) DueDay(t time.Time) string { return v.C.dueDay(t) }

// StateLine and Period are for the template.
func (c *Content) StateLine() string { return c.stateLine() }

// Period says what the digest covers.
func (c *Content) Period() string { return c.period() }

// HTML is the digest as the e-mail's HTML part, with each chart by cid:.
func (c *Content) HTML(charts []Chart) (string, error) {
	var b bytes.Buffer
	if err := htmlPage.Execute(&b, htmlView{C: c, Charts: charts}); err != nil {
		return "", err
	}
	return b.String(), nil
}
