package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// Columns are the report's columns: the CSV header and the JSON keys.
var Columns = []string{"kpi", "channel", "account", "metric", "value", "expected", "target", "due", "status", "progress", "forecast", "note", "advice", "posts_in_window", "versus"}

// Row is one KPI in the report. Unknown numbers are nil: JSON null, empty in
// CSV, "-" in the table.
type Row struct {
	KPI     string `json:"kpi"`
	Channel string `json:"channel"`
	Account string `json:"account"`
	Metric  string `json:"metric"`
	// Direction is "down" where lower is better, else "up".
	Direction string   `json:"direction"`
	Value     *float64 `json:"value"`
	Expected  *float64 `json:"expected"`
	Target    *float64 `json:"target"`
	Due       string   `json:"due"`
	Status    string   `json:"status"`
	Progress  *float64 `json:"progress"`
	Forecast  *float64 `json:"forecast"`
	// Note says why a count is unknown ("subscribers hidden by the
	// account"), empty otherwise.
	Note string `json:"note"`
	// Advice is the "adjust" step in a sentence: when the recent pace
	// reaches the next target, and the pace that meets it (plan.Advice).
	Advice string `json:"advice"`
	// PostsInWindow, for an engagement KPI, is how many posts its value is
	// over.
	PostsInWindow *float64 `json:"posts_in_window"`
	// Compare and Standings, for a KPI versus rivals: how it compares, and
	// where the account (first) and each rival stand.
	Compare   string     `json:"compare,omitempty"`
	Standings []Standing `json:"standings,omitempty"`
}

// Standing is where one account stands on a KPI's metric: its latest value
// and its recent pace per day.
type Standing struct {
	Account     string   `json:"account"`
	Own         bool     `json:"own"`
	Value       *float64 `json:"value"`
	DailyGrowth *float64 `json:"daily_growth"`
}

// versusText is a KPI's standings in a line: "own 2000 (+14 a day) · rival 5000 (+7 a day)".
func (r Row) versusText() string {
	if len(r.Standings) == 0 {
		return ""
	}
	parts := make([]string, 0, len(r.Standings))
	for _, s := range r.Standings {
		text := s.Account + " " + short(s.Value)
		if s.Own {
			text = "own " + text
		}
		if s.DailyGrowth != nil {
			text += fmt.Sprintf(" (%+g a day)", math.Round(*s.DailyGrowth*100)/100)
		}
		parts = append(parts, text)
	}
	return r.Compare + " of " + r.Metric + ": " + strings.Join(parts, " · ")
}

// missingText says which shards' KPIs a partial document lacks, in a line;
// empty where the document is whole.
func (doc Document) missingText() string {
	if !doc.Partial {
		return ""
	}
	parts := make([]string, 0, len(doc.Missing))
	for _, m := range doc.Missing {
		parts = append(parts, fmt.Sprintf("shard %d (%d KPIs): %s", m.Shard, m.KPIs, m.Error))
	}
	return "Part of the plan is missing: " + strings.Join(parts, "; ")
}

// Plan is the plan's frame in the report.
type Plan struct {
	Name     string `json:"name"`
	Goal     string `json:"goal"`
	Timezone string `json:"timezone"`
	Start    string `json:"start"`
	End      string `json:"end"`
	DaysLeft int    `json:"days_left"`
}

// Document is the whole report: {"plan": {...}, "at": T, "kpis": [rows]}.
// A replica of a sharded deployment that shows the whole plan but could not
// reach every shard adds "partial": true and the shards missing.
type Document struct {
	Plan    Plan      `json:"plan"`
	At      string    `json:"at"`
	KPIs    []Row     `json:"kpis"`
	Partial bool      `json:"partial,omitempty"`
	Missing []Missing `json:"missing,omitempty"`
}

// Missing is a shard whose part of the plan a view of the whole plan lacks:
// which shard, how many KPIs it evaluates, and why it is missing.
type Missing struct {
	Shard int    `json:"shard"`
	KPIs  int    `json:"kpis"`
	Error string `json:"error"`
}

