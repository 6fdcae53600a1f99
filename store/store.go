package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/kpi-collector/kpi-collector/internal/seriesmap"
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
	keep *sql.Conn // holds an in-memory store open (openEmpty); else nil

	mu     sync.Mutex           // guards series; never held across the disk
	series seriesmap.Map[int64] // by the series' names (seriesmap: 300,000 series)

	// notesMu guards damaged and hidden. It is taken alone, never while
	// waiting for another lock: writers take it inside their write turn.
	notesMu sync.Mutex
	damaged []Damaged
	hidden  map[HiddenKey]string

	// writeMu queues this process's writers. SQLite lets one writer in at a
	// time and makes the others poll (busy_timeout) without any order, so a
	// writer beside a steady stream of others can lose every poll and fail
	// with SQLITE_BUSY however long the timeout (pruning beside runs did,
	// after 15 s). Go's mutex hands over in order under contention; the
	// busy timeout is then only for other processes (`collector record`).
	writeMu sync.Mutex
}

// writeTx is a write transaction that holds the process's write turn
// (writeMu) until it ends.
type writeTx struct {
	*sql.Tx
	s    *Store
	done bool
}

// begin waits for the process's write turn and begins a write transaction
// (it takes SQLite's write lock at once: _txlock=immediate).
func (s *Store) begin(ctx context.Context) (*writeTx, error) {
	s.writeMu.Lock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		s.writeMu.Unlock()
		return nil, err
	}
	return &writeTx{Tx: tx, s: s}, nil
}

// Commit commits and gives the write turn back.
func (w *writeTx) Commit() error {
	err := w.Tx.Commit()
	w.release()
	return err
}

// Rollback rolls back (unless committed) and gives the write turn back.
func (w *writeTx) Rollback() error {
	err := w.Tx.Rollback()
	w.release()
	return err
}

func (w *writeTx) release() {
	if !w.done {
		w.done = true
		w.s.writeMu.Unlock()
	}
}

// exec runs one write statement outside a transaction, in the process's
// write turn.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.db.ExecContext(ctx, query, args...)
}

// The pragmas every connection gets.
//
// synchronous=FULL: in WAL mode, NORMAL survives a crash of the process but
// may lose the last commits on power loss; FULL syncs the WAL on every commit,
// so a reading once shown on /metrics survives both. Writes are a handful per
// collection, so the extra fsync costs nothing that matters.
// busy_timeout lets `collector record` and the daemon share the file.
// _txlock=immediate: every transaction here writes, so it takes the write
// lock when it begins and waits for it (busy_timeout); a deferred one that
// read first would fail at once with SQLITE_BUSY when another writer had
// committed since its read (pruning beside a run did).
// cache_size=-1000 keeps each connection's page cache to 1 MB: the daemon reads
// the store at start and then tails it, so a big cache buys nothing.
const pragmas = "?" + pragmaList

const pragmaList = "_pragma=cache_size(-1000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)&_txlock=immediate"

// newFilePragmas come first for a new file: auto_vacuum=INCREMENTAL lets
// Prune give pages back, and takes only before the first table. It is not
// given to an existing file, where SQLite would rewrite the header for it on
// every open (and a reading command would change the store).
const newFilePragmas = "?_pragma=auto_vacuum(INCREMENTAL)&" + pragmaList

// readOnlyPragma keeps a reading command's connections from writing.
const readOnlyPragma = "&_pragma=query_only(1)"

// BusyTimeout is the busy_timeout of pragmaList: the longest a write waits
// for another process's write lock.
const BusyTimeout = 10 * time.Second

// The other files of the storage folder: the marker the store leaves beside
// its file, holding its id, and the engine's cache checkpoint. Either shows
// that the folder held a store.
const (
	MarkerFile     = FileName + ".id"
	CheckpointFile = "cache.checkpoint"
)

// LostError is a store file that is missing or empty while the folder shows
// that it held one: starting over would serve every KPI as no_data and count
// the next add from 0, so it is refused unless asked for (Init).
type LostError struct {
	Path     string // the store's file
	Evidence string // the file that shows a store existed
}

func (e *LostError) Error() string {
	return fmt.Sprintf("the store %s is missing or empty, but %s shows that this folder held one: "+
		"restore %s from a backup; or, to start over with no history on purpose, start once with --storage.init",
		e.Path, e.Evidence, FileName)
}

