package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/store"
)

// A digest's record survives closing and opening the store: a restart
// neither skips nor repeats a digest.
func TestDigestRecord(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if at, failures, state, err := st.DigestRecord(ctx, "weekly"); err != nil || !at.IsZero() || failures != 0 || state != nil {
		t.Fatalf("a digest never sent: %v %d %q %v", at, failures, state, err)
	}
	monday := time.Date(2026, 9, 21, 6, 0, 0, 0, time.UTC)
	if err := st.SaveDigestRecord(ctx, "weekly", monday, 0, []byte(`{"at":"x"}`)); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveDigestRecord(ctx, "weekly", monday.AddDate(0, 0, 7), 1, []byte(`{"at":"x"}`)); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveDigestRecord(ctx, "monthly", monday, 0, nil); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at, failures, state, err := st.DigestRecord(ctx, "weekly")
	if err != nil || !at.Equal(monday.AddDate(0, 0, 7)) || failures != 1 || string(state) != `{"at":"x"}` {
		t.Errorf("weekly after a restart: %v %d %q %v", at, failures, state, err)
	}
	if at, _, state, err := st.DigestRecord(ctx, "monthly"); err != nil || !at.Equal(monday) || state != nil {
		t.Errorf("monthly: %v %q %v", at, state, err)
	}
}

// A store as v0.1.0 wrote it is brought to the current layout when opened
// (the digests table with it), and keeps digests' records from then on.
func TestDigestsMigration(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data, err := os.ReadFile("testdata/stores/v0.1.0.db")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, store.FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, err := st.Version(ctx); err != nil || v != store.Layout() {
		t.Fatalf("opened, the store is of layout %d (%v), want %d", v, err, store.Layout())
	}
	monday := time.Date(2026, 9, 21, 6, 0, 0, 0, time.UTC)
	if err := st.SaveDigestRecord(ctx, "weekly", monday, 2, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if at, failures, _, err := st.DigestRecord(ctx, "weekly"); err != nil || !at.Equal(monday) || failures != 2 {
		t.Errorf("after migrating: %v %d %v", at, failures, err)
	}
}
