package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
)

// migrations are the store's layouts, in order: migrations[i] takes a store
// from layout version i to i+1, and the version a store has is kept in the
// file (SQLite's user_version). Opening a store applies the ones it lacks,
// in order, in one transaction, and logs them; a store of a layout newer
// than len(migrations) is refused before anything is written.
//
// Adding a table (an index, a column) is one change here: append a
// migration whose name says what it adds and whose steps create it. Never
// edit a migration a release has shipped: stores in the field have run it.
// Then keep a store of the new layout beside the older ones (see
// internal/storegen) and list the version in CHANGELOG's Contract section.
var migrations = []migration{
	{
		// Layout 1 is what v0.1.0 created. v0.1.0 recorded no version, so
		// its stores are at 0 with these tables in place: IF NOT EXISTS
		// makes this migration stamp them as 1 and change nothing else.
		name: "the v0.1.0 tables: series, chunks, feed_items, meta, hidden_counts, quarantine, quota_usage, channel_runs",
		steps: []string{
			`CREATE TABLE IF NOT EXISTS series (
				id      INTEGER PRIMARY KEY,
				channel TEXT NOT NULL,
				account TEXT NOT NULL,
				metric  TEXT NOT NULL,
				UNIQUE (channel, account, metric)
			)`,
			// One row per series and UTC day (see chunks.go). seq is the
			// write that last touched the row, 0 once pruning has thinned
			// it for good; only rows that may still be tailed are indexed
			// by it.
			`CREATE TABLE IF NOT EXISTS chunks (
				series INTEGER NOT NULL,
				day    INTEGER NOT NULL,
				seq    INTEGER NOT NULL,
				data   BLOB NOT NULL,
				PRIMARY KEY (series, day)
			) WITHOUT ROWID`,
			`CREATE INDEX IF NOT EXISTS chunks_seq ON chunks (seq) WHERE seq > 0`,
			`CREATE TABLE IF NOT EXISTS feed_items (
				id           INTEGER PRIMARY KEY,
				channel      TEXT NOT NULL,
				account      TEXT NOT NULL,
				item_id      TEXT NOT NULL,
				published_ms INTEGER NOT NULL,
				UNIQUE (channel, account, item_id)
			)`,
			`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
			// Counts an API withholds, as the last run said (see hidden.go).
			`CREATE TABLE IF NOT EXISTS hidden_counts (
				channel TEXT NOT NULL,
				account TEXT NOT NULL,
				metric  TEXT NOT NULL,
				why     TEXT NOT NULL,
				PRIMARY KEY (channel, account, metric)
			)`,
			// Chunks that no longer decode, set aside (see quarantine.go).
			`CREATE TABLE IF NOT EXISTS quarantine (
				series INTEGER NOT NULL,
				day    INTEGER NOT NULL,
				at_ms  INTEGER NOT NULL,
				reason TEXT NOT NULL,
				data   BLOB NOT NULL
			)`,
			`INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))))`,
			`INSERT OR IGNORE INTO meta (key, value) VALUES ('seq', '0')`,
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
		},
	},
	{
		name: "channel_tokens and credential_checks: the access tokens channels mint, and what their APIs last said of their credentials' ends",
		steps: []string{
			// The tokens a channel minted with its refresh token (LinkedIn),
			// so that a restart uses them rather than minting others: one row
			// a channel, for the grant (client id and refresh token, hashed)
			// it was configured with. Times in Unix milliseconds, 0 unknown.
			`CREATE TABLE channel_tokens (
				channel           TEXT PRIMARY KEY,
				grant_id          TEXT NOT NULL,
				access_token      TEXT NOT NULL,
				expiry_ms         INTEGER NOT NULL,
				refresh_token     TEXT NOT NULL,
				refresh_expiry_ms INTEGER NOT NULL
			)`,
			// When each channel's credential ends, as its API last said
			// (asked at most daily): for the page after a restart and for
			// `collector check`. ends_ms 0 with never 1: it never ends.
			`CREATE TABLE credential_checks (
				channel    TEXT PRIMARY KEY,
				checked_ms INTEGER NOT NULL,
				ends_ms    INTEGER NOT NULL,
				never      INTEGER NOT NULL,
				what       TEXT NOT NULL,
				dead       TEXT NOT NULL
			)`,
		},
	},
	{
		// Per digest (by name): the moment of the last one sent or tried,
		// how many in a row failed, and what the last one delivered
		// everywhere said (JSON, as package digest writes it), so that a
		// restart neither skips nor repeats a digest (see digests.go).
		name: "digests: each digest's last moment, failures in a row and what it said",
		steps: []string{
			`CREATE TABLE digests (
				name     TEXT PRIMARY KEY,
				at_ms    INTEGER NOT NULL,
				failures INTEGER NOT NULL DEFAULT 0,
				state    BLOB
			)`,
		},
	},
}

// migration takes a store from one layout version to the next.
type migration struct {
	name  string   // what it adds, for the log
	steps []string // statements run in order, inside the migration's transaction
}

// Layout is the layout version this release writes.
func Layout() int { return len(migrations) }

// NewerLayoutError is a store written by a newer release: this one does not
// know its tables, so it neither reads nor writes it.
type NewerLayoutError struct {
	Path  string
	Found int // the store's layout version
	Known int // the newest this release knows (Layout)
}

func (e *NewerLayoutError) Error() string {
	return fmt.Sprintf("%s has store layout version %d, but this release knows layouts up to %d: "+
		"a newer release of kpi-collector wrote it; run that release or a later one (the store was left as it is)",
		e.Path, e.Found, e.Known)
}

// layoutOf reads a store file's layout version on a connection of its own,
// opened without the pragmas that may write (auto_vacuum, journal_mode), so
// that a store refused is left byte for byte as it was.
func layoutOf(ctx context.Context, path string) (int, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, fmt.Errorf("opening %s: %w", path, err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("reading the layout version of %s: %w", path, err)
	}
	return v, nil
}

// migrate brings the store to Layout in one write transaction. The version
// is read again inside it, so that two processes opening an old store at
// once migrate it once. It returns the version the store had. fresh: the
// file is new, and the log says it was created rather than migrated.
func migrate(ctx context.Context, db *sql.DB, path string, logger *slog.Logger, fresh bool) (int, error) {
	tx, err := db.BeginTx(ctx, nil) // _txlock=immediate: the write lock at once
	if err != nil {
		return 0, fmt.Errorf("migrating %s: %w", path, err)
	}
	defer func() { _ = tx.Rollback() }()
	var from int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&from); err != nil {
		return 0, fmt.Errorf("reading the layout version of %s: %w", path, err)
	}
	switch {
	case from > Layout():
		return from, &NewerLayoutError{Path: path, Found: from, Known: Layout()}
	case from == Layout():
		return from, nil
	}
	var applied []string
	for v := from; v < Layout(); v++ {
		for _, step := range migrations[v].steps {
			if _, err := tx.ExecContext(ctx, step); err != nil {
				return from, fmt.Errorf("migrating %s to layout %d (%s): %w", path, v+1, migrations[v].name, err)
			}
		}
		applied = append(applied, fmt.Sprintf("%d: %s", v+1, migrations[v].name))
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", Layout())); err != nil {
		return from, fmt.Errorf("migrating %s: %w", path, err)
	}
	if err := tx.Commit(); err != nil {
		return from, fmt.Errorf("migrating %s: %w", path, err)
	}
	if fresh {
		logger.Info("created the store", "path", path, "layout", Layout())
	} else {
		logger.Info("migrated the store's layout", "path", path, "from", from, "to", Layout(), "migrations", strings.Join(applied, "; "))
	}
	return from, nil
}

// Version reads the store's layout version from its file.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("reading the layout version of %s: %w", s.path, err)
	}
	return v, nil
}
