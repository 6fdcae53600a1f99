package digest

import (
	"context"
	"time"

	"github.com/kpi-collector/kpi-collector/report"
)

// jsonSender posts the digest as JSON to any endpoint: the report's JSON
// (plan, at, kpis: what `collector report --format=json` prints and GET
// /api/v1/kpis serves) with the digest's own keys beside it. Any 2xx is
// success.
type jsonSender struct{ webhook }

// JSONDigest is the json webhook's body.
type JSONDigest struct {
	Digest string `json:"digest"`
	// Since is where the period the digest covers starts: the last
	// digest's moment, or one schedule interval back for the first. Next
	// is the next digest's moment (null where the schedule has none).
	Since      *string         `json:"since"`
	Next       *string         `json:"next"`
	Link       string          `json:"link,omitempty"`
	Plan       report.Plan     `json:"plan"`
	At         string          `json:"at"`
	KPIs       []report.Row    `json:"kpis"`
	Changes    []JSONChange    `json:"changes"`
	Milestones []JSONMilestone `json:"milestones"`
	Upcoming   []JSONMilestone `json:"upcoming"`
}

// JSONChange is a KPI's value and status at the last digest and now.
type JSONChange struct {
	KPI        string   `json:"kpi"`
	Then       *float64 `json:"then"`
	Now        *float64 `json:"now"`
	StatusThen string   `json:"status_then"`
	Status     string   `json:"status"`
}

// JSONMilestone is a milestone that fell due (with its outcome) or falls
// due next (with the forecast).
type JSONMilestone struct {
	KPI      string   `json:"kpi"`
	Due      string   `json:"due"`
	Target   float64  `json:"target"`
	Value    *float64 `json:"value"`
	Outcome  string   `json:"outcome,omitempty"`
	Forecast *float64 `json:"forecast,omitempty"`
}

func (s *jsonSender) send(ctx context.Context, c *Content, _ []Chart) error {
	return s.post(ctx, c.JSON(), func(code int) bool { return code >= 200 && code < 300 })
}

// JSON is the digest as the json webhook sends it.
func (c *Content) JSON() JSONDigest {
	at := func(t time.Time) *string {
		if t.IsZero() {
			return nil
		}
		s := t.In(c.Location).Format(time.RFC3339)
		return &s
	}
	d := JSONDigest{
		Digest: c.Digest, Since: at(c.Since), Next: at(c.Next), Link: c.Link,
		Plan: c.Report.Plan, At: c.Report.At, KPIs: c.Report.KPIs,
		Changes: []JSONChange{}, Milestones: []JSONMilestone{}, Upcoming: []JSONMilestone{},
	}
	for _, k := range c.KPIs {
		d.Changes = append(d.Changes, JSONChange{KPI: k.KPI, Then: k.Then, Now: k.Now, StatusThen: string(k.StatusThen), Status: string(k.Status)})
	}
	for _, m := range c.Milestones {
		d.Milestones = append(d.Milestones, JSONMilestone{KPI: m.KPI, Due: *at(m.Due), Target: m.Target, Value: m.Value, Outcome: m.Outcome})
	}
	for _, u := range c.Upcoming {
		d.Upcoming = append(d.Upcoming, JSONMilestone{KPI: u.KPI, Due: *at(u.Due), Target: u.Target, Value: u.Value, Forecast: u.Forecast})
	}
	return d
}