// Build turns a snapshot into a report document.
func Build(s *snapshot.Snapshot) Document {
	loc := s.Plan.StartTime.Location()
	doc := Document{
		Plan: Plan{
			Name: s.Plan.Name, Goal: s.Plan.Goal, Timezone: s.Plan.Timezone,
			Start: s.Plan.Start, End: s.Plan.End,
			DaysLeft: daysLeft(s.At, s.Plan.EndTime),
		},
		At:   s.At.In(loc).Format(time.RFC3339),
		KPIs: []Row{},
	}
	for _, k := range s.KPIs {
		doc.KPIs = append(doc.KPIs, NewRow(k, loc))
	}
	return doc
}

// NewRow is one KPI's row of the report, its times in loc (the plan's zone).
func NewRow(k snapshot.KPIState, loc *time.Location) Row {
	r := Row{
		KPI: k.Name, Channel: k.Channel, Account: k.Account, Metric: k.Metric, Direction: string(vocab.Up),
		Expected: num(k.Expected, true), Status: string(k.Status),
		Value:    num(k.Value, k.HasValue),
		Target:   num(k.Target, k.HasTarget),
		Progress: num(k.Progress, k.HasProgress),
		Forecast: num(k.Forecast, k.HasPace),
	}
	if k.HasTarget {
		r.Due = k.Due.In(loc).Format(time.RFC3339)
	}
	if k.Hidden != "" {
		r.Note = k.Metric + " " + k.Hidden
	}
	if k.Direction == vocab.Down {
		r.Direction = string(vocab.Down)
	}
	r.Advice = plan.Advice(k.Evaluation, loc)
	r.PostsInWindow = num(k.PostsInWindow, k.HasPostsInWindow)
	if v := k.Versus; v != nil {
		r.Compare = string(v.Compare)
		for i, s := range append([]snapshot.Standing{v.Own}, v.Rivals...) {
			r.Standings = append(r.Standings, Standing{Account: s.Account, Own: i == 0, Value: num(s.Value, s.HasValue), DailyGrowth: num(s.DailyGrowth, s.HasPace)})
		}
	}
	return r
}

func daysLeft(at, end time.Time) int {
	if !end.After(at) {
		return 0
	}
	return int(math.Ceil(end.Sub(at).Hours() / 24))
}