// Options says how to open a store.
type Options struct {
	// Init starts an empty store where a store was lost: the operator's
	// deliberate start over (--storage.init).
	Init bool
	// ReadOnly is for reading commands: the store is migrated if it must
	// be (and only then written), otherwise opened for reading only; a
	// folder without a store gets an empty one in memory, not a file.
	ReadOnly bool
	// Logger gets the migrations applied; nil logs nothing.
	Logger *slog.Logger
}

// Open opens the store in dir, creating it where the folder holds none yet
// and migrating it to this release's layout. A store that was there and is
// gone is a *LostError; one of a newer layout a *NewerLayoutError.
func Open(dir string) (*Store, error) { return OpenWith(dir, Options{}) }

// Init opens the store in dir like Open, but starts an empty one where a
// store was lost: the operator's deliberate start over.
func Init(dir string) (*Store, error) { return OpenWith(dir, Options{Init: true}) }

// lostEvidence names a file of dir that shows a store existed where the
// store's file is missing or empty ("" when none does).
func lostEvidence(dir, path string) string {
	if info, err := os.Stat(path); err == nil && info.Size() > 0 {
		return ""
	}
	for _, name := range []string{MarkerFile, CheckpointFile, FileName + "-wal"} {
		if info, err := os.Stat(filepath.Join(dir, name)); err == nil && info.Size() > 0 {
			return filepath.Join(dir, name)
		}
	}
	return ""
}

// OpenWith opens the store in dir as o says.
func OpenWith(dir string, o Options) (*Store, error) {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	path := filepath.Join(dir, FileName)
	if evidence := lostEvidence(dir, path); evidence != "" {
		if !o.Init || o.ReadOnly {
			return nil, &LostError{Path: path, Evidence: evidence}
		}
		// Starting over: what belonged to the lost store goes with it.
		for _, name := range []string{MarkerFile, CheckpointFile, FileName + "-wal", FileName + "-shm"} {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("starting the store over: %w", err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fresh := true
	if info, err := os.Stat(path); err == nil && info.Size() > 0 {
		fresh = false
	}
	if fresh && o.ReadOnly {
		return openEmpty(ctx, path)
	}
	if fresh {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("creating the storage folder: %w", err)
		}
	}
	version := 0
	if !fresh {
		v, err := layoutOf(ctx, path)
		if err != nil {
			return nil, err
		}
		if v > Layout() {
			return nil, &NewerLayoutError{Path: path, Found: v, Known: Layout()}
		}
		version = v
	}
	var db *sql.DB
	if version < Layout() || !o.ReadOnly {
		dsn := pragmas
		if fresh {
			dsn = newFilePragmas
		}
		var err error
		if db, err = openDB(path, dsn); err != nil {
			return nil, err
		}
		from, err := migrate(ctx, db, path, logger, fresh)
		if err != nil {
			db.Close()
			return nil, err
		}
		if o.ReadOnly && from < Layout() {
			// Migrated, as it had to be; from here on, only read.
			db.Close()
			db = nil
		}
	}
	if db == nil {
		var err error
		if db, err = openDB(path, pragmas+readOnlyPragma); err != nil {
			return nil, err
		}
	}
	s, err := load(ctx, db, path)
	if err != nil {
		return nil, err
	}
	if !o.ReadOnly {
		if err := s.writeMarker(ctx, dir); err != nil {
			db.Close()
			return nil, err
		}
	}
	return s, nil
}

func openDB(path, dsn string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	// A few connections are plenty (one writer at a time, a reader or two),
	// and each holds its own page cache.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(2)
	return db, nil
}

// memoryStores names each empty in-memory store apart.
var memoryStores atomic.Int64

// openEmpty is an empty store of this release's layout in memory, for a
// reading command in a folder that holds no store: it reads as no readings
// and leaves nothing behind. One connection is kept open for its lifetime
// (an in-memory database ends with its last connection).
func openEmpty(ctx context.Context, path string) (*Store, error) {
	name := fmt.Sprintf("file:kpi-empty-%d?mode=memory&cache=shared", memoryStores.Add(1))
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, fmt.Errorf("opening an empty store: %w", err)
	}
	keep, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening an empty store: %w", err)
	}
	if _, err := migrate(ctx, db, path, slog.New(slog.DiscardHandler), true); err != nil {
		keep.Close()
		db.Close()
		return nil, err
	}
	s, err := load(ctx, db, path)
	if err != nil {
		keep.Close()
		return nil, err
	}
	s.keep = keep
	return s, nil
}

