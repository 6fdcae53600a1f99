package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// A backup taken while runs are written is a store of its own: the same
// layout, every reading up to its moment, and Inspect counts them.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	save := func(i int) {
		t.Helper()
		run := Run{Channel: "yt", Time: t0.Add(time.Duration(i) * 6 * time.Hour), Success: true}
		for a := range 50 {
			run.Readings = append(run.Readings, Reading{Account: "UC" + string(rune('a'+a%26)) + string(rune('a'+a/26)), Metric: "subscribers", Value: float64(100*a + i)})
		}
		if err := s.SaveRun(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 40 {
		save(i)
	}
	done := make(chan struct{})
	go func() { // runs go on during the backup
		defer close(done)
		for i := 40; i < 80; i++ {
			save(i)
		}
	}()
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := s.Backup(ctx, path); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := s.Backup(ctx, path); err == nil {
		t.Error("a backup overwrote an existing file")
	}
	sum, err := Inspect(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Layout != Layout() || sum.Series != 50 || len(sum.Damaged) != 0 {
		t.Errorf("summary %+v, want layout %d and 50 series, nothing damaged", sum, Layout())
	}
	if sum.Readings < 40*50 || sum.Readings > 80*50 || sum.Readings%50 != 0 {
		t.Errorf("%d readings: not whole runs from the first 40 on", sum.Readings)
	}
	if !sum.First.Equal(t0) {
		t.Errorf("first reading at %s, want %s", sum.First, t0)
	}

	// Put in place as kpi.db, it opens as the store it copied.
	restored := t.TempDir()
	copyFile(t, path, filepath.Join(restored, FileName))
	r, err := OpenWith(restored, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rs, err := r.Readings(ctx)
	if err != nil || int64(len(rs)) != sum.Readings {
		t.Errorf("the restored store reads %d readings (%v), the summary said %d", len(rs), err, sum.Readings)
	}
	wantID, _ := s.ID(ctx)
	if id, err := r.ID(ctx); err != nil || id != wantID {
		t.Errorf("the restored store's id %q (%v), want the live one's %q", id, err, wantID)
	}
}

func TestInspectRefusesWhatIsNoStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	writeFile(t, notDB, "not a database at all, just some text that is long enough to fill a header of a hundred bytes or so......")
	if _, err := Inspect(ctx, notDB); err == nil {
		t.Error("a text file passed as a store")
	}
	if _, err := Inspect(ctx, filepath.Join(dir, "missing.db")); err == nil {
		t.Error("a missing file passed as a store")
	}
	newer := t.TempDir()
	s, err := Open(newer)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	setVersion(t, newer, Layout()+1)
	if _, err := Inspect(ctx, filepath.Join(newer, FileName)); err == nil {
		t.Error("a store of a newer layout passed")
	}
}
