package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/kpi-collector/kpi-collector/backfill"
	"github.com/kpi-collector/kpi-collector/backup"
	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/engine"
	"github.com/kpi-collector/kpi-collector/report"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/store"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// commonFlags are the flags every sub-command takes.
type commonFlags struct {
	configFile  string
	storagePath string
	storageInit bool
	retention   model.Duration
	shardCount  int
	shardIndex  int
	shardPeers  string
	externalURL string
	peerTimeout time.Duration
	logger      *slog.Logger
}

// openStore opens the store for writing, migrating it to this release's
// layout, or starts one over with --storage.init.
func (c *commonFlags) openStore() (*store.Store, error) {
	return store.OpenWith(c.storagePath, store.Options{Init: c.storageInit, Logger: c.logger})
}

// openReader opens the store for a reading command: it is written only if it
// must be migrated, and a folder without one is read as empty.
func (c *commonFlags) openReader() (*store.Store, error) {
	return store.OpenWith(c.storagePath, store.Options{ReadOnly: true, Logger: c.logger})
}

// load reads the config file and keeps this replica's shard of it. The
// commands that call no API load it with config.WithoutSecrets: reading
// the plan needs no API secret.
func (c *commonFlags) load(opts ...config.LoadOption) (*config.Config, error) {
	cfg, err := config.LoadFile(c.configFile, collectors.Types(), opts...)
	if err != nil {
		return nil, err
	}
	return cfg.Shard(c.shardCount, c.shardIndex), nil
}

type recordFlags struct {
	channel, metric, account, time string
	value, add                     float64
	valueSet, addSet               bool
}

type reportFlags struct {
	at, format string
	suggest    bool
	url        urlFlags
}

var stdout, stderr io.Writer = os.Stdout, os.Stderr

func loadConfig(c *commonFlags, opts ...config.LoadOption) (*config.Config, bool) {
	cfg, err := c.load(opts...)
	if err != nil {
		fmt.Fprintf(stderr, "The config is not valid:\n%v\n", err)
		return nil, false
	}
	return cfg, true
}

// openEngine loads the config, opens the store (for reading only, with
// readOnly) and reads it into an engine.
func openEngine(c *commonFlags, now func() time.Time, readOnly bool, opts ...config.LoadOption) (*engine.Engine, *store.Store, bool) {
	cfg, ok := loadConfig(c, opts...)
	if !ok {
		return nil, nil, false
	}
	open := c.openStore
	if readOnly {
		open = c.openReader
	}
	st, err := open()
	if err != nil {
		fmt.Fprintf(stderr, "Cannot open the store: %v\n", err)
		return nil, nil, false
	}
	e := engine.New(st, cfg, collectors.Types(), c.logger)
	if now != nil {
		e.SetClock(now)
	}
	if err := e.Load(context.Background()); err != nil {
		fmt.Fprintf(stderr, "Cannot read the store: %v\n", err)
		st.Close()
		return nil, nil, false
	}
	return e, st, true
}

func runCheck(c *commonFlags, checkStore bool) int {
	cfg, ok := loadConfig(c)
	if !ok {
		return 1
	}
	fmt.Fprintf(stdout, "%s is valid: plan %s (%s), %d channels, %d KPIs.\n", c.configFile, cfg.Plan.Name, cfg.Plan.Goal, len(cfg.Channels), len(cfg.KPIs))
	latest, done := c.latestReadings()
	warnings := config.ResolutionWarnings(cfg, collectors.Types(), latest)
	done()
	if len(warnings) > 0 {
		fmt.Fprintf(stdout, "Warnings:\n%v\n", warnings)
	}
	printEnds(stdout, cfg, c.credentialChecks(), time.Now())
	if !checkStore {
		return 0
	}
	return runCheckStore(c)
}

