package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DigestRecord is the named digest's record: at is zero where it has none.
func (s *Store) DigestRecord(ctx context.Context, name string) (at time.Time, failures int, state []byte, err error) {
	var ms int64
	err = s.db.QueryRowContext(ctx, `SELECT at_ms, failures, state FROM digests WHERE name = ?`, name).Scan(&ms, &failures, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, 0, nil, nil
	}
	if err != nil {
		return time.Time{}, 0, nil, fmt.Errorf("reading the record of digest %s: %w", name, err)
	}
	return time.UnixMilli(ms), failures, state, nil
}

// SaveDigestRecord replaces the named digest's record.
func (s *Store) SaveDigestRecord(ctx context.Context, name string, at time.Time, failures int, state []byte) error {
	_, err := s.exec(ctx, `INSERT INTO digests (name, at_ms, failures, state) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET at_ms = excluded.at_ms, failures = excluded.failures, state = excluded.state`,
		name, at.UnixMilli(), failures, state)
	if err != nil {
		return fmt.Errorf("recording digest %s: %w", name, err)
	}
	return nil
}
