package backup

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kpi-collector/kpi-collector/store"
)

// Defaults of --storage.backup.interval and --storage.backup.keep.
const (
	DefaultInterval = 24 * time.Hour
	DefaultKeep     = 7
)

// A scheduled backup is named by its moment in UTC, so that the names sort
// as the backups were taken: kpi-20261203T093000Z.db.
const (
	namePrefix = "kpi-"
	nameLayout = "20060102T150405Z"
	nameSuffix = ".db"
)

// retryAfter is how soon a failed scheduled backup is tried again (or the
// interval, if shorter).
const retryAfter = 10 * time.Minute

// Schedule takes a backup into a folder every interval and keeps the newest
// keep of them.
type Schedule struct {
	st       *store.Store
	dir      string
	interval time.Duration
	keep     int
	logger   *slog.Logger
	now      func() time.Time

	mu       sync.Mutex
	last     time.Time // the newest backup's moment (zero: none yet)
	failedAt time.Time // the last failed attempt since it

	lastDesc, intervalDesc *prometheus.Desc
}

// NewSchedule prepares scheduled backups of st into dir (created if
// missing); the newest backup already there counts as the last one.
// Leftovers of a backup interrupted while written are removed.
func NewSchedule(st *store.Store, dir string, interval time.Duration, keep int, logger *slog.Logger) (*Schedule, error) {
	if interval <= 0 {
		return nil, fmt.Errorf("--storage.backup.interval must be positive, not %s", interval)
	}
	if keep < 1 {
		return nil, fmt.Errorf("--storage.backup.keep must be at least 1, not %d", keep)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating the backup folder: %w", err)
	}
	s := &Schedule{
		st: st, dir: dir, interval: interval, keep: keep, logger: logger, now: time.Now,
		lastDesc: prometheus.NewDesc("kpi_store_last_backup_timestamp_seconds",
			"When the newest scheduled backup of the store was taken (0: none yet).", nil, nil),
		intervalDesc: prometheus.NewDesc("kpi_store_backup_interval_seconds",
			"The time between two scheduled backups of the store (--storage.backup.interval).", nil, nil),
	}
	backups, err := s.backups()
	if err != nil {
		return nil, err
	}
	if len(backups) > 0 {
		s.last = backups[len(backups)-1].at
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the backup folder: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") && strings.HasSuffix(e.Name(), tempSuffix) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	return s, nil
}

// SetClock replaces the clock (tests run months of schedule with it).
func (s *Schedule) SetClock(now func() time.Time) { s.now = now }

type backupFile struct {
	name string
	at   time.Time
}

// backups lists the folder's backups, oldest first. Files not named as a
// scheduled backup are not its to count or remove.
func (s *Schedule) backups() ([]backupFile, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("reading the backup folder: %w", err)
	}
	var out []backupFile
	for _, e := range entries {
		stamp, ok := strings.CutPrefix(e.Name(), namePrefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		stamp, ok = strings.CutSuffix(stamp, nameSuffix)
		if !ok {
			continue
		}
		at, err := time.Parse(nameLayout, stamp)
		if err != nil {
			continue
		}
		out = append(out, backupFile{name: e.Name(), at: at})
	}
	slices.SortFunc(out, func(a, b backupFile) int { return a.at.Compare(b.at) })
	return out, nil
}

// Due is when the next backup is to be taken: at once without one, an
// interval after the last, or soon after a failed attempt.
func (s *Schedule) Due() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last.IsZero() && s.failedAt.IsZero() {
		return time.Time{}
	}
	due := s.last.Add(s.interval)
	if !s.failedAt.IsZero() {
		due = s.failedAt.Add(min(retryAfter, s.interval))
	}
	return due
}

// Last is the newest backup's moment (zero: none).
func (s *Schedule) Last() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Tick takes a backup if one is due, then removes the oldest past keep. It
// reports whether it took one.
func (s *Schedule) Tick(ctx context.Context) (bool, error) {
	now := s.now()
	if now.Before(s.Due()) {
		return false, nil
	}
	at := now.UTC().Truncate(time.Second)
	path := filepath.Join(s.dir, namePrefix+at.Format(nameLayout)+nameSuffix)
	start := time.Now()
	sum, err := Write(ctx, s.st, path)
	if err != nil {
		s.mu.Lock()
		s.failedAt = now
		s.mu.Unlock()
		s.logger.Error("the scheduled backup failed; trying again later", "path", path, "err", err)
		return false, err
	}
	s.mu.Lock()
	s.last, s.failedAt = at, time.Time{}
	s.mu.Unlock()
	s.logger.Info("backed up the store", "path", path, "series", sum.Series, "readings", sum.Readings, "took", time.Since(start))
	for _, d := range sum.Damaged {
		s.logger.Warn("a day of readings in the backup does not decode; `collector check --store` sets it aside in the store", "day", d.String())
	}
	return true, s.removeOld()
}

// removeOld removes the oldest backups past keep.
func (s *Schedule) removeOld() error {
	backups, err := s.backups()
	if err != nil {
		return err
	}
	for len(backups) > s.keep {
		if err := os.Remove(filepath.Join(s.dir, backups[0].name)); err != nil {
			return fmt.Errorf("removing an old backup: %w", err)
		}
		s.logger.Info("removed an old backup", "path", filepath.Join(s.dir, backups[0].name), "keep", s.keep)
		backups = backups[1:]
	}
	return nil
}

// Run takes backups as they fall due until ctx ends.
func (s *Schedule) Run(ctx context.Context) {
	for {
		wait := time.Until(s.Due())
		if wait < 0 {
			wait = 0
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		_, _ = s.Tick(ctx) // a failure is logged, and tried again
	}
}

// Describe and Collect make the schedule a Prometheus collector of
// kpi_store_last_backup_timestamp_seconds and
// kpi_store_backup_interval_seconds (the alert compares the two).
func (s *Schedule) Describe(ch chan<- *prometheus.Desc) {
	ch <- s.lastDesc
	ch <- s.intervalDesc
}

func (s *Schedule) Collect(ch chan<- prometheus.Metric) {
	last := s.Last()
	v := 0.0
	if !last.IsZero() {
		v = float64(last.UnixMilli()) / 1000
	}
	ch <- prometheus.MustNewConstMetric(s.lastDesc, prometheus.GaugeValue, v)
	ch <- prometheus.MustNewConstMetric(s.intervalDesc, prometheus.GaugeValue, s.interval.Seconds())
}
