package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// A chunk that no longer decodes (a bad disk, a stray write) is set aside in
// the quarantine table with the reason, never deleted: the series goes on
// without that day, every other series is untouched, and the daemon starts.
// Damaged lists them for the log, the metric kpi_store_quarantined_chunks and
// `collector check --store`.

// Damaged is one chunk set aside.
type Damaged struct {
	Channel, Account, Metric string
	Day                      time.Time // 00:00 UTC of the chunk's day
	Reason                   string
}

func (d Damaged) String() string {
	return fmt.Sprintf("%s/%s/%s on %s: %s", d.Channel, d.Account, d.Metric, d.Day.Format(time.DateOnly), d.Reason)
}

// damagedChunk is a chunk found damaged, to be set aside.
type damagedChunk struct {
	series, day int64
	data        []byte
	reason      string
}

// setAside moves damaged chunks into the quarantine table inside tx.
func setAside(ctx context.Context, tx *sql.Tx, now time.Time, chunks []damagedChunk) error {
	for _, c := range chunks {
		if _, err := tx.ExecContext(ctx, `INSERT INTO quarantine (series, day, at_ms, reason, data) VALUES (?, ?, ?, ?, ?)`,
			c.series, c.day, now.UnixMilli(), c.reason, c.data); err != nil {
			return fmt.Errorf("setting a damaged chunk aside: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM chunks WHERE series = ? AND day = ?`, c.series, c.day); err != nil {
			return fmt.Errorf("setting a damaged chunk aside: %w", err)
		}
	}
	return nil
}

// quarantine sets damaged chunks aside in a write transaction of its own.
func (s *Store) quarantine(ctx context.Context, chunks []damagedChunk) error {
	if len(chunks) == 0 {
		return nil
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("setting damaged chunks aside: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := setAside(ctx, tx.Tx, time.Now(), chunks); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("setting damaged chunks aside: %w", err)
	}
	return s.loadDamaged(ctx)
}

// loadDamaged reads the quarantine table's list into memory.
func (s *Store) loadDamaged(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT s.channel, s.account, s.metric, q.day, q.reason
		FROM quarantine q JOIN series s ON s.id = q.series ORDER BY s.channel, s.account, s.metric, q.day`)
	if err != nil {
		return fmt.Errorf("reading the quarantine: %w", err)
	}
	defer rows.Close()
	var out []Damaged
	for rows.Next() {
		var d Damaged
		var day int64
		if err := rows.Scan(&d.Channel, &d.Account, &d.Metric, &day, &d.Reason); err != nil {
			return fmt.Errorf("reading the quarantine: %w", err)
		}
		d.Day = time.UnixMilli(day * dayMs).UTC()
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the quarantine: %w", err)
	}
	s.notesMu.Lock()
	s.damaged = out
	s.notesMu.Unlock()
	return nil
}

// Damaged lists the chunks set aside, by series and day.
func (s *Store) Damaged() []Damaged {
	s.notesMu.Lock()
	defer s.notesMu.Unlock()
	return slices.Clone(s.damaged)
}

// Scan decodes every chunk and sets aside those that do not decode: what
// `collector check --store` runs. It returns the chunks it set aside.
func (s *Store) Scan(ctx context.Context) ([]Damaged, error) {
	before := len(s.Damaged())
	if _, err := s.ChunksAfter(ctx, 0, func(Chunk) error { return nil }); err != nil {
		return nil, err
	}
	return s.Damaged()[before:], nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
