package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/internal/seriesmap"
)

// Readings are kept in chunks: one row per series (channel, account,
// metric) and UTC day, holding the day's readings delta-encoded. A reading
// costs about 4 bytes instead of a row's ~95, so a year of hourly readings of
// 10,000 accounts stays small. Every write gives the chunks it touches a new
// sequence number, which is how the engine tails the store.

const dayMs = int64(24 * time.Hour / time.Millisecond)

// dayOf is the UTC day (days since the epoch) of a time.
func dayOf(t time.Time) int64 {
	ms := t.UnixMilli()
	d := ms / dayMs
	if ms < 0 && ms%dayMs != 0 {
		d--
	}
	return d
}

// Chunk is the readings of one series on one UTC day.
type Chunk struct {
	Seq      int64
	Channel  string
	Account  string
	Metric   string
	Day      time.Time // 00:00 UTC
	Readings []Reading // ascending by time; Channel, Account and Metric filled in
}

var sourceCodes = map[string]uint64{SourceAPI: 0, SourceFeed: 1, SourceManual: 2}
var sourceNames = []string{SourceAPI, SourceFeed, SourceManual}

// encode writes a day's readings: per reading, the milliseconds since the
// previous one (the day's start for the first), then a header holding the
// source and, for a whole number, the zigzag delta from the previous value;
// other values follow the header as 8 bytes.
func encode(day int64, rs []Reading) []byte {
	return encodeFrom(day*dayMs, 0, rs)
}

// encodeFrom encodes readings after a reading at prevMs whose whole value
// was prevInt.
func encodeFrom(prevMs, prevInt int64, rs []Reading) []byte {
	out := make([]byte, 0, 4*len(rs)+8)
	for _, r := range rs {
		ms := r.Time.UnixMilli()
		out = binary.AppendUvarint(out, uint64(ms-prevMs)) //nolint:gosec // G115: sorted within the day, so never negative
		prevMs = ms
		src := sourceCodes[r.Source]
		if v := r.Value; v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			d := int64(v) - prevInt
			zz := uint64(d<<1) ^ uint64(d>>63) //nolint:gosec // G115: zigzag encoding works on the bit pattern
			out = binary.AppendUvarint(out, zz<<3|src<<1)
			prevInt = int64(v)
		} else {
			out = binary.AppendUvarint(out, src<<1|1)
			out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
		}
	}
	return out
}

// end is the state encode had after a chunk's last reading: the last time
// and the last whole value (the base of the next delta). It allocates
// nothing, so that appending to a day's chunk is cheap.
func end(day int64, data []byte) (lastMs, lastInt int64, err error) {
	lastMs = day * dayMs
	err = walk(day, data, func(ms int64, _ uint64, _ float64, whole int64) {
		lastMs, lastInt = ms, whole
	})
	return lastMs, lastInt, err
}

// appendTo adds readings that are not earlier than the chunk's last reading
// to its end, as encode would have written them; ok is false when one is
// earlier, and the chunk must be rebuilt.
func appendTo(day int64, data []byte, rs []Reading) (out []byte, ok bool, err error) {
	lastMs, lastInt, err := end(day, data)
	if err != nil {
		return nil, false, err
	}
	for _, r := range rs {
		if r.Time.UnixMilli() < lastMs {
			return nil, false, nil
		}
	}
	out = append(make([]byte, 0, len(data)+6*len(rs)), data...)
	return append(out, encodeFrom(lastMs, lastInt, rs)...), true, nil
}

