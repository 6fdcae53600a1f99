package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the database's name inside --storage.path.
const FileName = "kpi.db"

// Sources of a reading.
const (
	SourceAPI    = "api"    // read from a channel's API
	SourceFeed   = "feed"   // counted from the feed ledger
	SourceManual = "manual" // recorded by hand, over HTTP or with `collector record`
)

// Reading is one stored count.
type Reading struct {
	ID      int64
	Channel string
	Account string
	Metric  string
	Time    time.Time
	Value   float64
	Source  string
}

// Item is one entry of a feed's ledger.
type Item struct {
	ID        int64
	Channel   string
	Account   string
	ItemID    string
	Published time.Time // the feed's date, else when first seen
}

// ChannelRun is what the store remembers of a channel's last runs, so that a
// restart shows the last success at once.
type ChannelRun struct {
	Channel     string
	LastSuccess time.Time
	LastRun     time.Time
	LastError   string
}

// Store is the SQLite database.
type Store struct {
	db   *sql.DB
	path string
}

// The pragmas every connection gets.
//
// synchronous=FULL: in WAL mode, NORMAL survives a crash of the process but
// may lose the last commits on power loss; FULL syncs the WAL on every commit,
// so a reading once shown on /metrics survives both. Writes are a handful per
// collection, so the extra fsync costs nothing that matters.
// busy_timeout lets `collector record` and the daemon share the file.
// auto_vacuum=INCREMENTAL (for a new file) lets Prune give pages back.
const pragmas = "?_pragma=auto_vacuum(INCREMENTAL)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)"

