// Package backfill reads history to import (`collector import`): a CSV of
// channel,account,metric,value,time rows, each checked against the config
// before anything is written. It reads the file as a stream, a row at most
// MaxRowBytes long, and keeps each good row in 32 bytes (its series by
// number, its moment, its value and its line), so that the rows of an import
// of MaxRows stay in bounded memory; they are written to the store in
// batches.
package backfill

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/store"
	"github.com/kpi-collector/kpi-collector/vocab"
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
	// fatal: the reading cannot go on past it.
	fatal bool
}

func (p Problem) Error() string { return fmt.Sprintf("line %d: %s", p.Line, p.Msg) }

// MaxRowBytes bounds a row (a record, its quoted line breaks included): the
// longest name the config takes is 256 characters, so a longer row is a
// field that runs on, such as a quote left open. Reading stops there.
const MaxRowBytes = 16 << 10

// MaxRows bounds one import: a longer history is imported in parts (the
// import is idempotent, so a part imported twice does no harm).
const MaxRows = 1_000_000

// ImportBatch is how many rows `collector import` writes a transaction.
const ImportBatch = 20_000

// Fractional says whether a channel type's metric may be a fraction (a
// ratio); every other metric takes whole numbers (collectors.TakesFractions).
type Fractional func(channelType, metric string) bool

// Reader reads and checks rows.
type Reader struct {
	cfg        *config.Config
	types      config.Types
	fractional Fractional
	now        time.Time
	csv        *csv.Reader
	limit      *rowLimit
	line       int
}

// NewReader reads rows from r, checked against cfg (its channels, accounts
// and metrics) as of now (no row may be in the future).
func NewReader(r io.Reader, cfg *config.Config, types config.Types, now time.Time, fractional Fractional) (*Reader, error) {
	limit := &rowLimit{r: r, line: 1}
	c := csv.NewReader(limit)
	c.FieldsPerRecord = -1 // a wrong count is said with the line, not as csv's error
	c.ReuseRecord = true
	rd := &Reader{cfg: cfg, types: types, fractional: fractional, now: now, csv: c, limit: limit}
	head, err := c.Read()
	if errors.Is(err, io.EOF) {
		return nil, Problem{Line: 1, Msg: "the file is empty; it needs the header " + strings.Join(Header, ",")}
	}
	if err != nil {
		return nil, rd.problem(err)
	}
	rd.line = 1
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\uFEFF") // a spreadsheet's byte order mark
	}
	if !slices.Equal(head, Header) {
		return nil, Problem{Line: 1, Msg: fmt.Sprintf("the header is %s; it must be %s", vocab.Quote(strings.Join(head, ",")), strings.Join(Header, ","))}
	}
	return rd, nil
}

// errRowTooLong is a row over MaxRowBytes: the reading cannot go on.
type errRowTooLong struct{ line int }

func (e errRowTooLong) Error() string {
	return fmt.Sprintf("a row longer than %d bytes starts here (a field runs on: is a quote left open?); reading stopped", MaxRowBytes)
}

// rowLimit passes a CSV through, failing at a row longer than MaxRowBytes:
// a line break ends a row unless it is within quotes.
type rowLimit struct {
	r        io.Reader
	inQuotes bool
	n        int // bytes of the row so far
	line     int // the line being read
	rowLine  int // the line the row began on
	err      error
}

func (l *rowLimit) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for i, b := range p[:n] {
		if l.n == 0 {
			l.rowLine = l.line
		}
		l.n++
		switch b {
		case '"':
			l.inQuotes = !l.inQuotes
		case '\n':
			l.line++
			if !l.inQuotes {
				l.n = 0
			}
		}
		if l.n > MaxRowBytes {
			l.err = errRowTooLong{line: l.rowLine}
			return i, l.err
		}
	}
	return n, err
}

// problem turns a reading error into a Problem where it is one.
func (rd *Reader) problem(err error) error {
	var pe *csv.ParseError
	var long errRowTooLong
	switch {
	case errors.As(err, &long):
		return Problem{Line: long.line, Msg: long.Error(), fatal: true}
	case errors.As(err, &pe):
		return Problem{Line: pe.Line, Msg: pe.Err.Error()}
	}
	return err
}

