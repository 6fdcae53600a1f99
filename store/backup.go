package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"time"

	"modernc.org/sqlite"
)

// Backup writes a consistent copy of the store to path, which must not
// exist, while the store is in use: SQLite's online backup copies the
// store's pages in one step, inside one read transaction (a snapshot as of
// its start). Under WAL, writers are not held up by it, and it takes no
// write turn of this process; a copy of the files could be torn. (VACUUM
// INTO, which rebuilds every table, was slower: BENCHMARKS.md.)
// The copy is switched to WAL like a live store, so that it can be put in
// place as kpi.db and read without being written, and synced to disk.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backing up the store: %s exists", path)
	}
	if err := s.copyPages(ctx, path); err != nil {
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

// pageCopier is the driver's connection's online backup (modernc.org/sqlite).
type pageCopier interface {
	NewBackup(dstURI string) (*sqlite.Backup, error)
}

// copyPages copies every page of the store into a new file at path with
// SQLite's online backup, in one step.
func (s *Store) copyPages(ctx context.Context, path string) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(pageCopier)
		if !ok {
			return fmt.Errorf("the SQLite driver %T has no online backup", dc)
		}
		b, err := pc.NewBackup("file:" + path)
		if err != nil {
			return err
		}
		for more := true; more; {
			if more, err = b.Step(-1); err != nil {
				_ = b.Finish()
				return err
			}
		}
		return b.Finish()
	})
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
	// Every chunk is walked without keeping its readings (7.2 million at
	// 10,000 KPIs); series are named only for a damaged day.
	rows, err := db.QueryContext(ctx, `SELECT series, day, data FROM chunks`)
	if err != nil {
		return sum, fmt.Errorf("reading %s: %w", path, err)
	}
	defer rows.Close()
	var damaged []damagedChunk
	firstMs, lastMs := int64(math.MaxInt64), int64(math.MinInt64)
	for rows.Next() {
		var series, day int64
		var data sql.RawBytes
		if err := rows.Scan(&series, &day, &data); err != nil {
			return sum, fmt.Errorf("reading %s: %w", path, err)
		}
		n := int64(0)
		err := walk(day, data, func(ms int64, _ uint64, _ float64, _ int64) {
			n++
			firstMs, lastMs = min(firstMs, ms), max(lastMs, ms)
		})
		if err != nil {
			damaged = append(damaged, damagedChunk{series: series, day: day, reason: err.Error()})
			continue
		}
		sum.Readings += n
	}
	if err := rows.Err(); err != nil {
		return sum, fmt.Errorf("reading %s: %w", path, err)
	}
	if sum.Readings > 0 {
		sum.First, sum.Last = time.UnixMilli(firstMs), time.UnixMilli(lastMs)
	}
	for _, c := range damaged {
		d := Damaged{Day: time.UnixMilli(c.day * dayMs).UTC(), Reason: c.reason}
		var ok bool
		if d.Channel, d.Account, d.Metric, ok = seriesNames(ctx, db, c.series); !ok {
			d.Channel = fmt.Sprintf("series %d", c.series)
		}
		sum.Damaged = append(sum.Damaged, d)
	}
	return sum, nil
}
