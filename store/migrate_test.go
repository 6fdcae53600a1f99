package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fileState is what a test compares to see that a store was not written:
// the file's digest and modification time, and the folder's file names.
func fileState(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, FileName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return fmt.Sprintf("sha256 %x, modified %s, files %v", sha256.Sum256(data), info.ModTime().Format(time.RFC3339Nano), names)
}

// keptStore copies a store of store/testdata/stores into a new folder.
func keptStore(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "stores", name))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// setVersion writes a layout version into a closed store's file.
func setVersion(t *testing.T, dir string, v int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
		t.Fatal(err)
	}
}

func version(t *testing.T, s *Store) int {
	t.Helper()
	v, err := s.Version(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestNewStoreHasTheLayout(t *testing.T) {
	var logs bytes.Buffer
	s, err := OpenWith(t.TempDir(), Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := version(t, s); got != Layout() {
		t.Errorf("a new store has layout %d, want %d", got, Layout())
	}
	if !strings.Contains(logs.String(), "created the store") {
		t.Errorf("the log does not say the store was created:\n%s", logs.String())
	}
}

// A store written by v0.1.0 (no version recorded) is stamped as layout 1
// and then migrated on; its readings, id and runs are all still there.
func TestV010StoreIsMigrated(t *testing.T) {
	ctx := context.Background()
	dir := keptStore(t, "v0.1.0.db")
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var wantID string
	var wantChunks int
	if err := raw.QueryRow(`SELECT value FROM meta WHERE key = 'store_id'`).Scan(&wantID); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`SELECT count(*) FROM chunks`).Scan(&wantChunks); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	var logs bytes.Buffer
	s, err := OpenWith(dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := version(t, s); got != Layout() {
		t.Errorf("layout %d after migrating, want %d", got, Layout())
	}
	if !strings.Contains(logs.String(), "migrated the store's layout") || !strings.Contains(logs.String(), "from=0") {
		t.Errorf("the migration is not logged:\n%s", logs.String())
	}
	if id, err := s.ID(ctx); err != nil || id != wantID {
		t.Errorf("store id %q (%v), want %q", id, err, wantID)
	}
	var chunks int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM chunks`).Scan(&chunks); err != nil || chunks != wantChunks {
		t.Errorf("%d chunks after migrating (%v), want %d", chunks, err, wantChunks)
	}
	runs, err := s.ChannelRuns(ctx)
	if err != nil || runs["youtube"].LastSuccess.IsZero() {
		t.Errorf("channel runs after migrating: %+v (%v)", runs, err)
	}
	if len(s.HiddenCounts()) != 1 {
		t.Errorf("hidden counts after migrating: %v", s.HiddenCounts())
	}
}

// A store of a newer layout is refused, for writing and for reading, with
// both versions named, and its file and folder are left as they were.
func TestNewerLayoutIsRefusedUntouched(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveRun(context.Background(), Run{Channel: "yt", Time: time.Now(), Readings: []Reading{{Account: "a", Metric: "views", Value: 1}}, Success: true}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	newer := Layout() + 1
	setVersion(t, dir, newer)
	before := fileState(t, dir)
	for _, o := range []Options{{}, {ReadOnly: true}, {Init: true}} {
		s, err := OpenWith(dir, o)
		if err == nil {
			s.Close()
			t.Fatalf("%+v: a store of layout %d was opened by a release of layout %d", o, newer, Layout())
		}
		var nl *NewerLayoutError
		if !errors.As(err, &nl) || nl.Found != newer || nl.Known != Layout() {
			t.Errorf("%+v: error %v, want a NewerLayoutError naming %d and %d", o, err, newer, Layout())
		}
		msg := err.Error()
		for _, want := range []string{fmt.Sprintf("version %d", newer), fmt.Sprintf("up to %d", Layout()), "run that release"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%+v: the message %q does not say %q", o, msg, want)
			}
		}
		if after := fileState(t, dir); after != before {
			t.Errorf("%+v: refusing the store changed it:\nbefore %s\nafter  %s", o, before, after)
		}
	}
}

// A reading open of a store of the current layout writes nothing (not even
// the file's time), and refuses writes.
func TestReadOnlyWritesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	if err := s.SaveRun(ctx, Run{Channel: "yt", Time: t0, Readings: []Reading{{Account: "a", Metric: "views", Value: 7}}, Success: true}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	before := fileState(t, dir)
	r, err := OpenWith(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := r.Readings(ctx)
	if err != nil || len(rs) != 1 || rs[0].Value != 7 {
		t.Errorf("readings %+v (%v), want the one stored", rs, err)
	}
	if err := r.SaveRun(ctx, Run{Channel: "yt", Time: t0.Add(time.Hour), Readings: []Reading{{Account: "a", Metric: "views", Value: 8}}, Success: true}); err == nil {
		t.Error("a store opened for reading took a run")
	}
	r.Close()
	if after := fileState(t, dir); after != before {
		t.Errorf("reading the store changed it:\nbefore %s\nafter  %s", before, after)
	}
}

// A reading open migrates a store that must be (the one write it makes),
// and a folder without a store stays empty.
func TestReadOnlyMigratesAndCreatesNothing(t *testing.T) {
	ctx := context.Background()
	dir := keptStore(t, "v0.1.0.db")
	r, err := OpenWith(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := version(t, r); got != Layout() {
		t.Errorf("layout %d after a reading open of a v0.1.0 store, want %d", got, Layout())
	}
	if rs, err := r.Readings(ctx); err != nil || len(rs) == 0 {
		t.Errorf("readings of the migrated store: %d (%v)", len(rs), err)
	}
	r.Close()

	empty := filepath.Join(t.TempDir(), "data")
	r, err = OpenWith(empty, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if rs, err := r.Readings(ctx); err != nil || len(rs) != 0 {
		t.Errorf("a folder without a store reads %d readings (%v)", len(rs), err)
	}
	if got := version(t, r); got != Layout() {
		t.Errorf("the empty store has layout %d, want %d", got, Layout())
	}
	r.Close()
	if _, err := os.Stat(empty); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("reading a folder without a store created it (%v)", err)
	}
}

// Migrations apply in order in one transaction: one that fails leaves the
// store at its version with none of the failed migration's tables, and
// the next open applies the fixed one.
func TestMigrationsApplyInOneTransaction(t *testing.T) {
	ctx := context.Background()
	shipped := migrations
	t.Cleanup(func() { migrations = shipped })
	dir := keptStore(t, "v0.1.0.db")

	migrations = append(slices.Clip(shipped),
		migration{name: "a table", steps: []string{`CREATE TABLE added (x INTEGER)`}},
		migration{name: "a broken one", steps: []string{`CREATE TABLE added_too (x INTEGER)`, `NOT SQL`}},
	)
	if s, err := Open(dir); err == nil {
		s.Close()
		t.Fatal("a broken migration was applied")
	} else if !strings.Contains(err.Error(), fmt.Sprintf("layout %d (a broken one)", len(shipped)+2)) {
		t.Errorf("the error %q does not name the migration", err)
	}
	setLayout := func() (int, []string) {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName)+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var v int
		if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query(`SELECT name FROM sqlite_schema WHERE name LIKE 'added%' ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
		}
		return v, names
	}
	if v, tables := setLayout(); v != 0 || len(tables) != 0 {
		t.Errorf("after a failed migration: layout %d, tables %v; want 0 and none", v, tables)
	}

	migrations[len(migrations)-1].steps = []string{`CREATE TABLE added_too (x INTEGER)`}
	var logs bytes.Buffer
	s, err := OpenWith(dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if got := version(t, s); got != len(shipped)+2 {
		t.Errorf("layout %d, want %d", got, len(shipped)+2)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO added_too (x) VALUES (1)`); err != nil {
		t.Error(err)
	}
	s.Close()
	for _, want := range []string{"from=0", fmt.Sprintf("to=%d", len(shipped)+2), "a table", "1: the v0.1.0 tables"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log does not say %q:\n%s", want, logs.String())
		}
	}
	if v, tables := setLayout(); v != len(shipped)+2 || len(tables) != 2 {
		t.Errorf("after the migrations: layout %d, tables %v", v, tables)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, string(data))
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