// decode reads what encode wrote.
func decode(day int64, data []byte) ([]Reading, error) {
	var out []Reading
	err := walk(day, data, func(ms int64, src uint64, v float64, _ int64) {
		out = append(out, Reading{Time: time.UnixMilli(ms), Value: v, Source: sourceNames[src]})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// walk calls fn with each reading of a chunk: its time, source, value and
// the whole value the next delta counts from.
func walk(day int64, data []byte, fn func(ms int64, src uint64, v float64, whole int64)) error {
	prevMs, prevInt := day*dayMs, int64(0)
	for len(data) > 0 {
		delta, n := binary.Uvarint(data)
		if n <= 0 {
			return errors.New("a damaged chunk")
		}
		data = data[n:]
		prevMs += int64(delta) //nolint:gosec // G115: a damaged chunk decodes to nonsense times, not a crash
		head, n := binary.Uvarint(data)
		if n <= 0 {
			return errors.New("a damaged chunk")
		}
		data = data[n:]
		src := (head >> 1) & 3
		if int(src) >= len(sourceNames) {
			return errors.New("a damaged chunk")
		}
		var v float64
		if head&1 == 1 {
			if len(data) < 8 {
				return errors.New("a damaged chunk")
			}
			v = math.Float64frombits(binary.LittleEndian.Uint64(data))
			data = data[8:]
		} else {
			zz := head >> 3
			prevInt += int64(zz>>1) ^ -int64(zz&1) //nolint:gosec // G115: zigzag decoding works on the bit pattern
			v = float64(prevInt)
		}
		fn(prevMs, src, v, prevInt)
	}
	return nil
}

// seriesKey names a series.
type seriesKey struct{ channel, account, metric string }

func (k seriesKey) compare(o seriesKey) int {
	return cmp.Or(strings.Compare(k.channel, o.channel), strings.Compare(k.account, o.account), strings.Compare(k.metric, o.metric))
}

func (k seriesKey) key() seriesmap.Key {
	return seriesmap.Key{Channel: k.channel, Account: k.account, Metric: k.metric}
}

// seriesIDs returns the ids of the series, in the keys' order, creating
// those that are new in a transaction of their own. The map lock is not held
// while the transaction runs: adding a series is idempotent (the insert
// returns the existing id on conflict), so two callers adding the same one
// learn the same id.
func (s *Store) seriesIDs(ctx context.Context, keys []seriesKey) ([]int64, error) {
	return s.seriesIDsOf(ctx, len(keys), func(i int) seriesKey { return keys[i] })
}

// seriesIDsOf is seriesIDs of n keys given one at a time by key: a run of
// 300,000 readings need not hold a second list of their names.
func (s *Store) seriesIDsOf(ctx context.Context, n int, key func(i int) seriesKey) ([]int64, error) {
	out := make([]int64, n)
	var missing []int // indexes of keys
	s.mu.Lock()
	for i := range n {
		if id, ok := s.series.Get(key(i).key()); ok {
			out[i] = id
		} else {
			missing = append(missing, i)
		}
	}
	s.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	if err := s.addSeries(ctx, key, missing, out); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, i := range missing {
		s.series.Set(key(i).key(), out[i])
	}
	return out, nil
}

// seriesPerInsert bounds the rows of one INSERT (four parameters each, well
// under SQLite's 32766-parameter limit). One statement per series cost 33 µs
// each: 3.4 s for a first run of 100,000 series.
const seriesPerInsert = 1000

// seriesPerTx bounds the series one write transaction adds: a first run of
// 300,000 series held the write lock for 0.8 s in one, and a recording from
// another process waited as long; 10,000 take about 30 ms. A variable so that
// a test can span transactions with fewer series.
var seriesPerTx = 10 * seriesPerInsert

// addSeries inserts the missing series, in key order (the unique index on
// the names then grows at its end: 300,000 new series went in 0.94–1.02 s
// instead of 1.10–1.23 s), seriesPerTx to a transaction, and puts their ids
// into ids at the indexes missing names (a map by key cost 30 MB in a first
// run of 300,000 series).
func (s *Store) addSeries(ctx context.Context, key func(int) seriesKey, missing []int, ids []int64) error {
	missing = slices.Clone(missing)
	slices.SortFunc(missing, func(a, b int) int { return key(a).compare(key(b)) })
	for len(missing) > 0 {
		part := missing[:min(len(missing), seriesPerTx)]
		missing = missing[len(part):]
		if err := s.addSeriesTx(ctx, key, part, ids); err != nil {
			return err
		}
	}
	return nil
}

// addSeriesTx adds some of addSeries' series in one transaction, many rows
// to a statement. The transaction holds SQLite's write lock from its start
// (_txlock=immediate), so no other process adds a series meanwhile: the ids
// are given here, from the largest one stored, and need not be read back. A
// key another process added since this one loaded its map is left as it is
// (ON CONFLICT DO NOTHING); a batch where that happened reads its ids back.
func (s *Store) addSeriesTx(ctx context.Context, key func(int) seriesKey, missing []int, ids []int64) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("adding series: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM series`).Scan(&last); err != nil {
		return fmt.Errorf("adding series: %w", err)
	}
	insert := &manyRows{tx: tx.Tx, head: "INSERT INTO series (id, channel, account, metric) VALUES ",
		tail: " ON CONFLICT (channel, account, metric) DO NOTHING", cols: 4, full: seriesPerInsert}
	defer insert.close()
	for len(missing) > 0 {
		batch := missing[:min(len(missing), seriesPerInsert)]
		missing = missing[len(batch):]
		args := make([]any, 0, 4*len(batch))
		for j, i := range batch {
			k := key(i)
			args = append(args, last+1+int64(j), k.channel, k.account, k.metric)
		}
		res, err := insert.exec(ctx, len(batch), args...)
		if err != nil {
			return fmt.Errorf("adding series: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == int64(len(batch)) {
			for j, i := range batch {
				ids[i] = last + 1 + int64(j)
			}
		} else if err := s.readSeriesIDs(ctx, tx, key, batch, ids); err != nil {
			return err
		}
		last += int64(len(batch))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("adding series: %w", err)
	}
	return nil
}

// rows is n rows of cols placeholders each, "(?, ?), (?, ?)", for a
// statement of many rows: only placeholders are spliced into SQL.
func rows(n, cols int) string {
	row := "(?" + strings.Repeat(", ?", cols-1) + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// manyRows is a statement of many rows (or, with cols 1, a list "?, ?")
// between head and tail, run in one transaction: prepared once for batches
// of the full size, and on its own for a shorter one. Parsing a statement
// of 4,000 placeholders took SQLite 0.7 ms, 0.2 s for the 300 batches of a
// run of 300,000 series.
type manyRows struct {
	tx         *sql.Tx
	head, tail string
	cols, full int
	stmt       *sql.Stmt
}

func (m *manyRows) sql(n int) string {
	if m.cols == 1 {
		return m.head + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + m.tail
	}
	return m.head + rows(n, m.cols) + m.tail
}

// prepared is the statement for n rows.
func (m *manyRows) prepared(ctx context.Context, n int) (*sql.Stmt, bool, error) {
	if n != m.full {
		return nil, false, nil
	}
	if m.stmt == nil {
		stmt, err := m.tx.PrepareContext(ctx, m.sql(n))
		if err != nil {
			return nil, false, err
		}
		m.stmt = stmt
	}
	return m.stmt, true, nil
}

func (m *manyRows) exec(ctx context.Context, n int, args ...any) (sql.Result, error) {
	if stmt, ok, err := m.prepared(ctx, n); err != nil || ok {
		if err != nil {
			return nil, err
		}
		return stmt.ExecContext(ctx, args...)
	}
	return m.tx.ExecContext(ctx, m.sql(n), args...)
}

func (m *manyRows) query(ctx context.Context, n int, args ...any) (*sql.Rows, error) {
	if stmt, ok, err := m.prepared(ctx, n); err != nil || ok {
		if err != nil {
			return nil, err
		}
		return stmt.QueryContext(ctx, args...)
	}
	return m.tx.QueryContext(ctx, m.sql(n), args...)
}

func (m *manyRows) close() {
	if m.stmt != nil {
		m.stmt.Close()
	}
}

// readSeriesIDs reads the ids of a batch of keys back, within tx, into ids.
func (s *Store) readSeriesIDs(ctx context.Context, tx *writeTx, key func(int) seriesKey, batch []int, ids []int64) error {
	args := make([]any, 0, 3*len(batch))
	for _, i := range batch {
		k := key(i)
		args = append(args, k.channel, k.account, k.metric)
	}
	found := map[seriesKey]int64{}
	if err := scanSeries(ctx, tx, "SELECT channel, account, metric, id FROM series WHERE (channel, account, metric) IN (VALUES "+rows(len(batch), 3)+")", args, found); err != nil {
		return err
	}
	for _, i := range batch {
		k := key(i)
		id, ok := found[k]
		if !ok {
			return fmt.Errorf("adding series %s/%s/%s: no id returned", k.channel, k.account, k.metric)
		}
		ids[i] = id
	}
	return nil
}

func scanSeries(ctx context.Context, tx *writeTx, query string, args []any, into map[seriesKey]int64) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("adding series: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k seriesKey
		var id int64
		if err := rows.Scan(&k.channel, &k.account, &k.metric, &id); err != nil {
			return fmt.Errorf("adding series: %w", err)
		}
		into[k] = id
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("adding series: %w", err)
	}
	return nil
}

// nextSeq takes the next sequence number inside a write transaction, so that
// sequence order is commit order, whichever process writes.
func nextSeq(ctx context.Context, tx *sql.Tx) (int64, error) {
	var seq int64
	err := tx.QueryRowContext(ctx, `UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'seq' RETURNING CAST(value AS INTEGER)`).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("taking a sequence number: %w", err)
	}
	return seq, nil
}

// chunkWriter adds readings to chunks within one transaction.
type chunkWriter struct {
	tx       *sql.Tx
	get, put *sql.Stmt
	// A part's chunks read and written, seriesPerPart at a time.
	getPart, putPart *manyRows
	seq              int64
	// setAsideAny is set once a damaged chunk was set aside: the store's
	// list of them is reread after the commit.
	setAsideAny bool
}

// setAside moves a chunk that does not decode into the quarantine, within
// the writer's transaction, before anything is written in its place.
func (w *chunkWriter) setAside(ctx context.Context, series, day int64, data []byte, why error) error {
	w.setAsideAny = true
	return setAside(ctx, w.tx, time.Now(), []damagedChunk{{series: series, day: day, data: data, reason: why.Error()}})
}

func newChunkWriter(ctx context.Context, tx *sql.Tx) (*chunkWriter, error) {
	seq, err := nextSeq(ctx, tx)
	if err != nil {
		return nil, err
	}
	get, err := tx.PrepareContext(ctx, `SELECT data FROM chunks WHERE series = ? AND day = ?`)
	if err != nil {
		return nil, err
	}
	put, err := tx.PrepareContext(ctx, `INSERT INTO chunks (series, day, seq, data) VALUES (?, ?, ?, ?)
		ON CONFLICT (series, day) DO UPDATE SET seq = excluded.seq, data = excluded.data`)
	if err != nil {
		get.Close()
		return nil, err
	}
	return &chunkWriter{tx: tx, get: get, put: put, seq: seq,
		getPart: &manyRows{tx: tx, head: `SELECT series, data FROM chunks WHERE day = ? AND series IN (`, tail: `)`, cols: 1, full: seriesPerPart},
		putPart: &manyRows{tx: tx, head: `INSERT INTO chunks (series, day, seq, data) VALUES `,
			tail: ` ON CONFLICT (series, day) DO UPDATE SET seq = excluded.seq, data = excluded.data`, cols: 4, full: seriesPerPart},
	}, nil
}

func (w *chunkWriter) close() { w.get.Close(); w.put.Close(); w.getPart.close(); w.putPart.close() }

// add puts readings (of one series) into their days' chunks.
func (w *chunkWriter) add(ctx context.Context, series int64, rs []Reading) error {
	byDay := map[int64][]Reading{}
	for _, r := range rs {
		if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
			return fmt.Errorf("refusing a non-finite reading for %s/%s/%s", r.Channel, r.Account, r.Metric)
		}
		byDay[dayOf(r.Time)] = append(byDay[dayOf(r.Time)], r)
	}
	for day, add := range byDay {
		have, err := w.day(ctx, series, day)
		if err != nil {
			return err
		}
		all := append(have, add...)
		// Stable: of two readings at the same moment the later write comes last.
		sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
		if _, err := w.put.ExecContext(ctx, series, day, w.seq, encode(day, all)); err != nil {
			return fmt.Errorf("writing a chunk: %w", err)
		}
	}
	return nil
}

// raiseAfter adds by to every reading of the series later than t: a
// backdated add counts from its moment on.
func (w *chunkWriter) raiseAfter(ctx context.Context, series int64, t time.Time, by float64) error {
	rows, err := w.tx.QueryContext(ctx, `SELECT day, data FROM chunks WHERE series = ? AND day >= ?`, series, dayOf(t))
	if err != nil {
		return fmt.Errorf("reading later readings: %w", err)
	}
	type chunk struct {
		day int64
		rs  []Reading
	}
	var todo []chunk
	var damaged []damagedChunk
	for rows.Next() {
		var c chunk
		var data []byte
		if err := rows.Scan(&c.day, &data); err != nil {
			rows.Close()
			return fmt.Errorf("reading later readings: %w", err)
		}
		if c.rs, err = decode(c.day, data); err != nil {
			damaged = append(damaged, damagedChunk{series: series, day: c.day, data: data, reason: err.Error()})
			continue
		}
		todo = append(todo, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading later readings: %w", err)
	}
	for _, d := range damaged {
		if err := w.setAside(ctx, d.series, d.day, d.data, errors.New(d.reason)); err != nil {
			return err
		}
	}
	for _, c := range todo {
		changed := false
		for i := range c.rs {
			if c.rs[i].Time.After(t) {
				c.rs[i].Value += by
				if c.rs[i].Value > MaxValue {
					return ErrBeyondMaxValue
				}
				changed = true
			}
		}
		if !changed {
			continue
		}
		if _, err := w.put.ExecContext(ctx, series, c.day, w.seq, encode(c.day, c.rs)); err != nil {
			return fmt.Errorf("writing a chunk: %w", err)
		}
	}
	return nil
}

// day is a series' readings of one day as stored; a chunk that does not
// decode is set aside, and the day starts again from nothing.
func (w *chunkWriter) day(ctx context.Context, series, day int64) ([]Reading, error) {
	var data []byte
	err := w.get.QueryRowContext(ctx, series, day).Scan(&data)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("reading a chunk: %w", err)
	}
	have, err := decode(day, data)
	if err != nil {
		if err := w.setAside(ctx, series, day, data, err); err != nil {
			return nil, err
		}
		return nil, nil
	}
	return have, nil
}

// replace puts a reading into its day's chunk in place of any reading of
// the series at the same moment.
func (w *chunkWriter) replace(ctx context.Context, series int64, r Reading) error {
	if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
		return fmt.Errorf("refusing a non-finite reading for %s/%s/%s", r.Channel, r.Account, r.Metric)
	}
	day := dayOf(r.Time)
	have, err := w.day(ctx, series, day)
	if err != nil {
		return err
	}
	all := slices.DeleteFunc(have, func(h Reading) bool { return h.Time.Equal(r.Time) })
	all = append(all, r)
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	if _, err := w.put.ExecContext(ctx, series, day, w.seq, encode(day, all)); err != nil {
		return fmt.Errorf("writing a chunk: %w", err)
	}
	return nil
}

