package e2e

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/store"
)

// keptStores is where a store of every layout a release wrote is kept
// (internal/storegen), with the plan they are reported against.
var keptStores = filepath.Join("..", "store", "testdata", "stores")

// storeState is the store file's digest and time and the folder's other
// names (but the id marker, which a writing open leaves beside the file):
// equal states mean the store was not written.
func storeState(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, store.FileName)
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
		if e.Name() != store.MarkerFile {
			names = append(names, e.Name())
		}
	}
	return fmt.Sprintf("sha256 %x, modified %s, files %v", sha256.Sum256(data), info.ModTime().Format(time.RFC3339Nano), names)
}

func collector(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput()
	return string(out), err
}

// Every kept store opens with this release: its report equals the golden
// written when it was kept, the reading commands write nothing once it is
// migrated, and `check --store` names its layout.
func TestKeptStoresOpen(t *testing.T) {
	stores, err := filepath.Glob(filepath.Join(keptStores, "*.db"))
	if err != nil || len(stores) == 0 {
		t.Fatalf("no kept stores in %s (%v)", keptStores, err)
	}
	plan := filepath.Join(keptStores, "plan.yml")
	for _, kept := range stores {
		t.Run(filepath.Base(kept), func(t *testing.T) {
			data, err := os.ReadFile(kept)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, store.FileName), data, 0o600); err != nil {
				t.Fatal(err)
			}
			report := []string{"report", "--config.file=" + plan, "--storage.path=" + dir, "--at=2026-08-14", "--format=csv"}
			cmd := exec.Command(binary, report...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			got, err := cmd.Output()
			if err != nil {
				t.Fatalf("report: %v\n%s", err, stderr.String())
			}
			golden := strings.TrimSuffix(kept, ".db") + ".report.csv"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("the report of %s differs from %s:\n got:\n%s\nwant:\n%s", kept, golden, got, want)
			}

			before := storeState(t, dir)
			if out, err := collector(t, report...); err != nil {
				t.Fatalf("report: %v\n%s", err, out)
			}
			if after := storeState(t, dir); after != before {
				t.Errorf("report wrote the store:\nbefore %s\nafter  %s", before, after)
			}
			out, err := collector(t, "check", "--store", "--config.file="+plan, "--storage.path="+dir)
			if err != nil {
				t.Fatalf("check --store: %v\n%s", err, out)
			}
			if want := fmt.Sprintf("store layout version %d (this release writes %d)", store.Layout(), store.Layout()); !strings.Contains(out, want) {
				t.Errorf("check --store does not say %q:\n%s", want, out)
			}
			if after := storeState(t, dir); after != before {
				t.Errorf("check --store wrote a sound store:\nbefore %s\nafter  %s", before, after)
			}
			if out, err := collector(t, "check", "--config.file="+plan, "--storage.path="+dir); err != nil {
				t.Fatalf("check: %v\n%s", err, out)
			}
			if after := storeState(t, dir); after != before {
				t.Errorf("check wrote the store:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// The v0.1.0 store is migrated by the first reading command, which says so;
// a store from a newer release is refused by every command, unchanged.
func TestStoreLayoutUpgradeAndRefusal(t *testing.T) {
	plan := filepath.Join(keptStores, "plan.yml")
	data, err := os.ReadFile(filepath.Join(keptStores, "v0.1.0.db"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, store.FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := collector(t, "report", "--config.file="+plan, "--storage.path="+dir, "--at=2026-08-14")
	if err != nil || !strings.Contains(out, "migrated the store's layout") || !strings.Contains(out, fmt.Sprintf("from=0 to=%d", store.Layout())) {
		t.Errorf("the first report of a v0.1.0 store does not log its migration (%v):\n%s", err, out)
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	newer := store.Layout() + 1
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", newer)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before := storeState(t, dir)
	for _, args := range [][]string{
		{"report", "--at=2026-08-14"},
		{"check", "--store"},
		{"record", "--channel=offline", "--metric=relationships", "--add=1"},
		{"once"},
	} {
		out, err := collector(t, append(args, "--config.file="+plan, "--storage.path="+dir)...)
		if err == nil {
			t.Errorf("%v opened a store of layout %d:\n%s", args, newer, out)
		}
		want := fmt.Sprintf("has store layout version %d, but this release knows layouts up to %d", newer, store.Layout())
		if !strings.Contains(out, want) || !strings.Contains(out, "run that release") {
			t.Errorf("%v does not say %q and what to do:\n%s", args, want, out)
		}
		if after := storeState(t, dir); after != before {
			t.Errorf("%v changed a store it refused:\nbefore %s\nafter  %s", args, before, after)
		}
	}
}
