package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
)

// Hidden counts: an API that withholds a count (a hidden subscriber count, an
// account that hides its follower lists) gives no reading, and that is said
// where the KPI is shown, so that it is not a silent no_data. The latest word
// of each run is kept, in the table and in memory: a count shown again
// clears it.

// Hidden is a count an API withholds for an account, and why.
type Hidden struct {
	Account, Metric string
	Why             string
}

// HiddenKey names a hidden count.
type HiddenKey struct{ Channel, Account, Metric string }

// saveHidden records a run's hidden counts and clears those it read, inside
// the run's transaction; it returns the set as it will be once committed.
func (s *Store) saveHidden(ctx context.Context, tx *sql.Tx, run Run) (map[HiddenKey]string, error) {
	s.notesMu.Lock()
	next := maps.Clone(s.hidden)
	s.notesMu.Unlock()
	changed := false
	// A reading of a hidden count, of either form, clears it.
	unhide := func(account, metric string) error {
		k := HiddenKey{run.Channel, account, metric}
		if _, ok := next[k]; !ok {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM hidden_counts WHERE channel = ? AND account = ? AND metric = ?`, k.Channel, k.Account, k.Metric); err != nil {
			return fmt.Errorf("saving the hidden counts of %s: %w", run.Channel, err)
		}
		delete(next, k)
		changed = true
		return nil
	}
	for _, v := range run.Values {
		if err := unhide(v.Account, v.Metric); err != nil {
			return nil, err
		}
	}
	for _, r := range run.Readings {
		if err := unhide(r.Account, r.Metric); err != nil {
			return nil, err
		}
	}
	for _, h := range run.Hidden {
		k := HiddenKey{run.Channel, h.Account, h.Metric}
		if why, ok := next[k]; ok && why == h.Why {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO hidden_counts (channel, account, metric, why) VALUES (?, ?, ?, ?)
			ON CONFLICT (channel, account, metric) DO UPDATE SET why = excluded.why`, k.Channel, k.Account, k.Metric, h.Why); err != nil {
			return nil, fmt.Errorf("saving the hidden counts of %s: %w", run.Channel, err)
		}
		next[k] = h.Why
		changed = true
	}
	if !changed {
		return nil, nil
	}
	return next, nil
}

// loadHidden reads the hidden counts into memory.
func (s *Store) loadHidden(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT channel, account, metric, why FROM hidden_counts`)
	if err != nil {
		return fmt.Errorf("reading the hidden counts: %w", err)
	}
	defer rows.Close()
	out := map[HiddenKey]string{}
	for rows.Next() {
		var k HiddenKey
		var why string
		if err := rows.Scan(&k.Channel, &k.Account, &k.Metric, &why); err != nil {
			return fmt.Errorf("reading the hidden counts: %w", err)
		}
		out[k] = why
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the hidden counts: %w", err)
	}
	s.notesMu.Lock()
	s.hidden = out
	s.notesMu.Unlock()
	return nil
}

// HiddenCounts is every count the APIs last said they withhold, and why.
func (s *Store) HiddenCounts() map[HiddenKey]string {
	s.notesMu.Lock()
	defer s.notesMu.Unlock()
	return maps.Clone(s.hidden)
}