// latestReadings reads an account's latest value from the store, where one
// exists already (check never creates a store, and writes one only to
// migrate it): nil without one. done closes the store.
func (c *commonFlags) latestReadings() (latest func(channel, account, metric string) (float64, bool), done func()) {
	if _, err := os.Stat(filepath.Join(c.storagePath, store.FileName)); err != nil {
		return nil, func() {}
	}
	st, err := c.openReader()
	if err != nil {
		fmt.Fprintf(stderr, "The store was not read: %v\n", err)
		return nil, func() {}
	}
	return func(channel, account, metric string) (float64, bool) {
		r, ok, err := st.Latest(context.Background(), channel, account, metric)
		return r.Value, ok && err == nil
	}, func() { st.Close() }
}

// credentialChecks reads what the daemon last learned of each channel's
// credential from the store, where one exists already (check never creates
// a store).
func (c *commonFlags) credentialChecks() map[string]snapshot.Credential {
	if _, err := os.Stat(filepath.Join(c.storagePath, store.FileName)); err != nil {
		return nil
	}
	st, err := c.openReader()
	if err != nil {
		return nil // latestReadings said why
	}
	defer st.Close()
	checks, err := st.CredentialChecks(context.Background())
	if err != nil {
		return nil
	}
	out := make(map[string]snapshot.Credential, len(checks))
	for name, ch := range checks {
		out[name] = *engine.CredentialOf(ch)
	}
	return out
}

// runCheckStore runs SQLite's integrity check over the store, then decodes
// every day of readings, setting aside those that are damaged so that their
// series go on without them. It lists every day set aside, now or before;
// it exits 1 only when the file itself fails its integrity check.
func runCheckStore(c *commonFlags) int {
	st, err := c.openStore()
	if err != nil {
		fmt.Fprintf(stderr, "Cannot open the store: %v\n", err)
		return 1
	}
	defer st.Close()
	ctx := context.Background()
	version, err := st.Version(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "Reading the store failed: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: store layout version %d (this release writes %d).\n", st.Path(), version, store.Layout())
	if err := st.Check(ctx); err != nil {
		fmt.Fprintf(stderr, "The store failed SQLite's integrity check: %v\nRestore it from a backup.\n", err)
		return 1
	}
	found, err := st.Scan(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "Reading the store failed: %v\n", err)
		return 1
	}
	all := st.Damaged()
	switch {
	case len(all) == 0:
		fmt.Fprintf(stdout, "%s is sound: every day of readings decodes.\n", st.Path())
	default:
		fmt.Fprintf(stdout, "%s: %d damaged day(s) of readings set aside (%d found now); their series go on without them:\n", st.Path(), len(all), len(found))
		for _, d := range all {
			fmt.Fprintf(stdout, "  %s\n", d)
		}
	}
	return 0
}

func runOnce(c *commonFlags) int {
	e, st, ok := openEngine(c, nil, false)
	if !ok {
		return 1
	}
	defer st.Close()
	failed := false
	for _, rep := range e.RunAll(context.Background()) {
		for _, r := range rep.Readings {
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", rep.Channel, r.Account, r.Metric, plainNumber(r.Value))
		}
		for _, err := range rep.Errors {
			fmt.Fprintf(stderr, "%s: %v\n", rep.Channel, err)
		}
		if rep.SaveError != nil {
			fmt.Fprintf(stderr, "%s: not stored: %v\n", rep.Channel, rep.SaveError)
		}
		if !rep.OK() {
			failed = true
		}
	}
	// Counts kept in an item ledger (a feed's posts) are counted when the
	// run is stored.
	types := collectors.Types()
	if snap := e.Snapshot(); snap != nil {
		for a, v := range snap.Accounts.All() {
			if ch := e.Config().Channels[a.Channel]; ch != nil && types[ch.Type].ItemLedgerMetric == a.Metric {
				fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", a.Channel, a.Account, a.Metric, plainNumber(v))
			}
		}
	}
	if failed {
		return 1
	}
	return 0
}

