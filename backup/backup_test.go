package backup

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kpi-collector/kpi-collector/store"
)

var quiet = slog.New(slog.DiscardHandler)

// filled is a store with a channel's runs every six hours from t0 for days.
func filled(t *testing.T, t0 time.Time, days int) *store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i := range days * 4 {
		run := store.Run{Channel: "youtube", Time: t0.Add(time.Duration(i) * 6 * time.Hour), Success: true, Readings: []store.Reading{
			{Account: "UC1", Metric: "subscribers", Value: float64(1000 + i)},
			{Account: "UC1", Metric: "views", Value: float64(5000 + 7*i)},
		}}
		if err := st.SaveRun(context.Background(), run); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteIsCheckedAndNeverReplaces(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	st := filled(t, t0, 3)
	dir := t.TempDir()
	path := filepath.Join(dir, "kpi.db")
	sum, err := Write(ctx, st, path)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Series != 2 || sum.Readings != 24 || !sum.First.Equal(t0) || !sum.Last.Equal(t0.Add(66*time.Hour)) {
		t.Errorf("summary %+v", sum)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"kpi.db"}) {
		t.Errorf("the folder holds %v, want the backup alone", got)
	}
	if _, err := Write(ctx, st, path); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a second backup to the same file: %v", err)
	}
	// Into a folder that is not there: nothing is left behind.
	if _, err := Write(ctx, st, filepath.Join(dir, "missing", "kpi.db")); err == nil {
		t.Error("a backup into a missing folder succeeded")
	}
	if got := names(t, dir); !slices.Equal(got, []string{"kpi.db"}) {
		t.Errorf("a failed backup left %v", got)
	}
}

// Two months of a daily schedule under an injected clock, ticked every 20
// minutes: one backup a day, seven kept, the metric at the newest; a
// restart takes the newest file as the last backup; a failure is tried
// again ten minutes later, not a day.
func TestScheduleOverMonths(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	st := filled(t, t0, 2)
	dir := filepath.Join(t.TempDir(), "backups")
	s, err := NewSchedule(st, dir, DefaultInterval, DefaultKeep, quiet)
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(3 * time.Hour)
	s.SetClock(func() time.Time { return now })
	if !s.Due().IsZero() {
		t.Errorf("with no backup yet, one is due at %s, want at once", s.Due())
	}
	taken := 0
	end := now.AddDate(0, 2, 0)
	for ; now.Before(end); now = now.Add(20 * time.Minute) {
		ok, err := s.Tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			taken++
			if got := now.Sub(s.Last()); got != 0 {
				t.Fatalf("Last is %s after a backup at %s", s.Last(), now)
			}
		}
	}
	if days := int(end.Sub(t0.Add(3*time.Hour)).Hours() / 24); taken != days {
		t.Errorf("%d backups in %d days of a daily schedule", taken, days)
	}
	got := names(t, dir)
	if len(got) != DefaultKeep || !slices.IsSorted(got) {
		t.Fatalf("the folder holds %v, want the newest %d", got, DefaultKeep)
	}
	last := s.Last()
	if want := "kpi-" + last.Format(nameLayout) + ".db"; got[len(got)-1] != want {
		t.Errorf("the newest backup is %s, want %s", got[len(got)-1], want)
	}
	expo := func(ts string) string {
		return "# HELP kpi_store_backup_interval_seconds The time between two scheduled backups of the store (--storage.backup.interval).\n" +
			"# TYPE kpi_store_backup_interval_seconds gauge\nkpi_store_backup_interval_seconds 86400\n" +
			"# HELP kpi_store_last_backup_timestamp_seconds When the newest scheduled backup of the store was taken (0: none yet).\n" +
			"# TYPE kpi_store_last_backup_timestamp_seconds gauge\nkpi_store_last_backup_timestamp_seconds " + ts + "\n"
	}
	if err := testutil.CollectAndCompare(s, strings.NewReader(expo(formatSeconds(last)))); err != nil {
		t.Error(err)
	}

	// A restart: the newest file is the last backup, and a leftover of an
	// interrupted one is removed.
	leftover := filepath.Join(dir, ".kpi-20260901T000000Z.db.1-1"+tempSuffix)
	if err := os.WriteFile(leftover, []byte("half a backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	s2, err := NewSchedule(st, dir, DefaultInterval, DefaultKeep, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if !s2.Last().Equal(last) || !s2.Due().Equal(last.Add(DefaultInterval)) {
		t.Errorf("after a restart: last %s, due %s; want %s and a day later", s2.Last(), s2.Due(), last)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("the leftover of an interrupted backup is still there (%v)", err)
	}

	// A failure: the store is closed. Tried again ten minutes later.
	s2.SetClock(func() time.Time { return now })
	now = last.Add(DefaultInterval)
	broken, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	broken.Close()
	s2.st = broken
	if ok, err := s2.Tick(ctx); ok || err == nil {
		t.Fatalf("a backup of a closed store: %v, %v", ok, err)
	}
	if want := now.Add(retryAfter); !s2.Due().Equal(want) {
		t.Errorf("after a failure the next try is at %s, want %s", s2.Due(), want)
	}
	if !s2.Last().Equal(last) {
		t.Errorf("a failed backup moved Last to %s", s2.Last())
	}
	if got := names(t, dir); len(got) != DefaultKeep {
		t.Errorf("a failed backup changed the folder: %v", got)
	}
	s2.st = st
	now = now.Add(retryAfter)
	if ok, err := s2.Tick(ctx); !ok || err != nil {
		t.Errorf("the retry: %v, %v", ok, err)
	}
}

// formatSeconds writes a moment as the exposition writes a gauge's value.
func formatSeconds(t time.Time) string {
	return strconv.FormatFloat(float64(t.Unix()), 'g', -1, 64)
}

func TestNewScheduleRefusesBadSettings(t *testing.T) {
	st := filled(t, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), 1)
	for _, c := range []struct {
		interval time.Duration
		keep     int
		want     string
	}{{0, 7, "interval"}, {time.Hour, 0, "keep"}} {
		if _, err := NewSchedule(st, t.TempDir(), c.interval, c.keep, quiet); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("interval %s keep %d: %v", c.interval, c.keep, err)
		}
	}
}

func TestHandlerStreamsABackup(t *testing.T) {
	t0 := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	st := filled(t, t0, 2)
	srv := httptest.NewServer(Handler(st, quiet))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/vnd.sqlite3" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="kpi-`) {
		t.Fatalf("%s %v", resp.Status, resp.Header)
	}
	path := filepath.Join(t.TempDir(), "got.db")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	sum, err := store.Inspect(context.Background(), path)
	if err != nil || sum.Readings != 16 || sum.Series != 2 {
		t.Errorf("the streamed backup: %+v (%v)", sum, err)
	}
	// Nothing is left in the storage folder.
	if got := names(t, filepath.Dir(st.Path())); slices.ContainsFunc(got, func(n string) bool { return strings.HasSuffix(n, tempSuffix) }) {
		t.Errorf("the storage folder keeps %v", got)
	}
}