var schema = []string{
	`CREATE TABLE IF NOT EXISTS readings (
		id      INTEGER PRIMARY KEY,
		channel TEXT NOT NULL,
		account TEXT NOT NULL,
		metric  TEXT NOT NULL,
		time_ms INTEGER NOT NULL,
		value   REAL NOT NULL,
		source  TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS readings_series ON readings (channel, account, metric, time_ms)`,
	`CREATE TABLE IF NOT EXISTS feed_items (
		id           INTEGER PRIMARY KEY,
		channel      TEXT NOT NULL,
		account      TEXT NOT NULL,
		item_id      TEXT NOT NULL,
		published_ms INTEGER NOT NULL,
		UNIQUE (channel, account, item_id)
	)`,
	`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
	`INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))))`,
	`CREATE TABLE IF NOT EXISTS quota_usage (
		channel TEXT NOT NULL,
		day     TEXT NOT NULL,
		units   INTEGER NOT NULL,
		PRIMARY KEY (channel, day)
	)`,
	`CREATE TABLE IF NOT EXISTS channel_runs (
		channel         TEXT PRIMARY KEY,
		last_success_ms INTEGER NOT NULL DEFAULT 0,
		last_run_ms     INTEGER NOT NULL DEFAULT 0,
		last_error      TEXT NOT NULL DEFAULT ''
	)`,
}

// Open opens (creating if needed) the store in dir.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating the storage folder: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db, err := sql.Open("sqlite", "file:"+path+pragmas)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, stmt := range schema {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			db.Close()
			return nil, fmt.Errorf("preparing %s: %w", path, err)
		}
	}
	return s, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database, checkpointing the WAL.
func (s *Store) Close() error { return s.db.Close() }

// Run is everything one collection run of a channel wrote.
type Run struct {
	Channel  string
	Time     time.Time
	Readings []Reading // Channel, Time and Source are filled in from the run
	Items    []Item    // feed items seen; Channel is filled in
	// ItemAccounts are the feed accounts read: each gets a "posts" reading,
	// the number of items in its ledger.
	ItemAccounts []string
	Success      bool
	Error        string
	// QuotaUnits spent by the run are added to QuotaDay's total.
	QuotaDay   string
	QuotaUnits int
}

// SaveRun commits one run in one transaction: its readings, its feed items
// with the posts count they give, and the channel's last-run record.
func (s *Store) SaveRun(ctx context.Context, run Run) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("saving the run of %s: %w", run.Channel, err)
	}
	defer func() { _ = tx.Rollback() }()
	ms := run.Time.UnixMilli()
	ins, err := tx.PrepareContext(ctx, insertSQL)
	if err != nil {
		return fmt.Errorf("saving the run of %s: %w", run.Channel, err)
	}
	defer ins.Close()
	for _, r := range run.Readings {
		if err := insertReading(ctx, ins, run.Channel, r.Account, r.Metric, ms, r.Value, SourceAPI); err != nil {
			return err
		}
	}
	for _, it := range run.Items {
		pub := it.Published
		if pub.IsZero() {
			pub = run.Time
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO feed_items (channel, account, item_id, published_ms) VALUES (?, ?, ?, ?)
			 ON CONFLICT (channel, account, item_id) DO NOTHING`,
			run.Channel, it.Account, it.ItemID, pub.UnixMilli()); err != nil {
			return fmt.Errorf("saving a feed item of %s: %w", run.Channel, err)
		}
	}
	for _, account := range run.ItemAccounts {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM feed_items WHERE channel = ? AND account = ?`,
			run.Channel, account).Scan(&n); err != nil {
			return fmt.Errorf("counting the feed items of %s: %w", run.Channel, err)
		}
		if err := insertReading(ctx, ins, run.Channel, account, "posts", ms, float64(n), SourceFeed); err != nil {
			return err
		}
	}
	success := int64(0)
	if run.Success {
		success = ms
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO channel_runs (channel, last_success_ms, last_run_ms, last_error) VALUES (?, ?, ?, ?)
		 ON CONFLICT (channel) DO UPDATE SET
		   last_success_ms = max(last_success_ms, excluded.last_success_ms),
		   last_run_ms = excluded.last_run_ms, last_error = excluded.last_error`,
		run.Channel, success, ms, run.Error); err != nil {
		return fmt.Errorf("saving the run of %s: %w", run.Channel, err)
	}
	if run.QuotaUnits > 0 {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO quota_usage (channel, day, units) VALUES (?, ?, ?)
			 ON CONFLICT (channel, day) DO UPDATE SET units = units + excluded.units`,
			run.Channel, run.QuotaDay, run.QuotaUnits); err != nil {
			return fmt.Errorf("saving the quota of %s: %w", run.Channel, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing the run of %s: %w", run.Channel, err)
	}
	return nil
}

const insertSQL = `INSERT INTO readings (channel, account, metric, time_ms, value, source) VALUES (?, ?, ?, ?, ?, ?)`

func insertReading(ctx context.Context, ins *sql.Stmt, channel, account, metric string, ms int64, v float64, source string) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("refusing a non-finite reading for %s/%s/%s", channel, account, metric)
	}
	if _, err := ins.ExecContext(ctx, channel, account, metric, ms, v, source); err != nil {
		return fmt.Errorf("saving a reading of %s/%s/%s: %w", channel, account, metric, err)
	}
	return nil
}

// Record stores a manual reading. With add, the value is added to the latest
// reading at or before t (0 if none); otherwise it is the reading. It returns
// the value stored.
func (s *Store) Record(ctx context.Context, channel, account, metric string, t time.Time, value float64, add bool) (float64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("recording: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if add {
		var last sql.NullFloat64
		err := tx.QueryRowContext(ctx,
			`SELECT value FROM readings WHERE channel = ? AND account = ? AND metric = ? AND time_ms <= ?
			 ORDER BY time_ms DESC, id DESC LIMIT 1`, channel, account, metric, t.UnixMilli()).Scan(&last)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("reading the last value: %w", err)
		}
		value += last.Float64
	}
	ins, err := tx.PrepareContext(ctx, insertSQL)
	if err != nil {
		return 0, fmt.Errorf("recording: %w", err)
	}
	defer ins.Close()
	if err := insertReading(ctx, ins, channel, account, metric, t.UnixMilli(), value, SourceManual); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("committing: %w", err)
	}
	return value, nil
}

// ReadingsAfter returns up to limit readings stored after the one with id
// after, in the order they were stored: the engine tails the store with it.
func (s *Store) ReadingsAfter(ctx context.Context, after int64, limit int) ([]Reading, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, channel, account, metric, time_ms, value, source FROM readings WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the store: %w", err)
	}
	defer rows.Close()
	var out []Reading
	for rows.Next() {
		var r Reading
		var ms int64
		if err := rows.Scan(&r.ID, &r.Channel, &r.Account, &r.Metric, &ms, &r.Value, &r.Source); err != nil {
			return nil, fmt.Errorf("reading the store: %w", err)
		}
		r.Time = time.UnixMilli(ms)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ItemsAfter returns up to limit feed items stored after the one with id after.
func (s *Store) ItemsAfter(ctx context.Context, after int64, limit int) ([]Item, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, channel, account, item_id, published_ms FROM feed_items WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the feed ledger: %w", err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		var ms int64
		if err := rows.Scan(&it.ID, &it.Channel, &it.Account, &it.ItemID, &ms); err != nil {
			return nil, fmt.Errorf("reading the feed ledger: %w", err)
		}
		it.Published = time.UnixMilli(ms)
		out = append(out, it)
	}
	return out, rows.Err()
}

// ChannelRuns returns what is remembered of every channel's runs.
func (s *Store) ChannelRuns(ctx context.Context) (map[string]ChannelRun, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT channel, last_success_ms, last_run_ms, last_error FROM channel_runs`)
	if err != nil {
		return nil, fmt.Errorf("reading channel runs: %w", err)
	}
	defer rows.Close()
	out := map[string]ChannelRun{}
	for rows.Next() {
		var c ChannelRun
		var success, run int64
		if err := rows.Scan(&c.Channel, &success, &run, &c.LastError); err != nil {
			return nil, fmt.Errorf("reading channel runs: %w", err)
		}
		if success > 0 {
			c.LastSuccess = time.UnixMilli(success)
		}
		if run > 0 {
			c.LastRun = time.UnixMilli(run)
		}
		out[c.Channel] = c
	}
	return out, rows.Err()
}

