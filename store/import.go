package store

import (
	"context"
	"fmt"
	"sort"
)

// Import stores readings brought from elsewhere (a platform's export, a
// spreadsheet) in one write transaction: all of them or, on an error, none.
// A reading at the same moment as a stored one of its series takes its place
// instead of adding another, so importing the same file twice changes
// nothing. It returns how many readings were new or changed.
func (s *Store) Import(ctx context.Context, rs []Reading) (int, error) {
	keys := make([]seriesKey, len(rs))
	for i, r := range rs {
		keys[i] = seriesKey{r.Channel, r.Account, r.Metric}
	}
	ids, err := s.seriesIDs(ctx, keys)
	if err != nil {
		return 0, err
	}
	type dayKey struct{ series, day int64 }
	byDay := map[dayKey][]Reading{}
	for i, r := range rs {
		if r.Value < 0 || r.Value > MaxValue || r.Value != r.Value {
			return 0, fmt.Errorf("importing %s/%s/%s: %v is not a value the store keeps", r.Channel, r.Account, r.Metric, r.Value)
		}
		r.Source = SourceManual
		k := dayKey{ids[i], dayOf(r.Time)}
		byDay[k] = append(byDay[k], r)
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("importing: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	w, err := newChunkWriter(ctx, tx.Tx)
	if err != nil {
		return 0, fmt.Errorf("importing: %w", err)
	}
	defer w.close()
	changed := 0
	for k, add := range byDay {
		var data []byte
		if err := w.get.QueryRowContext(ctx, k.series, k.day).Scan(&data); err != nil && !isNoRows(err) {
			return 0, fmt.Errorf("importing: %w", err)
		}
		have, err := decode(k.day, data)
		if err != nil {
			if err := w.setAside(ctx, k.series, k.day, data, err); err != nil {
				return 0, err
			}
			have = nil
		}
		at := make(map[int64]int, len(have))
		for i, r := range have {
			at[r.Time.UnixMilli()] = i
		}
		n := 0
		for _, r := range add {
			if i, ok := at[r.Time.UnixMilli()]; ok {
				if have[i].Value != r.Value {
					have[i].Value, have[i].Source = r.Value, r.Source
					n++
				}
				continue
			}
			at[r.Time.UnixMilli()] = len(have)
			have = append(have, r)
			n++
		}
		if n == 0 {
			continue
		}
		changed += n
		sort.SliceStable(have, func(i, j int) bool { return have[i].Time.Before(have[j].Time) })
		if _, err := w.put.ExecContext(ctx, k.series, k.day, w.seq, encode(k.day, have)); err != nil {
			return 0, fmt.Errorf("importing: writing a chunk: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("importing: %w", err)
	}
	if w.setAsideAny {
		return changed, s.loadDamaged(ctx)
	}
	return changed, nil
}