func runRecord(c *commonFlags, f recordFlags) int {
	if f.valueSet == f.addSet {
		fmt.Fprintln(stderr, "collector record: give exactly one of --value N or --add N")
		return 2
	}
	m := vocab.ManualReading{Channel: f.channel, Account: f.account, Metric: f.metric, Value: f.value}
	if f.addSet {
		m.Value, m.Add = f.add, true
	}
	if f.time != "" {
		t, err := time.Parse(time.RFC3339, f.time)
		if err != nil {
			fmt.Fprintf(stderr, "collector record: --time %q is not RFC 3339, such as 2026-07-31T17:00:00+02:00\n", f.time)
			return 2
		}
		m.Time, m.Backdated = t, true
	}
	e, st, ok := openEngine(c, nil, false, config.WithoutSecrets())
	if !ok {
		return 1
	}
	defer st.Close()
	stored, err := e.Record(context.Background(), m)
	if err != nil {
		var bad *vocab.InputError
		if errors.As(err, &bad) {
			fmt.Fprintf(stderr, "collector record: %s\n", bad.Msg)
			return 1
		}
		fmt.Fprintf(stderr, "collector record: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\t%s\n", stored.Channel, stored.Account, stored.Metric, plainNumber(stored.Value), stored.Time.Format(time.RFC3339))
	return 0
}

func runReport(c *commonFlags, f reportFlags) int {
	if f.url.url != "" {
		return runReportURL(f)
	}
	cfg, ok := loadConfig(c, config.WithoutSecrets())
	if !ok {
		return 1
	}
	at := time.Now()
	if f.at != "" {
		t, err := parseAt(f.at, cfg.Plan.Location)
		if err != nil {
			fmt.Fprintf(stderr, "collector report: %v\n", err)
			return 2
		}
		at = t
	}
	e, st, ok := openEngine(c, func() time.Time { return at }, true, config.WithoutSecrets())
	if !ok {
		return 1
	}
	defer st.Close()
	doc := report.Build(e.Snapshot())
	var err error
	switch {
	case f.suggest:
		err = report.WriteSuggestions(stdout, e.Snapshot())
	case f.format == "csv":
		err = report.WriteCSV(stdout, doc)
	case f.format == "json":
		err = report.WriteJSON(stdout, doc)
	case f.format == "html":
		err = report.WriteHTML(stdout, e.Snapshot())
	case f.format == "markdown":
		err = report.WriteMarkdown(stdout, doc)
	default:
		err = report.WriteTable(stdout, doc, isTerminal(stdout))
	}
	if err != nil {
		fmt.Fprintf(stderr, "collector report: %v\n", err)
		return 1
	}
	return 0
}

// parseAt reads RFC 3339, or a date meaning the end of that day in loc.
func parseAt(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := config.ParseDate(s); err == nil {
		return d.End(loc), nil
	}
	return time.Time{}, fmt.Errorf("--at %q is neither RFC 3339 nor a date YYYY-MM-DD", s)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// plainNumber prints a value as people write it: a count as a whole number
// (58677711, not 5.8677711e+07), anything else in plain decimal.
func plainNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// runHealthcheck asks url and exits 0 on a 200.
func runHealthcheck(url string) int {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url) //nolint:noctx // one request, bounded by the client's time-out
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "healthcheck: %s answered %s\n", url, resp.Status)
		return 1
	}
	return 0
}

type importFlags struct {
	file    string
	skipBad bool
}