var (
	wholeNumber  = regexp.MustCompile(`^[0-9]+$`)
	plainDecimal = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
)

// Next returns the next row as a reading, or its problem; io.EOF after the
// last.
func (rd *Reader) Next() (store.Reading, error) {
	rec, err := rd.csv.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return store.Reading{}, io.EOF
		}
		return store.Reading{}, rd.problem(err)
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
		return bad("channel %s is not in the config", vocab.Quote(channel))
	}
	if account == "" && len(ch.Accounts) == 1 {
		account = ch.Accounts[0]
	}
	if !slices.Contains(ch.Accounts, account) {
		return bad("account %s is not among channel %s's %d accounts (%s)", vocab.Quote(account), channel, len(ch.Accounts), vocab.FewOf(ch.Accounts))
	}
	if metrics := rd.metrics(channel, ch); !slices.Contains(metrics, metric) {
		return bad("channel %s has no metric %s (it has %s)", channel, vocab.Quote(metric), vocab.FewOf(metrics))
	}
	v, why := rd.value(ch.Type, metric, value)
	if why != "" {
		return bad("%s", why)
	}
	t, err := rd.parseTime(at)
	switch {
	case err != nil:
		return bad("time %s is neither RFC 3339 (2026-07-31T17:00:00+02:00) nor a date (2026-07-31)", vocab.Quote(at))
	case t.Before(Earliest):
		return bad("time %s is before %s: out of range", vocab.Quote(at), Earliest.Format(time.DateOnly))
	case t.After(rd.now):
		return bad("time %s is in the future", vocab.Quote(at))
	}
	return store.Reading{Channel: channel, Account: account, Metric: metric, Value: v, Time: t}, nil
}