// seriesReadings are one series' readings of a run.
type seriesReadings struct {
	id int64
	rs []Reading
}

// addAll adds one day's readings of many series, a thousand series at a
// time: their existing chunks are read in one query, not one each, and no
// more than a thousand are held.
func (w *chunkWriter) addAll(ctx context.Context, day int64, groups iter.Seq[seriesReadings]) error {
	part := make([]seriesReadings, 0, seriesPerPart)
	for g := range groups {
		part = append(part, g)
		if len(part) == seriesPerPart {
			if err := w.addPart(ctx, day, part); err != nil {
				return err
			}
			part = part[:0]
		}
	}
	if len(part) > 0 {
		return w.addPart(ctx, day, part)
	}
	return nil
}

// seriesPerPart is how many series' chunks addAll reads and writes at once.
const seriesPerPart = 1000

func (w *chunkWriter) addPart(ctx context.Context, day int64, part []seriesReadings) error {
	args := make([]any, 0, len(part)+1)
	args = append(args, day)
	for _, g := range part {
		args = append(args, g.id)
	}
	found, err := w.getPart.query(ctx, len(part), args...)
	if err != nil {
		return fmt.Errorf("reading chunks: %w", err)
	}
	have := make(map[int64][]byte, len(part))
	for found.Next() {
		var id int64
		var data []byte
		if err := found.Scan(&id, &data); err != nil {
			found.Close()
			return fmt.Errorf("reading chunks: %w", err)
		}
		have[id] = data
	}
	found.Close()
	if err := found.Err(); err != nil {
		return fmt.Errorf("reading chunks: %w", err)
	}
	// The part's chunks are written by one statement of many rows: one
	// statement a series cost 1.2 s of a first run of 300,000 series.
	puts := make([]any, 0, 4*len(part))
	for _, g := range part {
		for _, r := range g.rs {
			if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
				return fmt.Errorf("refusing a non-finite reading for %s/%s/%s", r.Channel, r.Account, r.Metric)
			}
		}
		// The common case, a reading later than the day's last, appends.
		data, ok, err := appendTo(day, have[g.id], g.rs)
		if err != nil {
			// A damaged chunk costs its own day of its own series, not the run.
			if err := w.setAside(ctx, g.id, day, have[g.id], err); err != nil {
				return err
			}
			data, ok = encode(day, g.rs), true
		}
		if !ok {
			rs, err := decode(day, have[g.id])
			if err != nil {
				return err
			}
			all := append(rs, g.rs...)
			sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
			data = encode(day, all)
		}
		puts = append(puts, g.id, day, w.seq, data)
	}
	if len(puts) == 0 {
		return nil
	}
	if _, err := w.putPart.exec(ctx, len(puts)/4, puts...); err != nil {
		return fmt.Errorf("writing chunks: %w", err)
	}
	return nil
}