func num(v float64, known bool) *float64 {
	if !known || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// WriteJSON writes the document as indented JSON.
func WriteJSON(w io.Writer, doc Document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// WriteCSV writes a header and a row per KPI.
func WriteCSV(w io.Writer, doc Document) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return err
	}
	for _, r := range doc.KPIs {
		if err := cw.Write([]string{cell(r.KPI), cell(r.Channel), cell(r.Account), cell(r.Metric), plain(r.Value), plain(r.Expected),
			plain(r.Target), r.Due, r.Status, plain(r.Progress), plain(r.Forecast), cell(r.Note), cell(r.Advice), plain(r.PostsInWindow), cell(r.versusText())}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// cell is a text cell of the CSV: one a spreadsheet would take for a
// formula (it starts with =, +, -, @, a tab or a carriage return) gets a
// leading ', which shows it as text (OWASP's advice against CSV injection).
// Numbers are written by plain and stay numbers.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func plain(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// WriteTable writes the plan and an aligned table for people; color adds ANSI
// colors to the status (for a terminal only).
func WriteTable(w io.Writer, doc Document, color bool) error {
	fmt.Fprintf(w, "Plan %s — goal %s — %s to %s (%s), %d days left, as of %s\n\n",
		doc.Plan.Name, doc.Plan.Goal, doc.Plan.Start, doc.Plan.End, doc.Plan.Timezone, doc.Plan.DaysLeft, doc.At)
	if text := doc.missingText(); text != "" {
		fmt.Fprintf(w, "%s\n\n", oneLine(text))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KPI\tCHANNEL\tVALUE\tEXPECTED\tTARGET\tBY THE END OF\tSTATUS\tPROGRESS")
	for _, r := range doc.KPIs {
		due := "-"
		if t, err := time.Parse(time.RFC3339, r.Due); err == nil {
			due = dueDay(t)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", oneLine(r.KPI), oneLine(r.Channel), short(r.Value), short(r.Expected),
			short(r.Target), due, paint(r.Status, color), bar(r.Progress))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Notes and advice below the table, so that its columns stay as they are.
	writeBelow(w, doc, "Notes", func(r Row) string { return r.Note }, oneLine, "  ")
	writeBelow(w, doc, "Posts in the window", func(r Row) string {
		if r.PostsInWindow == nil {
			return ""
		}
		return short(r.PostsInWindow)
	}, oneLine, "  ")
	writeBelow(w, doc, "Versus rivals", func(r Row) string { return r.versusText() }, oneLine, "  ")
	writeBelow(w, doc, "Adjust", func(r Row) string { return r.Advice }, oneLine, "  ")
	return nil
}

// oneLine keeps a name on its table row: line breaks and tabs become spaces.
var oneLine = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace

// writeBelow lists, under a heading below a table, what field says of each
// KPI that it says something of (its note, its advice).
func writeBelow(w io.Writer, doc Document, heading string, field func(Row) string, escape func(string) string, bullet string) {
	first := true
	for _, r := range doc.KPIs {
		text := field(r)
		if text == "" {
			continue
		}
		if first {
			fmt.Fprintf(w, "\n%s:\n", heading)
			first = false
		}
		fmt.Fprintf(w, "%s%s: %s\n", bullet, escape(r.KPI), escape(text))
	}
}

func short(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(math.Round(*v*10)/10, 'f', -1, 64)
}

// bar draws progress against the expected value, 20 cells for 100%.
func bar(p *float64) string {
	if p == nil {
		return "-"
	}
	n := int(math.Round(math.Max(0, math.Min(*p, 1)) * 20))
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", 20-n) + "] " + strconv.Itoa(int(math.Round(*p*100))) + "%"
}

var statusColors = map[string]string{"met": "32", "ahead": "32", "on_track": "36", "behind": "33", "missed": "31", "no_data": "90"}

func paint(status string, color bool) string {
	if !color {
		return status
	}
	return "\x1b[" + statusColors[status] + "m" + status + "\x1b[0m"
}

// dueDay is the day a due time ends, as the plan wrote it: a milestone due
// 2026-07-31 falls due at 2026-08-01T00:00.
func dueDay(t time.Time) string { return t.Add(-time.Nanosecond).Format(time.DateOnly) }

// WriteMarkdown writes the plan and its table as Markdown (GitHub-flavored,
// as wikis and chats take it): every cell escaped so that a KPI or account
// name with a pipe, a backslash, markup or a line break stays in its cell.
func WriteMarkdown(w io.Writer, doc Document) error {
	fmt.Fprintf(w, "**Plan %s** — goal %s — %s to %s (%s), %d days left, as of %s\n\n",
		mdEscape(doc.Plan.Name), mdEscape(doc.Plan.Goal), doc.Plan.Start, doc.Plan.End, mdEscape(doc.Plan.Timezone), doc.Plan.DaysLeft, doc.At)
	if text := doc.missingText(); text != "" {
		fmt.Fprintf(w, "**%s**\n\n", mdEscape(text))
	}
	fmt.Fprintln(w, "| KPI | Channel | Value | Expected | Target | By the end of | Status | Progress |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | --- | --- | ---: |")
	for _, r := range doc.KPIs {
		due := "-"
		if t, err := time.Parse(time.RFC3339, r.Due); err == nil {
			due = dueDay(t)
		}
		progress := "-"
		if r.Progress != nil {
			progress = strconv.Itoa(int(math.Round(math.Max(-1e5, math.Min(1e5, *r.Progress*100))))) + "%"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", mdEscape(r.KPI), mdEscape(r.Channel), short(r.Value), short(r.Expected),
			short(r.Target), due, mdEscape(r.Status), progress)
	}
	writeBelow(w, doc, "Notes", func(r Row) string { return r.Note }, mdEscape, "- ")
	writeBelow(w, doc, "Adjust", func(r Row) string { return r.Advice }, mdEscape, "- ")
	return nil
}

// mdEscape makes text safe in a Markdown table cell: backslashes and the
// characters that make markup or end a cell are escaped, and line breaks
// become spaces.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;",
	"\r\n", " ", "\n", " ", "\r", " ",
)

func mdEscape(s string) string { return mdEscaper.Replace(s) }

// WriteSuggestions writes, for each KPI behind or projected to miss its next
// milestone, the target its recent pace would meet by that milestone's due
// date, as the KPI's whole entry in YAML, to paste over its entry in the
// plan's kpis. Nothing is changed: the plan's
// owner decides. A KPI without a pace gets no suggestion.
func WriteSuggestions(w io.Writer, s *snapshot.Snapshot) error {
	loc := s.Plan.StartTime.Location()
	fmt.Fprintln(w, "# Targets the recent pace would meet by each due date, for KPIs behind or projected to miss.")
	fmt.Fprintln(w, "# Nothing was changed: paste what you agree with into the plan's kpis and reload.")
	n := 0
	for _, k := range s.KPIs {
		down := k.Direction == vocab.Down
		short := k.Forecast < k.Target
		if down {
			short = k.Forecast > k.Target // lower is better: above the target falls short
		}
		projected := k.HasPace && k.HasTarget && short && k.Due.After(s.At)
		if !k.HasPace || !k.HasTarget || k.Status == vocab.Met || (k.Status != vocab.Behind && k.Status != vocab.Missed && !projected) {
			continue
		}
		n++
		fmt.Fprintf(w, "# %s is %s: %s\n", k.Name, k.Status, plan.Advice(k.Evaluation, loc))
		fmt.Fprintf(w, "- name: %s\n  channel: %s\n  account: %s\n  metric: %s\n  count: %s\n", yamlString(k.Name), yamlString(k.Channel), yamlString(k.Account), yamlString(k.Metric), k.Count)
		if down {
			fmt.Fprintln(w, "  direction: down")
		}
		if k.Tolerance != plan.DefaultTolerance {
			fmt.Fprintf(w, "  tolerance: %s\n", strconv.FormatFloat(k.Tolerance, 'f', -1, 64))
		}
		fmt.Fprintln(w, "  milestones:")
		for _, m := range k.Milestones {
			target := m.Target
			if m.Due.Equal(k.Due) && k.Due.After(s.At) {
				// What the recent pace gives by the due date, in whole counts
				// (a level such as a position, to a tenth), never worse than now.
				target = math.Max(k.Value, math.Floor(k.Forecast))
				if down {
					target = math.Min(k.Value, math.Ceil(k.Forecast*10)/10)
				} else if k.Forecast != math.Trunc(k.Forecast) && k.Value != math.Trunc(k.Value) {
					target = math.Max(k.Value, math.Floor(k.Forecast*10)/10)
				}
			}
			fmt.Fprintf(w, "    - {due: %s, target: %s}\n", m.Due.Add(-time.Nanosecond).In(loc).Format(time.DateOnly), strconv.FormatFloat(target, 'f', -1, 64))
		}
	}
	if n == 0 {
		fmt.Fprintln(w, "# No KPI is behind or projected to miss: nothing to suggest.")
	}
	return nil
}

// yamlString quotes a name where YAML would read it as something else.
func yamlString(s string) string {
	if s == "" || strings.ContainsAny(s, ":#{}[],&*!|>'\"%@`\n") || strings.TrimSpace(s) != s {
		return strconv.Quote(s)
	}
	return s
}