// runImport checks every row of the file, then writes the good ones in
// batches: all or, with a bad row, none (unless --skip-bad).
func runImport(c *commonFlags, f importFlags) int {
	cfg, ok := loadConfig(c, config.WithoutSecrets())
	if !ok {
		return 1
	}
	in := io.Reader(os.Stdin)
	name := "standard input"
	if f.file != "-" {
		file, err := os.Open(f.file)
		if err != nil {
			fmt.Fprintf(stderr, "collector import: %v\n", err)
			return 1
		}
		defer file.Close()
		in, name = file, f.file
	}
	res, err := backfill.Check(bufio.NewReaderSize(in, 1<<20), cfg, collectors.Types(), time.Now(), 100, collectors.TakesFractions)
	if err != nil {
		fmt.Fprintf(stderr, "collector import: reading %s: %v\n", name, err)
		return 1
	}
	for _, p := range res.Problems {
		fmt.Fprintf(stderr, "%s:%d: %s\n", name, p.Line, p.Msg)
	}
	if res.Bad > len(res.Problems) {
		fmt.Fprintf(stderr, "… and %d more bad rows\n", res.Bad-len(res.Problems))
	}
	switch {
	case res.Stopped:
		fmt.Fprintf(stderr, "collector import: the file was not read to its end; nothing was written\n")
		return 1
	case res.Bad > 0 && !f.skipBad:
		fmt.Fprintf(stderr, "collector import: %d bad rows; nothing was written (--skip-bad writes the %d good ones)\n", res.Bad, res.Good)
		return 1
	}
	st, err := c.openStore()
	if err != nil {
		fmt.Fprintf(stderr, "Cannot open the store: %v\n", err)
		return 1
	}
	defer st.Close()
	changed, err := res.Write(context.Background(), st, backfill.ImportBatch)
	if err != nil {
		fmt.Fprintf(stderr, "collector import: writing stopped after %d new or changed readings: %v; importing the file again completes it\n", changed, err)
		return 1
	}
	fmt.Fprintf(stdout, "%d rows read, %d new or changed readings stored, %d bad rows skipped\n", res.Good, changed, res.Bad)
	return 0
}

// printEnds says, for each channel whose credential or API version ages,
// when it ends: the API version from the config (the type's table, or
// version_end), the credential as the daemon last asked its API (kept in
// the store; a channel not asked yet says so).
func printEnds(w io.Writer, cfg *config.Config, checks map[string]snapshot.Credential, now time.Time) {
	var lines []string
	for _, name := range slices.Sorted(maps.Keys(cfg.Channels)) {
		ch := cfg.Channels[name]
		if c, ok := checks[name]; ok {
			lines = append(lines, fmt.Sprintf("  %s: credential: %s (asked %s)", name, c.Words(now), c.Checked.UTC().Format(time.DateOnly)))
		}
		if v := engine.APIVersionOf(ch); v != nil {
			words := v.Words(now)
			if v.Soon(now) {
				words += ": set channels." + name + ".version to a current one"
			}
			lines = append(lines, fmt.Sprintf("  %s: %s", name, words))
		}
	}
	if len(lines) > 0 {
		fmt.Fprintf(w, "Credentials and API versions:\n%s\n", strings.Join(lines, "\n"))
	}
}

// runBackup writes a checked backup of the store to a file and prints what
// it holds.
func runBackup(c *commonFlags, to string) int {
	if _, err := os.Stat(filepath.Join(c.storagePath, store.FileName)); err != nil {
		fmt.Fprintf(stderr, "collector backup: no store in %s to back up: %v\n", c.storagePath, err)
		return 1
	}
	st, err := c.openStore()
	if err != nil {
		fmt.Fprintf(stderr, "Cannot open the store: %v\n", err)
		return 1
	}
	defer st.Close()
	start := time.Now()
	sum, err := backup.Write(context.Background(), st, to)
	if err != nil {
		fmt.Fprintf(stderr, "collector backup: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: a backup of %s, store layout version %d, checked in %s:\n", to, st.Path(), sum.Layout, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "  series    %d\n  readings  %d\n  feed items %d\n", sum.Series, sum.Readings, sum.FeedItems)
	if !sum.First.IsZero() {
		fmt.Fprintf(stdout, "  first     %s\n  last      %s\n", sum.First.UTC().Format(time.RFC3339), sum.Last.UTC().Format(time.RFC3339))
	}
	if sum.SetAside > 0 {
		fmt.Fprintf(stdout, "  %d damaged day(s) set aside earlier are in it, as in the store\n", sum.SetAside)
	}
	for _, d := range sum.Damaged {
		fmt.Fprintf(stdout, "  damaged, copied as it is: %s (`collector check --store` sets it aside in the store)\n", d)
	}
	fmt.Fprintf(stdout, "To restore: stop the collector, put this file in an empty storage folder as %s, start it.\n", store.FileName)
	return 0
}