// value reads a value as it is written, or says why it cannot: a count is a
// whole number in digits alone (1200), at most 2^53; a metric that may be a
// fraction also takes a decimal point (0.035). Nothing else (1.2K, 1_000,
// 0x1p3, 1e3, NaN) is guessed at, and nothing is rounded.
func (rd *Reader) value(channelType, metric, s string) (float64, string) {
	fractional := rd.fractional != nil && rd.fractional(channelType, metric)
	switch {
	case wholeNumber.MatchString(s):
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n > MaxCount {
			return 0, fmt.Sprintf("value %s is beyond 2^53 (9007199254740992), the largest count kept exactly", vocab.Quote(s))
		}
		return float64(n), ""
	case fractional && plainDecimal.MatchString(s):
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v > MaxCount {
			return 0, fmt.Sprintf("value %s is beyond 2^53 (9007199254740992)", vocab.Quote(s))
		}
		return v, ""
	case strings.HasPrefix(s, "-"):
		return 0, fmt.Sprintf("value %s is negative; a count is 0 or more", vocab.Quote(s))
	case fractional:
		return 0, fmt.Sprintf("value %s is not a number written plainly (digits and a decimal point, such as 0.035)", vocab.Quote(s))
	}
	return 0, fmt.Sprintf("value %s is not a whole number written plainly (digits alone, such as 1200): %s is a count", vocab.Quote(s), metric)
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

// series names one series of an import.
type series struct{ channel, account, metric string }

// row is a good row, in 32 bytes: its series by number, its moment (in
// milliseconds, the store's precision), its value and its line.
type row struct {
	ms     int64
	value  float64
	line   int
	series uint32
}

// Checked is a file read and checked: its good rows, ready to write, and
// its bad ones.
type Checked struct {
	// Good is how many good rows were read (a row repeated counts each time).
	Good int
	// Bad is how many rows are bad; Problems lists the first of them, by
	// line.
	Bad      int
	Problems []Problem
	// Stopped says the reading stopped before the end (a row over
	// MaxRowBytes, more than MaxRows): nothing may be written.
	Stopped bool

	series []series
	rows   []row // by series and moment, one a moment
}

// Check reads every row of r and checks it: a row is good when its channel,
// account and metric are in cfg, its value is written plainly (a count a
// whole number) and its time since 2000 and not in the future, and no other
// row gives its series another value at the same moment (both are bad then:
// which is right is not known). At most maxProblems problems are listed;
// Bad counts them all.
func Check(r io.Reader, cfg *config.Config, types config.Types, now time.Time, maxProblems int, fractional Fractional) (*Checked, error) {
	res := &Checked{}
	add := func(p Problem) {
		res.Bad++
		res.Problems = append(res.Problems, p)
		if len(res.Problems) > maxProblems {
			slices.SortFunc(res.Problems, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
			res.Problems = res.Problems[:maxProblems]
		}
	}
	rd, err := NewReader(r, cfg, types, now, fractional)
	if err != nil {
		var p Problem
		if errors.As(err, &p) {
			add(p)
			res.Stopped = true
			return res, nil
		}
		return nil, err
	}
	ids := map[series]uint32{}
	for {
		reading, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var p Problem
		if errors.As(err, &p) {
			add(p)
			if p.fatal {
				res.Stopped = true
				return res, nil
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if res.Good == MaxRows {
			add(Problem{Line: rd.line, Msg: fmt.Sprintf("more than %d rows: import the file in parts", MaxRows)})
			res.Stopped = true
			return res, nil
		}
		res.Good++
		key := series{reading.Channel, reading.Account, reading.Metric}
		id, ok := ids[key]
		if !ok {
			id = uint32(len(res.series)) //nolint:gosec // G115: series are the config's accounts times metrics, far fewer than 2^32
			ids[key] = id
			res.series = append(res.series, key)
		}
		res.rows = append(res.rows, row{ms: reading.Time.UnixMilli(), value: reading.Value, series: id, line: rd.line})
	}
	res.settleMoments(add)
	slices.SortFunc(res.Problems, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	return res, nil
}

// settleMoments sorts the rows by series and moment and keeps one a moment:
// a row repeated is one reading; rows that disagree are all bad.
func (c *Checked) settleMoments(bad func(Problem)) {
	slices.SortFunc(c.rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.series, b.series), cmp.Compare(a.ms, b.ms), cmp.Compare(a.line, b.line))
	})
	kept := c.rows[:0]
	for i := 0; i < len(c.rows); {
		j := i + 1
		same := true
		for j < len(c.rows) && c.rows[j].series == c.rows[i].series && c.rows[j].ms == c.rows[i].ms {
			same = same && c.rows[j].value == c.rows[i].value
			j++
		}
		if same {
			kept = append(kept, c.rows[i])
		} else {
			s := c.series[c.rows[i].series]
			at := time.UnixMilli(c.rows[i].ms).UTC().Format(time.RFC3339Nano)
			for k := i; k < j; k++ {
				other := c.rows[i]
				if k == i {
					other = c.rows[i+1]
				}
				bad(Problem{Line: c.rows[k].line, Msg: fmt.Sprintf("%s %s %s at %s: %s here, but line %d gives %s; a moment has one value",
					s.channel, vocab.Quote(s.account), s.metric, at, plainValue(c.rows[k].value), other.line, plainValue(other.value))})
			}
			c.Good -= j - i
		}
		i = j
	}
	clear(c.rows[len(kept):])
	c.rows = kept
}

func plainValue(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Readings are the good rows as readings, one a moment of a series.
func (c *Checked) Readings() []store.Reading {
	var out []store.Reading
	_ = c.each(len(c.rows)+1, func(rs []store.Reading) error {
		out = append(out, rs...)
		return nil
	})
	return out
}

// each hands the readings over in batches of at most n.
func (c *Checked) each(n int, f func([]store.Reading) error) error {
	batch := make([]store.Reading, 0, min(n, len(c.rows)))
	for i, r := range c.rows {
		s := c.series[r.series]
		batch = append(batch, store.Reading{Channel: s.channel, Account: s.account, Metric: s.metric, Value: r.value, Time: time.UnixMilli(r.ms)})
		if len(batch) == n || i == len(c.rows)-1 {
			if err := f(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return nil
}

// Write stores the good rows, batch rows a transaction (the store's writer
// waits between them, never behind the whole import), and returns how many
// readings were new or changed. Where a batch fails, the ones before it
// stay written, and importing the file again completes it.
func (c *Checked) Write(ctx context.Context, st *store.Store, batch int) (int, error) {
	changed := 0
	err := c.each(batch, func(rs []store.Reading) error {
		n, err := st.Import(ctx, rs)
		changed += n
		return err
	})
	return changed, err
}
