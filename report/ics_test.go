package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
)

// The milestones feed parses with a real iCalendar parser: one all-day event
// per milestone on its due day, summarized "KPI: target", with a UID that
// stays the same from one fetch to the next; the text is the hand-checked
// golden file.
func TestMilestonesCalendar(t *testing.T) {
	s := sampleSnapshot()
	var b bytes.Buffer
	if err := WriteICS(&b, s); err != nil {
		t.Fatal(err)
	}
	compareGolden(t, "milestones.ics", b.Bytes())
	for _, l := range strings.Split(b.String(), "\r\n") {
		if len(l) > 75 {
			t.Errorf("a line of %d octets: %q", len(l), l)
		}
	}

	cal, err := ics.ParseCalendar(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("parsing: %v", err)
	}
	events := cal.Events()
	want2 := 0
	for _, k := range s.KPIs {
		want2 += len(k.Milestones)
	}
	if len(events) != want2 || want2 == 0 {
		t.Fatalf("%d events, want %d", len(events), want2)
	}
	uids := map[string]bool{}
	for _, e := range events {
		uid := e.Id()
		if uid == "" || uids[uid] {
			t.Errorf("UID %q is empty or repeated", uid)
		}
		uids[uid] = true
		start, err := e.GetAllDayStartAt()
		if err != nil {
			t.Fatal(err)
		}
		if start.Format(time.DateOnly) != "2026-07-31" {
			t.Errorf("an event starts %v, want the due day 2026-07-31", start)
		}
		summary := e.GetProperty(ics.ComponentPropertySummary).Value
		if !strings.Contains(summary, ": ") {
			t.Errorf("summary %q is not KPI: target", summary)
		}
	}
	// The same milestones, fetched again later, keep their UIDs.
	later := sampleSnapshot()
	later.At = later.At.Add(48 * time.Hour)
	var again bytes.Buffer
	if err := WriteICS(&again, later); err != nil {
		t.Fatal(err)
	}
	cal2, err := ics.ParseCalendar(bytes.NewReader(again.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range cal2.Events() {
		if !uids[e.Id()] {
			t.Errorf("UID %s changed between fetches", e.Id())
		}
	}
}