// ChunksAfter calls fn with every chunk written after sequence number after,
// in sequence order; with after 0 it calls fn with every chunk, series by
// series and each series' days in order (the table's own order, so that a
// reader can finish one series before the next). It returns the highest
// sequence number seen (after, if none).
func (s *Store) ChunksAfter(ctx context.Context, after int64, fn func(Chunk) error) (int64, error) {
	q := `SELECT c.seq, c.series, s.channel, s.account, s.metric, c.day, c.data FROM chunks c JOIN series s ON s.id = c.series`
	var args []any
	if after > 0 {
		q += ` WHERE c.seq > ? ORDER BY c.seq`
		args = append(args, after)
	} else {
		q += ` ORDER BY c.series, c.day`
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return after, fmt.Errorf("reading the store: %w", err)
	}
	maxSeq := after
	var damaged []damagedChunk
	defer func() {
		// Set aside after the read: one damaged chunk costs its own day of
		// its own series, never the start or the other series.
		rows.Close()
		_ = s.quarantine(context.WithoutCancel(ctx), damaged)
	}()
	for rows.Next() {
		var c Chunk
		var series, day int64
		var data []byte
		if err := rows.Scan(&c.Seq, &series, &c.Channel, &c.Account, &c.Metric, &day, &data); err != nil {
			return maxSeq, fmt.Errorf("reading the store: %w", err)
		}
		c.Day = time.UnixMilli(day * dayMs).UTC()
		if c.Readings, err = decode(day, data); err != nil {
			damaged = append(damaged, damagedChunk{series: series, day: day, data: data, reason: err.Error()})
			maxSeq = max(maxSeq, c.Seq)
			continue
		}
		for i := range c.Readings {
			c.Readings[i].Channel, c.Readings[i].Account, c.Readings[i].Metric = c.Channel, c.Account, c.Metric
		}
		if err := fn(c); err != nil {
			return maxSeq, err
		}
		maxSeq = max(maxSeq, c.Seq)
	}
	return maxSeq, rows.Err()
}

