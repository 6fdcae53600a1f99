package fakeapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Growing accounts answer counts that grow with the fake's clock, for tests
// that run months under an injected clock: YouTube's UCgrow<n> and
// Bluesky's grow<n>.bsky.social (did:plc:grow<n>) gain n followers a day
// from GrowthEpoch (GrowingCount), and /feed/weekly.xml lists a post a week
// from GrowthEpoch, each dated, up to the clock's now. TakeServed lists every
// count they were answered with, so that a test can work out what a KPI
// should show from what was served rather than from the same formula.

// GrowthEpoch is when growing accounts start at their base (1000 × n).
var GrowthEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// GrowingCount is growing account n's count at t: 1000 × n, plus n a day
// since GrowthEpoch (whole days).
func GrowingCount(n int, t time.Time) int {
	days := int(t.Sub(GrowthEpoch) / (24 * time.Hour))
	return 1000*n + n*max(days, 0)
}

// ServedCount is a count a growing account was answered with.
type ServedCount struct {
	API             API
	Account, Metric string
	Time            time.Time // the fake's clock when it answered
	Value           int
}

// SetClock gives the fake the clock growing accounts follow (default:
// time.Now).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	s.growClock = now
	s.mu.Unlock()
}

func (s *Server) clock() time.Time {
	s.mu.Lock()
	now := s.growClock
	s.mu.Unlock()
	if now == nil {
		return time.Now()
	}
	return now()
}

// TakeServed returns the counts growing accounts were answered with since
// the last call, in order, and forgets them (a test of months takes them as
// it goes, so that the fake's memory stays flat).
func (s *Server) TakeServed() []ServedCount {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]ServedCount(nil), s.served...)
	s.served = s.served[:0]
	return out
}

// growing answers a growing account's count now and notes it.
func (s *Server) growing(api API, account, metric string, n int) int {
	now := s.clock()
	v := GrowingCount(n, now)
	s.mu.Lock()
	s.served = append(s.served, ServedCount{API: api, Account: account, Metric: metric, Time: now, Value: v})
	s.mu.Unlock()
	return v
}

// weeklyFeed is an RSS feed with a post every week from GrowthEpoch up to
// the clock's now, newest first, the last 20 (a feed shows its latest).
func (s *Server) weeklyFeed(w http.ResponseWriter) {
	now := s.clock()
	var items []string
	for i := 0; ; i++ {
		pub := GrowthEpoch.Add(time.Duration(i) * 7 * 24 * time.Hour).Add(9 * time.Hour)
		if pub.After(now) {
			break
		}
		items = append(items, fmt.Sprintf("<item><title>Week %d</title><guid>week-%d</guid><pubDate>%s</pubDate></item>", i, i, pub.Format(time.RFC1123Z)))
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Weekly</title><link>https://blog.example/</link><description>A post a week</description>`)
	for i := len(items) - 1; i >= 0 && i >= len(items)-20; i-- {
		b.WriteString(items[i])
	}
	b.WriteString(`</channel></rss>`)
	reply(w, http.StatusOK, []byte(b.String()), "Content-Type", "application/rss+xml")
}
