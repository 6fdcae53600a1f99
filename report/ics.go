package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// WriteICS writes every milestone of the plan as an iCalendar feed (RFC
// 5545): an all-day event on its due day in the plan's zone, summarized
// "KPI: target", described with the KPI's status and value now. Each event's
// UID is derived from the plan, the KPI and the due day, so that a calendar
// that subscribes updates the event instead of adding another.
func WriteICS(w io.Writer, s *snapshot.Snapshot) error {
	loc := s.Plan.StartTime.Location()
	var b strings.Builder
	line := func(l string) { b.WriteString(fold(l)) }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//kpi-collector//milestones//EN")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	line("X-WR-CALNAME:" + icsText("Milestones of "+s.Plan.Name))
	line("X-WR-TIMEZONE:" + icsText(s.Plan.Timezone))
	stamp := s.At.UTC().Format("20060102T150405Z")
	for _, k := range s.KPIs {
		for _, m := range k.Milestones {
			day := m.Due.Add(-time.Nanosecond).In(loc) // the due day, which ends at 24:00
			start := day.Format("20060102")
			end := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc).Format("20060102")
			uid := sha256.Sum256([]byte(s.Plan.Name + "\x00" + k.Name + "\x00" + start))
			line("BEGIN:VEVENT")
			line("UID:" + hex.EncodeToString(uid[:12]) + "@kpi-collector")
			line("DTSTAMP:" + stamp)
			line("DTSTART;VALUE=DATE:" + start)
			line("DTEND;VALUE=DATE:" + end)
			line("SUMMARY:" + icsText(fmt.Sprintf("%s: %s", k.Name, plainNumber(m.Target))))
			line("DESCRIPTION:" + icsText(describeMilestone(k, m, s.At, loc)))
			line("CATEGORIES:" + icsText(k.Channel))
			line("TRANSP:TRANSPARENT")
			line("END:VEVENT")
		}
	}
	line("END:VCALENDAR")
	_, err := io.WriteString(w, b.String())
	return err
}

// describeMilestone says where the KPI stands, for the event's description.
func describeMilestone(k snapshot.KPIState, m vocab.Milestone, at time.Time, loc *time.Location) string {
	value := "no value yet"
	if k.HasValue {
		value = "value " + plainNumber(k.Value)
	}
	due := "due"
	if !m.Due.After(at) {
		due = "was due"
	}
	return fmt.Sprintf("%s (%s of %s on %s) %s %s by the end of this day. Now, as of %s: %s, %s.",
		k.Name, k.Metric, k.Account, k.Channel, plainNumber(m.Target), due, at.In(loc).Format("2006-01-02 15:04"), k.Status, value)
}

// icsText escapes a TEXT value (RFC 5545, 3.3.11).
var icsText = strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace

// fold ends a content line with CRLF, folding it at 75 octets (RFC 5545,
// 3.1) without splitting a UTF-8 character.
func fold(l string) string {
	var b strings.Builder
	limit := 75
	for len(l) > limit {
		cut := limit
		for cut > 0 && l[cut]&0xC0 == 0x80 {
			cut--
		}
		b.WriteString(l[:cut])
		b.WriteString("\r\n ")
		l = l[cut:]
		limit = 74 // a continuation line starts with a space
	}
	b.WriteString(l)
	b.WriteString("\r\n")
	return b.String()
}

// plainNumber prints a target or value as people write it.
func plainNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