// Readings returns every stored reading of every series, for tools and tests.
func (s *Store) Readings(ctx context.Context) ([]Reading, error) {
	var out []Reading
	_, err := s.ChunksAfter(ctx, 0, func(c Chunk) error {
		out = append(out, c.Readings...)
		return nil
	})
	return out, err
}

// MaxSeq is the sequence number of the last write (0 for none).
func (s *Store) MaxSeq(ctx context.Context) (int64, error) {
	var seq sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'seq'`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("reading the store: %w", err)
	}
	return seq.Int64, nil
}

// Latest is a series' latest stored reading; ok is false when it has none
// (or its latest day is damaged).
func (s *Store) Latest(ctx context.Context, channel, account, metric string) (Reading, bool, error) {
	var day int64
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT c.day, c.data FROM chunks c JOIN series s ON s.id = c.series
		WHERE s.channel = ? AND s.account = ? AND s.metric = ? ORDER BY c.day DESC LIMIT 1`, channel, account, metric).Scan(&day, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return Reading{}, false, nil
	}
	if err != nil {
		return Reading{}, false, fmt.Errorf("reading the latest value: %w", err)
	}
	rs, err := decode(day, data)
	if err != nil || len(rs) == 0 {
		return Reading{}, false, nil //nolint:nilerr // a damaged day is no known value; check --store says more
	}
	return rs[len(rs)-1], true, nil
}
