package digest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/report"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// Then is what the last digest said: the moment it was made and each KPI's
// value (nil where unknown) and status then, by KPI name. It is kept in the
// store as JSON between digests.
type Then struct {
	At   time.Time          `json:"at"`
	KPIs map[string]KPIThen `json:"kpis"`
}

// KPIThen is one KPI as the last digest saw it.
type KPIThen struct {
	Value  *float64     `json:"value"`
	Status vocab.Status `json:"status"`
}

// Content is everything a digest says, in every format.
type Content struct {
	// Digest is the digest's name.
	Digest string
	// At is the digest's moment; Since where its period starts (the last
	// digest's moment, or one schedule interval back for the first), Next
	// the next one's (zero when the schedule has none).
	At, Since, Next time.Time
	Location        *time.Location
	// First is true where no digest before this one said anything to
	// compare with.
	First bool
	Plan  report.Plan
	// Statuses counts the KPIs in each status, in vocab.Statuses' order.
	Statuses []StatusCount
	// KPIs is every KPI's value then and now.
	KPIs []Change
	// Milestones are the milestones that fell due in (Since, At].
	Milestones []MilestoneOutcome
	// Upcoming are the milestones due in (At, Next].
	Upcoming []Upcoming
	// Behind are the KPIs behind or that missed a milestone, with advice.
	Behind []Advice
	// Link is the status page, where the daemon was told its external URL.
	Link string
	// Report is the plan's report at At: the json webhook sends it.
	Report report.Document

	// states is the snapshot's KPIs, for the charts.
	states []snapshot.KPIState
	// snap is the snapshot the content was made from.
	snap *snapshot.Snapshot
}

// StatusCount is how many KPIs are in a status.
type StatusCount struct {
	Status vocab.Status
	Count  int
}

// Change is a KPI's value and status at the last digest and now.
type Change struct {
	KPI, Channel         string
	Then, Now            *float64
	StatusThen, Status   vocab.Status
	StatusChanged, Known bool // Known: the last digest saw this KPI
	Link                 string
}

// The outcomes of a milestone that fell due.
const (
	OutcomeMet     = "met"
	OutcomeMissed  = "missed"
	OutcomePending = "pending" // no reading since its due time decides it yet
)

// MilestoneOutcome is a milestone that fell due in the period, and whether
// it was met.
type MilestoneOutcome struct {
	KPI     string
	Due     time.Time
	Target  float64
	Value   *float64 // the value now
	Outcome string
}

// Upcoming is a milestone due in the next period, with where the KPI stands.
type Upcoming struct {
	KPI      string
	Due      time.Time
	Target   float64
	Value    *float64
	Forecast *float64 // at the recent pace, by Due
}

// Advice is a KPI behind, and what would bring it back.
type Advice struct {
	KPI    string
	Status vocab.Status
	Advice string
	Link   string
}

// Build makes a digest's content from a snapshot, what the last digest said
// (nil for the first), the next digest's moment and the daemon's external
// URL ("" for none). since, where then is nil, starts the period (one
// schedule interval back).
func Build(name string, snap *snapshot.Snapshot, then *Then, since, next time.Time, externalURL string) *Content {
	loc := snap.Plan.StartTime.Location()
	c := &Content{
		Digest: name, At: snap.At, Since: since, Next: next, Location: loc,
		Report: report.Build(snap), states: snap.KPIs, snap: snap,
	}
	c.Plan = c.Report.Plan
	if then != nil {
		c.Since = then.At
	}
	c.First = then == nil
	if externalURL != "" {
		c.Link = strings.TrimSuffix(externalURL, "/") + "/"
	}
	counts := map[vocab.Status]int{}
	for i := range snap.KPIs {
		k := &snap.KPIs[i]
		counts[k.Status]++
		ch := Change{KPI: k.Name, Channel: k.Channel, Now: known(k.Value, k.HasValue), Status: k.Status, Link: c.kpiLink(k.Name)}
		if then != nil {
			if t, ok := then.KPIs[k.Name]; ok {
				ch.Known, ch.Then, ch.StatusThen = true, t.Value, t.Status
				ch.StatusChanged = t.Status != k.Status
			}
		}
		c.KPIs = append(c.KPIs, ch)
		for _, m := range k.Milestones {
			switch {
			case m.Due.After(c.Since) && !m.Due.After(c.At):
				c.Milestones = append(c.Milestones, MilestoneOutcome{KPI: k.Name, Due: m.Due, Target: m.Target, Value: ch.Now, Outcome: outcome(k, m)})
			case m.Due.After(c.At) && (next.IsZero() || !m.Due.After(next)):
				u := Upcoming{KPI: k.Name, Due: m.Due, Target: m.Target, Value: ch.Now}
				if k.HasPace {
					// The recent pace carried on to this milestone's due time.
					f := k.Value + k.DailyGrowth*m.Due.Sub(c.At).Hours()/24
					u.Forecast = known(f, true)
				}
				c.Upcoming = append(c.Upcoming, u)
			}
		}
		if k.Status == vocab.Behind || k.Status == vocab.Missed {
			c.Behind = append(c.Behind, Advice{KPI: k.Name, Status: k.Status, Advice: plan.Advice(k.Evaluation, loc), Link: ch.Link})
		}
	}
	for _, s := range vocab.Statuses {
		if counts[s] > 0 {
			c.Statuses = append(c.Statuses, StatusCount{s, counts[s]})
		}
	}
	return c
}

