package digest

import (
	"fmt"
	"strings"
)

// The digest's sections, as each format heads them.
const (
	headState     = "The plan"
	headKPIs      = "Since the last digest"
	headMilestone = "Milestones that fell due"
	headUpcoming  = "Due before the next digest"
	headBehind    = "Behind, and what would bring it back"
)

// section is one part of a digest as lines of plain text (or Markdown): the
// chat formats cut a digest into these to keep within their limits.
type section struct {
	Title string
	Lines []string
}

// period says what the digest covers.
func (c *Content) period() string {
	switch {
	case c.Since.IsZero():
		return fmt.Sprintf("As of %s (the first digest).", c.moment(c.At))
	case c.First:
		return fmt.Sprintf("From %s to %s (the first digest: no values before to compare with).", c.moment(c.Since), c.moment(c.At))
	default:
		return fmt.Sprintf("From %s to %s.", c.moment(c.Since), c.moment(c.At))
	}
}

// stateLine is the plan's state in a sentence.
func (c *Content) stateLine() string {
	var parts []string
	for _, s := range c.Statuses {
		parts = append(parts, fmt.Sprintf("%d %s", s.Count, words(s.Status)))
	}
	return fmt.Sprintf("Plan %s (goal %s), %s to %s, %d days left: %d KPIs, %s.",
		c.Plan.Name, c.Plan.Goal, c.Plan.Start, c.Plan.End, c.Plan.DaysLeft, len(c.KPIs), strings.Join(parts, ", "))
}

// style is how a format writes text: escapes it, makes it bold, links it.
type style struct {
	esc  func(string) string
	bold func(string) string // of text not escaped yet
	link func(text, url string) string
}

var (
	plainStyle = style{
		esc:  func(s string) string { return s },
		bold: func(s string) string { return s },
		link: func(text, _ string) string { return text },
	}
	markdownStyle = style{
		esc:  mdEscape,
		bold: func(s string) string { return "**" + mdEscape(s) + "**" },
		link: func(text, url string) string { return "[" + mdEscape(text) + "](" + url + ")" },
	}
)

// sections is the digest as sections of lines in a format's style.
func (c *Content) sections(st style) []section {
	esc, bold := st.esc, st.bold
	named := func(name, link string) string {
		if link != "" {
			return st.link(name, link)
		}
		return esc(name)
	}
	out := []section{{Title: headState, Lines: []string{esc(c.stateLine()), esc(c.period())}}}

	kpis := section{Title: headKPIs}
	for _, k := range c.KPIs {
		line := fmt.Sprintf("%s: %s → %s", named(k.KPI, k.Link), num(k.Then), num(k.Now))
		if !k.Known {
			line = fmt.Sprintf("%s: %s (new in this digest)", named(k.KPI, k.Link), num(k.Now))
		}
		switch {
		case k.StatusChanged:
			line += ", " + bold(words(k.StatusThen)+" → "+words(k.Status))
		default:
			line += ", " + words(k.Status)
		}
		kpis.Lines = append(kpis.Lines, line)
	}
	out = append(out, kpis)

	ms := section{Title: headMilestone}
	for _, m := range c.Milestones {
		what := m.Outcome
		if m.Outcome == OutcomeMissed {
			what = bold("missed")
		}
		if m.Outcome == OutcomePending {
			what = "not decided yet (no reading since it fell due)"
		}
		ms.Lines = append(ms.Lines, fmt.Sprintf("%s: %s by %s — %s (now %s)", esc(m.KPI), numv(m.Target), c.dueDay(m.Due), what, num(m.Value)))
	}
	if len(ms.Lines) == 0 {
		ms.Lines = []string{"None."}
	}
	out = append(out, ms)

	up := section{Title: headUpcoming}
	for _, u := range c.Upcoming {
		line := fmt.Sprintf("%s: %s by %s (now %s", esc(u.KPI), numv(u.Target), c.dueDay(u.Due), num(u.Value))
		if u.Forecast != nil {
			line += ", " + num(u.Forecast) + " at the recent pace"
		}
		up.Lines = append(up.Lines, line+")")
	}
	if len(up.Lines) == 0 {
		up.Lines = []string{"Nothing falls due."}
	}
	out = append(out, up)

	behind := section{Title: headBehind}
	for _, b := range c.Behind {
		line := fmt.Sprintf("%s (%s)", named(b.KPI, b.Link), words(b.Status))
		if b.Advice != "" {
			line += ": " + esc(b.Advice)
		}
		behind.Lines = append(behind.Lines, line)
	}
	if len(behind.Lines) == 0 {
		behind.Lines = []string{"No KPI is behind."}
	}
	out = append(out, behind)
	return out
}

// Text is the digest as plain text: the e-mail's text part, and what
// `collector digest --dry-run` prints.
func (c *Content) Text() string {
	var b strings.Builder
	b.WriteString(c.Subject() + "\n")
	for _, s := range c.sections(plainStyle) {
		fmt.Fprintf(&b, "\n%s\n%s\n", s.Title, strings.Repeat("-", len([]rune(s.Title))))
		for _, l := range s.Lines {
			b.WriteString("  " + l + "\n")
		}
	}
	if c.Link != "" {
		fmt.Fprintf(&b, "\nThe whole plan: %s\n", c.Link)
	}
	return b.String()
}

// Markdown is the digest in Markdown, as Mattermost and Discord show it;
// limit bounds its length in characters (a section that would pass it is
// cut, with the link to the rest).
func (c *Content) Markdown(limit int) string {
	head := "### " + mdEscape(c.Subject()) + "\n"
	var tail string
	if c.Link != "" {
		tail = fmt.Sprintf("\n[The whole plan](%s)\n", c.Link)
	}
	var body []string
	for _, s := range c.sections(markdownStyle) {
		body = append(body, "\n**"+s.Title+"**\n")
		for _, l := range s.Lines {
			body = append(body, "- "+l+"\n")
		}
	}
	return fit(head, body, tail, limit)
}

// fit joins head, as many of the lines as keep the whole within limit
// characters, a note of how many were left out, and tail.
func fit(head string, lines []string, tail string, limit int) string {
	const reserve = 64 // room for the note, which is shorter
	var b strings.Builder
	b.WriteString(head)
	used := runes(head) + runes(tail)
	for i, l := range lines {
		last := i == len(lines)-1
		if used+runes(l) > limit || (!last && used+runes(l)+reserve > limit) {
			fmt.Fprintf(&b, "\n… and %d more lines: too long for one message.\n", len(lines)-i)
			break
		}
		b.WriteString(l)
		used += runes(l)
	}
	b.WriteString(tail)
	return b.String()
}

func runes(s string) int { return len([]rune(s)) }

// mdEscaper keeps names from turning into markup in Markdown.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;", "|", `\|`, "~", `\~`,
	"\r\n", " ", "\n", " ", "\r", " ",
)

func mdEscape(s string) string { return mdEscaper.Replace(s) }
