package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"
)

// Backup writes a consistent copy of the store to path, which must not
// exist, while the store is in use: SQLite's VACUUM INTO reads the store in
// one read transaction (a snapshot as of its start) and writes the copy
// compacted. Under WAL, writers are not held up by it, and it takes no
// write turn of this process; a copy of the files could be torn. The copy is
// switched to WAL like a live store, so that it can be put in place as
// kpi.db and read without being written, and synced to disk.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backing up the store: %s exists", path)
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("backing up the store to %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)")
	if err == nil {
		err = db.PingContext(ctx)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("backing up the store to %s: %w", path, err)
	}
	if err := syncFile(path); err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("backing up the store to %s: %w", path, err)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0) //nolint:gosec // the backup just written
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Summary is what a store file holds, as Inspect found it.
type Summary struct {
	Layout      int       // its layout version
	Series      int       // series (channel, account, metric)
	Readings    int64     // stored readings
	First, Last time.Time // the first and last reading's time (zero without readings)
	FeedItems   int64     // items in the feed ledgers
	// Damaged are days of readings that do not decode (and were not set
	// aside before the copy); SetAside the days set aside earlier.
	Damaged  []Damaged
	SetAside int
}

// Inspect checks a store file as `collector check --store` checks a store,
// without writing it: SQLite's integrity check, its layout version (not
// newer than this release's), then every day of readings decoded. It
// returns what the file holds. An error means the file is no usable store;
// damaged days are listed in the Summary.
func Inspect(ctx context.Context, path string) (Summary, error) {
	var sum Summary
	if _, err := os.Stat(path); err != nil {
		return sum, err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return sum, fmt.Errorf("opening %s: %w", path, err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil {
		return sum, fmt.Errorf("%s is not a store: %w", path, err)
	}
	if check != "ok" {
		return sum, fmt.Errorf("%s failed its integrity check: %s", path, check)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&sum.Layout); err != nil {
		return sum, fmt.Errorf("reading the layout version of %s: %w", path, err)
	}
	if sum.Layout > Layout() {
		return sum, &NewerLayoutError{Path: path, Found: sum.Layout, Known: Layout()}
	}
	counts := []struct {
		query string
		dst   any
	}{
		{`SELECT count(*) FROM series`, &sum.Series},
		{`SELECT count(*) FROM feed_items`, &sum.FeedItems},
		{`SELECT count(*) FROM quarantine`, &sum.SetAside},
	}
	for _, c := range counts {
		if err := db.QueryRowContext(ctx, c.query).Scan(c.dst); err != nil {
			return sum, fmt.Errorf("%s is not a store of layout %d: %w", path, sum.Layout, err)
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT s.channel, s.account, s.metric, c.day, c.data FROM chunks c JOIN series s ON s.id = c.series`)
	if err != nil {
		return sum, fmt.Errorf("reading %s: %w", path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var d Damaged
		var day int64
		var data []byte
		if err := rows.Scan(&d.Channel, &d.Account, &d.Metric, &day, &data); err != nil {
			return sum, fmt.Errorf("reading %s: %w", path, err)
		}
		rs, err := decode(day, data)
		if err != nil {
			d.Day, d.Reason = time.UnixMilli(day*dayMs).UTC(), err.Error()
			sum.Damaged = append(sum.Damaged, d)
			continue
		}
		if len(rs) == 0 {
			continue
		}
		sum.Readings += int64(len(rs))
		if first := rs[0].Time; sum.First.IsZero() || first.Before(sum.First) {
			sum.First = first
		}
		if last := rs[len(rs)-1].Time; last.After(sum.Last) {
			sum.Last = last
		}
	}
	if err := rows.Err(); err != nil {
		return sum, fmt.Errorf("reading %s: %w", path, err)
	}
	return sum, nil
}