// load reads what the store keeps in memory; it closes db on failure.
func load(ctx context.Context, db *sql.DB, path string) (*Store, error) {
	s := &Store{db: db, path: path}
	if err := s.loadSeries(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if err := s.loadDamaged(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.loadHidden(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// writeMarker leaves the store's id beside its file (see LostError).
func (s *Store) writeMarker(ctx context.Context, dir string) error {
	id, err := s.ID(ctx)
	if err != nil {
		return err
	}
	marker := filepath.Join(dir, MarkerFile)
	if have, err := os.ReadFile(marker); err == nil && string(have) == id+"\n" { //nolint:gosec // the operator's storage folder
		return nil
	}
	tmp := marker + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing the store's marker: %w", err)
	}
	if err := os.Rename(tmp, marker); err != nil {
		return fmt.Errorf("writing the store's marker: %w", err)
	}
	return nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database, checkpointing the WAL.
func (s *Store) Close() error {
	if s.keep != nil {
		_ = s.keep.Close()
	}
	return s.db.Close()
}

// Run is everything one collection run of a channel wrote.
type Run struct {
	Channel string
	Time    time.Time
	// Values are the readings the API gave for the run's time, in their
	// least space: a run of 300,000 took 29 MB as Readings, 14 MB so.
	Values   []Value
	Readings []Reading // Channel and Source are filled in from the run, and Time where zero
	Items    []Item    // feed items seen; Channel is filled in
	// ItemAccounts are the feed accounts read: each gets a "posts" reading,
	// the number of items in its ledger.
	ItemAccounts []string
	Success      bool
	Error        string
	// QuotaUnits spent by the run are added to QuotaDay's total.
	QuotaDay   string
	QuotaUnits int
	// Hidden are the counts the API said it withholds; a reading of one
	// clears it.
	Hidden []Hidden
}

// Value is a reading of a run at the run's time, from the API.
type Value struct {
	Account string
	Metric  string
	Value   float64
	feed    bool // a feed's posts count, from its ledger (SourceFeed)
}

// SaveRun commits one run in one transaction: its readings, its feed items
// with the posts count they give, and the channel's last-run record.
//
// SaveRun takes run.Values over: it may reorder them and append to them (in
// their spare capacity), so that a run of 300,000 is not copied; the caller
// does not use them afterwards. Readings without a time are taken as values.
func (s *Store) SaveRun(ctx context.Context, run Run) error {
	// Readings with a time of their own (a rolling window's end; rare) go
	// apart; the others join the values, which keep their places, in order.
	values := run.Values
	var dated []Reading
	for _, r := range run.Readings {
		if !r.Time.IsZero() {
			r.Channel, r.Source = run.Channel, SourceAPI
			dated = append(dated, r)
			continue
		}
		values = append(values, Value{Account: r.Account, Metric: r.Metric, Value: r.Value})
	}
	undated, firstDated := len(values), len(values)+len(run.ItemAccounts)
	ids, err := s.seriesIDsOf(ctx, firstDated+len(dated), func(i int) seriesKey {
		switch {
		case i < undated:
			return seriesKey{run.Channel, values[i].Account, values[i].Metric}
		case i < firstDated:
			return seriesKey{run.Channel, run.ItemAccounts[i-undated], "posts"}
		default:
			return seriesKey{run.Channel, dated[i-firstDated].Account, dated[i-firstDated].Metric}
		}
	})
	if err != nil {
		return err
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("saving the run of %s: %w", run.Channel, err)
	}
	defer func() { _ = tx.Rollback() }()
	ms := run.Time.UnixMilli()
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
		values = append(values, Value{Account: account, Metric: "posts", Value: float64(n), feed: true})
	}
	setAsideAny := false
	if len(values) > 0 {
		w, err := newChunkWriter(ctx, tx.Tx)
		if err != nil {
			return fmt.Errorf("saving the run of %s: %w", run.Channel, err)
		}
		defer w.close()
		if err := w.addAll(ctx, dayOf(run.Time), readingsOf(run, groupBySeries(ids, values))); err != nil {
			return fmt.Errorf("saving the run of %s: %w", run.Channel, err)
		}
		setAsideAny = w.setAsideAny
	}
	if len(dated) > 0 {
		// Readings that carry their own time (a rolling window's end) replace
		// what an earlier run stored for the same moment: the API's figure
		// for a window is one value, however often it is read.
		w, err := newChunkWriter(ctx, tx.Tx)
		if err != nil {
			return fmt.Errorf("saving the run of %s: %w", run.Channel, err)
		}
		defer w.close()
		for i, r := range dated {
			if err := w.replace(ctx, ids[firstDated+i], r); err != nil {
				return fmt.Errorf("saving the run of %s: %w", run.Channel, err)
			}
		}
		setAsideAny = setAsideAny || w.setAsideAny
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
	hidden, err := s.saveHidden(ctx, tx.Tx, run)
	if err != nil {
		return err
	}
	if hidden != nil {
		// Set while this writer still has the write turn, so that the next
		// run starts from it; put back from the table if the commit fails.
		s.notesMu.Lock()
		s.hidden = hidden
		s.notesMu.Unlock()
	}
	if err := tx.Commit(); err != nil {
		if hidden != nil {
			_ = s.loadHidden(context.WithoutCancel(ctx))
		}
		return fmt.Errorf("committing the run of %s: %w", run.Channel, err)
	}
	if setAsideAny {
		return s.loadDamaged(ctx)
	}
	return nil
}

// groupBySeries sorts the values by their series' ids (ids[i] is the id of
// values[i]; the order of a series' own values stays) and yields them one
// group a series, in order: the groups are cut as they are written, so that
// a run of 300,000 series never holds a list of them (9.6 MB).
//
// It sorts values and ids (each value's series) together, in place: the
// values are SaveRun's (see there), and a sorted copy cost 14 MB in a run of
// 300,000. Values already in order cost only the check.
func groupBySeries(ids []int64, values []Value) iter.Seq2[int64, []Value] {
	byID := valuesByID{ids: ids[:len(values)], values: values}
	if !sort.IsSorted(byID) {
		sort.Stable(byID)
	}
	return func(yield func(int64, []Value) bool) {
		from := 0
		for n := range byID.ids {
			if n+1 == len(byID.ids) || byID.ids[n+1] != byID.ids[n] {
				if !yield(byID.ids[n], values[from:n+1]) {
					return
				}
				from = n + 1
			}
		}
	}
}

// readingsOf turns each series' values into the run's readings, as the
// chunks take them; only a group's readings are made at a time.
func readingsOf(run Run, groups iter.Seq2[int64, []Value]) iter.Seq[seriesReadings] {
	return func(yield func(seriesReadings) bool) {
		for id, vs := range groups {
			rs := make([]Reading, len(vs))
			for i, v := range vs {
				rs[i] = Reading{Channel: run.Channel, Account: v.Account, Metric: v.Metric, Time: run.Time, Value: v.Value, Source: SourceAPI}
				if v.feed {
					rs[i].Source = SourceFeed
				}
			}
			if !yield(seriesReadings{id: id, rs: rs}) {
				return
			}
		}
	}
}

// valuesByID sorts values by their series' ids, moving both.
type valuesByID struct {
	ids    []int64
	values []Value
}

func (r valuesByID) Len() int           { return len(r.ids) }
func (r valuesByID) Less(i, j int) bool { return r.ids[i] < r.ids[j] }
func (r valuesByID) Swap(i, j int) {
	r.ids[i], r.ids[j] = r.ids[j], r.ids[i]
	r.values[i], r.values[j] = r.values[j], r.values[i]
}

// MaxValue is the largest value stored: 2^53, beyond which a float64 no
// longer counts in steps of one, so that an add would silently be lost.
const MaxValue = 1 << 53

// ErrBeyondMaxValue is a recording whose value (or sum) would exceed MaxValue.
var ErrBeyondMaxValue = errors.New("the value would exceed 9007199254740992 (2^53), the largest count kept exactly")

// Recording is a manual reading to store.
type Recording struct {
	Channel, Account, Metric string
	// Time is when the reading was made. Unless Backdated, it is stored no
	// earlier than the series' latest reading, so that recordings take
	// effect in the order they are stored, whatever moment each request
	// took for "now".
	Time time.Time
	// Backdated: Time is the moment the recording is about, given by its
	// author; an add then also raises every later reading of the series,
	// so that it counts from then on.
	Backdated bool
	Value     float64
	Add       bool // raise the reading at Time by Value instead of setting it
}

// Record stores a manual reading, backdated to t. With add, the value is
// added to the latest reading at or before t (0 if none) and to every later
// one; otherwise it is the reading. It returns the value stored.
func (s *Store) Record(ctx context.Context, channel, account, metric string, t time.Time, value float64, add bool) (float64, error) {
	r, err := s.Save(ctx, Recording{Channel: channel, Account: account, Metric: metric, Time: t, Backdated: true, Value: value, Add: add})
	return r.Value, err
}

// Save stores a manual recording in one write transaction, which holds the
// write lock from its start: the value an add raises is read, and the time
// settled, inside it, so every acknowledged add counts exactly once whatever
// the interleaving of requests and processes. It returns the reading stored.
func (s *Store) Save(ctx context.Context, rec Recording) (Reading, error) {
	stored := Reading{Channel: rec.Channel, Account: rec.Account, Metric: rec.Metric, Time: rec.Time, Source: SourceManual}
	if math.IsNaN(rec.Value) || math.IsInf(rec.Value, 0) {
		return stored, fmt.Errorf("refusing a non-finite reading for %s/%s/%s", rec.Channel, rec.Account, rec.Metric)
	}
	if math.Abs(rec.Value) > MaxValue {
		return stored, ErrBeyondMaxValue
	}
	key := seriesKey{rec.Channel, rec.Account, rec.Metric}
	ids, err := s.seriesIDs(ctx, []seriesKey{key})
	if err != nil {
		return stored, err
	}
	id := ids[0]
	tx, err := s.begin(ctx)
	if err != nil {
		return stored, fmt.Errorf("recording: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	w, err := newChunkWriter(ctx, tx.Tx)
	if err != nil {
		return stored, fmt.Errorf("recording: %w", err)
	}
	defer w.close()
	if !rec.Backdated {
		latest, ok, err := lastAtOrBefore(ctx, tx.Tx, id, time.UnixMilli(math.MaxInt64/2))
		if err != nil {
			return stored, err
		}
		if ok && latest.Time.After(stored.Time) {
			stored.Time = latest.Time
		}
	}
	stored.Value = rec.Value
	if rec.Add {
		last, _, err := lastAtOrBefore(ctx, tx.Tx, id, stored.Time)
		if err != nil {
			return stored, err
		}
		stored.Value += last.Value
		if rec.Backdated {
			if err := w.raiseAfter(ctx, id, stored.Time, rec.Value); err != nil {
				return stored, err
			}
		}
	}
	if stored.Value > MaxValue {
		return stored, ErrBeyondMaxValue
	}
	if err := w.add(ctx, id, []Reading{stored}); err != nil {
		return stored, err
	}
	if err := tx.Commit(); err != nil {
		return stored, fmt.Errorf("committing: %w", err)
	}
	if w.setAsideAny {
		return stored, s.loadDamaged(ctx)
	}
	return stored, nil
}

// lastAtOrBefore is the series' latest reading at or before t; ok is false
// when there is none.
func lastAtOrBefore(ctx context.Context, tx *sql.Tx, series int64, t time.Time) (Reading, bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT day, data FROM chunks WHERE series = ? AND day <= ? ORDER BY day DESC`, series, dayOf(t))
	if err != nil {
		return Reading{}, false, fmt.Errorf("reading the last value: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var day int64
		var data []byte
		if err := rows.Scan(&day, &data); err != nil {
			return Reading{}, false, fmt.Errorf("reading the last value: %w", err)
		}
		rs, err := decode(day, data)
		if err != nil {
			// An add counted from an earlier day would be a false number.
			return Reading{}, false, fmt.Errorf("the stored readings of %s are damaged on %s (%w); `collector check --store` sets that day aside",
				seriesName(ctx, tx, series), time.UnixMilli(day*dayMs).UTC().Format(time.DateOnly), err)
		}
		for i := len(rs) - 1; i >= 0; i-- {
			if !rs[i].Time.After(t) {
				return rs[i], true, nil
			}
		}
	}
	return Reading{}, false, rows.Err()
}

// loadSeries reads the series ids into memory.
func (s *Store) loadSeries(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, channel, account, metric FROM series`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var k seriesKey
		if err := rows.Scan(&id, &k.channel, &k.account, &k.metric); err != nil {
			return err
		}
		s.series.Set(k.key(), id)
	}
	return rows.Err()
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

const pruneBatch = 2000

// Prune deletes the UTC days older than retention, and keeps only the day's
// last reading of each account and metric on the UTC days wholly older than
// ThinAfter. It works in small transactions, so that runs and `collector
// record` are never held up for long. Feed ledgers are kept whole: they are
// what posts are counted from.
func (s *Store) Prune(ctx context.Context, now time.Time, retention time.Duration) (int64, error) {
	var total int64
	oldest := dayOf(now.Add(-retention))
	for {
		res, err := s.exec(ctx,
			`DELETE FROM chunks WHERE (series, day) IN (SELECT series, day FROM chunks WHERE day < ? LIMIT ?)`, oldest, pruneBatch)
		if err != nil {
			return total, fmt.Errorf("pruning the store: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < pruneBatch {
			break
		}
	}
	thin := dayOf(now.Add(-ThinAfter))
	for {
		n, err := s.thinBatch(ctx, thin)
		total += n
		if err != nil {
			return total, err
		}
		if n == 0 {
			break
		}
	}
	if total > 0 {
		if _, err := s.exec(ctx, `PRAGMA incremental_vacuum`); err != nil {
			return total, fmt.Errorf("vacuuming the store: %w", err)
		}
	}
	return total, nil
}

// thinBatch keeps only the last reading of up to pruneBatch chunks before
// day thin that are still tailed, and retires them from tailing (seq 0). It
// returns how many chunks it rewrote.
func (s *Store) thinBatch(ctx context.Context, thin int64) (int64, error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("pruning the store: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, `SELECT series, day, data FROM chunks WHERE seq > 0 AND day < ? LIMIT ?`, thin, pruneBatch)
	if err != nil {
		return 0, fmt.Errorf("pruning the store: %w", err)
	}
	type chunk struct {
		series, day int64
		data        []byte
	}
	var todo []chunk
	for rows.Next() {
		var c chunk
		if err := rows.Scan(&c.series, &c.day, &c.data); err != nil {
			rows.Close()
			return 0, fmt.Errorf("pruning the store: %w", err)
		}
		todo = append(todo, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("pruning the store: %w", err)
	}
	setAsideAny := false
	for _, c := range todo {
		rs, err := decode(c.day, c.data)
		if err != nil {
			setAsideAny = true
			if err := setAside(ctx, tx.Tx, time.Now(), []damagedChunk{{series: c.series, day: c.day, data: c.data, reason: err.Error()}}); err != nil {
				return 0, err
			}
			continue
		}
		if len(rs) > 1 {
			rs = rs[len(rs)-1:]
		}
		if _, err := tx.ExecContext(ctx, `UPDATE chunks SET seq = 0, data = ? WHERE series = ? AND day = ?`, encode(c.day, rs), c.series, c.day); err != nil {
			return 0, fmt.Errorf("pruning the store: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("pruning the store: %w", err)
	}
	if setAsideAny {
		return int64(len(todo)), s.loadDamaged(ctx)
	}
	return int64(len(todo)), nil
}

// seriesName is "channel/account/metric" of a series id, for messages.
func seriesName(ctx context.Context, q rowQuerier, series int64) string {
	if c, a, m, ok := seriesNames(ctx, q, series); ok {
		return c + "/" + a + "/" + m
	}
	return fmt.Sprintf("series %d", series)
}

// seriesNames are a series' channel, account and metric (ok false where
// the series cannot be read).
func seriesNames(ctx context.Context, q rowQuerier, series int64) (channel, account, metric string, ok bool) {
	err := q.QueryRowContext(ctx, `SELECT channel, account, metric FROM series WHERE id = ?`, series).Scan(&channel, &account, &metric)
	return channel, account, metric, err == nil
}

// rowQuerier is a database or a transaction, for one row.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Check runs SQLite's quick_check over the whole file. It reads everything,
// so it is not run on every start (SQLite reports damage as it meets it);
// the crash test uses it after each kill.
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