// QuotaUsed is how many API units a channel spent on day (YYYY-MM-DD in the
// budget's zone).
func (s *Store) QuotaUsed(ctx context.Context, channel, day string) (int, error) {
	var units int
	err := s.db.QueryRowContext(ctx, `SELECT units FROM quota_usage WHERE channel = ? AND day = ?`, channel, day).Scan(&units)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading the quota of %s: %w", channel, err)
	}
	return units, nil
}

// ThinAfter is the age beyond which only one reading a day is kept per
// account and metric: enough for every day of a plan, a fraction of the rows.
const ThinAfter = 30 * 24 * time.Hour

const pruneBatch = 5000

// Prune deletes readings older than retention, and keeps only the day's last
// reading (UTC days) of each account and metric among those older than
// ThinAfter. It deletes in small transactions, so that runs and `collector
// record` are never held up for long. Feed ledgers are kept whole: they are
// what posts are counted from.
func (s *Store) Prune(ctx context.Context, now time.Time, retention time.Duration) (int64, error) {
	var total int64
	stmts := []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM readings WHERE id IN (SELECT id FROM readings WHERE time_ms < ? LIMIT ?)`,
			[]any{now.Add(-retention).UnixMilli(), pruneBatch}},
		{`DELETE FROM readings WHERE id IN (
			SELECT r.id FROM readings r WHERE r.time_ms < ? AND r.id NOT IN (
				SELECT id FROM (SELECT id, max(time_ms) FROM readings WHERE time_ms < ?
				                GROUP BY channel, account, metric, time_ms / 86400000))
			LIMIT ?)`,
			[]any{now.Add(-ThinAfter).UnixMilli(), now.Add(-ThinAfter).UnixMilli(), pruneBatch}},
	}
	for _, st := range stmts {
		for {
			res, err := s.db.ExecContext(ctx, st.sql, st.args...)
			if err != nil {
				return total, fmt.Errorf("pruning the store: %w", err)
			}
			n, _ := res.RowsAffected()
			total += n
			if n < pruneBatch {
				break
			}
		}
	}
	if total > 0 {
		if _, err := s.db.ExecContext(ctx, `PRAGMA incremental_vacuum`); err != nil {
			return total, fmt.Errorf("vacuuming the store: %w", err)
		}
	}
	return total, nil
}

// Size is the database file's size in bytes, WAL included.
func (s *Store) Size() int64 {
	var n int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(s.path + suffix); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// Check runs SQLite's quick_check over the whole file: slow for a large
// store, so it is not run on every start; the crash test and `collector
// check --storage.path` use it.
func (s *Store) Check(ctx context.Context) error {
	var check string
	if err := s.db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil {
		return fmt.Errorf("%s: %w", s.path, err)
	}
	if check != "ok" {
		return fmt.Errorf("%s failed its integrity check: %s", s.path, check)
	}
	return nil
}

// ID identifies this database file, so that a checkpoint of another store
// (one replaced or restored from a backup) is never taken for this one's.
func (s *Store) ID(ctx context.Context) (string, error) {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'store_id'`).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("reading the store's id: %w", err)
	}
	return id, nil
}

// MaxReadingID is the id of the last reading stored (0 for none).
func (s *Store) MaxReadingID(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT max(id) FROM readings`).Scan(&id); err != nil {
		return 0, fmt.Errorf("reading the store: %w", err)
	}
	return id.Int64, nil
}