// outcome says whether a milestone that fell due was met, as the plan's
// status has it: a milestone is missed when the value at its due time was
// under its target and the target is still not reached (the status names
// the earliest such milestone; a later one not reached either is missed
// too). A milestone not reached now that the status does not call missed
// waits for a reading after its due time (or was reached then and fell
// since: it was met).
func outcome(k *snapshot.KPIState, m vocab.Milestone) string {
	reached := func(v float64) bool {
		if k.Direction == vocab.Down {
			return v <= m.Target
		}
		return v >= m.Target
	}
	switch {
	case k.Status == vocab.Met || (k.HasValue && reached(k.Value)):
		return OutcomeMet
	case k.Status == vocab.Missed && k.MissedMilestone != nil && !m.Due.Before(k.MissedMilestone.Due):
		return OutcomeMissed
	case k.Status == vocab.Missed && k.MissedMilestone != nil:
		return OutcomeMet // earlier than the first one missed: it was met
	case !k.HasValue || k.LastObservation.Before(m.Due):
		return OutcomePending
	default:
		return OutcomeMet // reached at its due time, under it now
	}
}

// kpiLink is a KPI's page, where there is an external URL.
func (c *Content) kpiLink(name string) string {
	if c.Link == "" {
		return ""
	}
	return c.Link + "kpi/" + url.PathEscape(name)
}

// Subject is the e-mail's subject and the chat messages' title.
func (c *Content) Subject() string {
	s := fmt.Sprintf("KPI digest %s: plan %s", c.day(c.At), c.Plan.Name)
	var parts []string
	for _, sc := range c.Statuses {
		if sc.Status == vocab.Behind || sc.Status == vocab.Missed {
			parts = append(parts, fmt.Sprintf("%d %s", sc.Count, words(sc.Status)))
		}
	}
	if len(parts) > 0 {
		s += " — " + strings.Join(parts, ", ")
	}
	return s
}

// State is what this digest says, for the next one to compare with.
func (c *Content) State() ([]byte, error) {
	t := Then{At: c.At, KPIs: make(map[string]KPIThen, len(c.KPIs))}
	for _, k := range c.KPIs {
		t.KPIs[k.KPI] = KPIThen{Value: k.Now, Status: k.Status}
	}
	return json.Marshal(t)
}

// ParseThen reads a state State wrote; nil for none.
func ParseThen(state []byte) (*Then, error) {
	if len(state) == 0 {
		return nil, nil
	}
	var t Then
	if err := json.Unmarshal(state, &t); err != nil {
		return nil, fmt.Errorf("the last digest's record cannot be read: %w", err)
	}
	return &t, nil
}

func known(v float64, ok bool) *float64 {
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// day is the day a moment falls on in the plan's zone.
func (c *Content) day(t time.Time) string { return t.In(c.Location).Format(time.DateOnly) }

// dueDay is the day a due time ends: a milestone due 2026-07-31 falls due at
// 2026-08-01T00:00.
func (c *Content) dueDay(t time.Time) string {
	return t.Add(-time.Nanosecond).In(c.Location).Format(time.DateOnly)
}

// moment is a moment in the plan's zone, to the minute.
func (c *Content) moment(t time.Time) string { return t.In(c.Location).Format("2006-01-02 15:04 MST") }

// num prints a value for people: one decimal at most; "–" for unknown.
func num(v *float64) string {
	if v == nil {
		return "–"
	}
	return strconv.FormatFloat(math.Round(*v*10)/10, 'f', -1, 64)
}

func numv(v float64) string { return num(&v) }

// words is a status as people say it.
func words(s vocab.Status) string {
	switch s {
	case vocab.NoData:
		return "no data"
	case vocab.OnTrack:
		return "on track"
	case "":
		return "–"
	}
	return string(s)
}
