// Package backfill reads history to import (`collector import`): a CSV of
// channel,account,metric,value,time rows, each checked against the config
// before anything is written. It reads the file as a stream, so a file of any
// size is checked in bounded memory; the readings it returns for writing come
// a batch at a time.
package backfill

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/store"
)

// Header is the first line every import file has.
var Header = []string{"channel", "account", "metric", "value", "time"}

// Earliest is the earliest moment a row may be about.
var Earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// MaxCount is the largest value a row may hold: 2^53, the largest count a
// float64 keeps exactly.
const MaxCount = 1 << 53

// Problem is a row that cannot be imported, at its line.
type Problem struct {
	Line int
	Msg  string
}

func (p Problem) Error() string { return fmt.Sprintf("line %d: %s", p.Line, p.Msg) }

// Reader reads and checks rows.
type Reader struct {
	cfg   *config.Config
	types config.Types
	now   time.Time
	csv   *csv.Reader
	line  int
}

// NewReader reads rows from r, checked against cfg (its channels, accounts
// and metrics) as of now (no row may be in the future).
func NewReader(r io.Reader, cfg *config.Config, types config.Types, now time.Time) (*Reader, error) {
	c := csv.NewReader(r)
	c.FieldsPerRecord = -1 // a wrong count is said with the line, not as csv's error
	c.ReuseRecord = true
	rd := &Reader{cfg: cfg, types: types, now: now, csv: c}
	head, err := c.Read()
	if errors.Is(err, io.EOF) {
		return nil, Problem{Line: 1, Msg: "the file is empty; it needs the header " + strings.Join(Header, ",")}
	}
	if err != nil {
		return nil, Problem{Line: 1, Msg: err.Error()}
	}
	rd.line = 1
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\uFEFF") // a spreadsheet's byte order mark
	}
	if !slices.Equal(head, Header) {
		return nil, Problem{Line: 1, Msg: fmt.Sprintf("the header is %q; it must be %s", strings.Join(head, ","), strings.Join(Header, ","))}
	}
	return rd, nil
}

// Next returns the next row as a reading, or its problem; io.EOF after the
// last.
func (rd *Reader) Next() (store.Reading, error) {
	rec, err := rd.csv.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return store.Reading{}, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return store.Reading{}, Problem{Line: pe.Line, Msg: pe.Err.Error()}
		}
		return store.Reading{}, err
	}
	line, _ := rd.csv.FieldPos(0)
	rd.line = line
	bad := func(format string, args ...any) (store.Reading, error) {
		return store.Reading{}, Problem{Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	if len(rec) != len(Header) {
		return bad("%d columns; a row has %d: %s", len(rec), len(Header), strings.Join(Header, ","))
	}
	for _, f := range rec {
		if !utf8.ValidString(f) {
			return bad("the row is not UTF-8 text; save the file as UTF-8")
		}
	}
	channel, account, metric, value, at := rec[0], rec[1], rec[2], strings.TrimSpace(rec[3]), strings.TrimSpace(rec[4])
	ch, ok := rd.cfg.Channels[channel]
	if !ok {
		return bad("channel %q is not in the config", channel)
	}
	if account == "" && len(ch.Accounts) == 1 {
		account = ch.Accounts[0]
	}
	if !slices.Contains(ch.Accounts, account) {
		return bad("account %q is not among channel %s's accounts", account, channel)
	}
	if metrics := rd.metrics(channel, ch); !slices.Contains(metrics, metric) {
		return bad("channel %s has no metric %q (it has %s)", channel, metric, strings.Join(metrics, ", "))
	}
	v, err := strconv.ParseFloat(value, 64)
	switch {
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		return bad("value %q is not a number", value)
	case v < 0:
		return bad("value %s is negative; a count is 0 or more", value)
	case v > MaxCount:
		return bad("value %s is beyond 2^53, the largest count kept exactly", value)
	}
	t, err := rd.parseTime(at)
	switch {
	case err != nil:
		return bad("time %q is neither RFC 3339 (2026-07-31T17:00:00+02:00) nor a date (2026-07-31)", at)
	case t.Before(Earliest):
		return bad("time %s is before %s: out of range", at, Earliest.Format(time.DateOnly))
	case t.After(rd.now):
		return bad("time %s is in the future", at)
	}
	return store.Reading{Channel: channel, Account: account, Metric: metric, Value: v, Time: t}, nil
}

// metrics are what a channel's readings may be: its type's metrics, or for
// types whose metrics the user names, those named.
func (rd *Reader) metrics(name string, ch *config.Channel) []string {
	spec := rd.types[ch.Type]
	out := slices.Clone(spec.Metrics)
	for m := range config.UserMetricsOf(ch) {
		out = append(out, m)
	}
	for _, k := range rd.cfg.KPIs {
		if k.Channel == name && !slices.Contains(out, k.Metric) {
			out = append(out, k.Metric)
		}
	}
	slices.Sort(out)
	return out
}

// parseTime reads RFC 3339, or a date: the end of that day in the plan's
// zone (a day's count is what it was when the day ended), less a
// millisecond, so that the reading stays on its day.
func (rd *Reader) parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, rd.cfg.Plan.Location)
	if err != nil {
		return time.Time{}, err
	}
	return d.AddDate(0, 0, 1).Add(-time.Millisecond), nil
}

// MaxRows bounds one import, so that its rows, held for the one transaction
// that writes them, stay in bounded memory: a longer history is imported in
// parts (the import is idempotent, so a part imported twice does no harm).
const MaxRows = 1_000_000

// Check reads every row of r and returns the readings of the good ones and
// the problems of the others, at most maxProblems of them listed (the count
// says how many in all). Past MaxRows good rows it stops with a problem.
func Check(r io.Reader, cfg *config.Config, types config.Types, now time.Time, maxProblems int) (readings []store.Reading, problems []Problem, bad int, err error) {
	rd, err := NewReader(r, cfg, types, now)
	if err != nil {
		var p Problem
		if errors.As(err, &p) {
			return nil, []Problem{p}, 1, nil
		}
		return nil, nil, 0, err
	}
	for {
		reading, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return readings, problems, bad, nil
		}
		var p Problem
		if errors.As(err, &p) {
			bad++
			if len(problems) < maxProblems {
				problems = append(problems, p)
			}
			continue
		}
		if err != nil {
			return nil, problems, bad, err
		}
		if len(readings) == MaxRows {
			p := Problem{Line: rd.line, Msg: fmt.Sprintf("more than %d rows: import the file in parts", MaxRows)}
			return nil, append(problems, p), bad + 1, nil
		}
		readings = append(readings, reading)
	}
}
