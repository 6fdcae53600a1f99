package e2e

import (
	"database/sql"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // to damage the store as a bad disk would

	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
	"github.com/kpi-collector/kpi-collector/store"
)

// A garbled chunk of one series stops neither the start nor the channel: the
// day is set aside (named in the log and kpi_store_quarantined_days), the
// other series and the next runs go on, and `collector check --store` lists
// it.
func TestDamagedChunkIsQuarantined(t *testing.T) {
	api := fakeapi.New()
	defer api.Close()
	dir := t.TempDir()
	storage := filepath.Join(dir, "data")
	d, cfg := startCollected(t, api, dir, storage)
	d.stop(t)

	db, err := sql.Open("sqlite", "file:"+filepath.Join(storage, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(`UPDATE chunks SET data = x'ffffffffffffffffffffff01' WHERE series IN (SELECT id FROM series WHERE account = 'UCgen42' AND metric = 'views')`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatal("no chunk of UCgen42 to damage")
	}
	db.Close()

	d = start(t, cfg, storage)
	waitFor(t, "runs that succeed beside the damaged day", func() bool {
		_, mfs := d.scrape(t)
		ok, _ := value(mfs, "kpi_collection_success", map[string]string{"channel": "youtube"})
		days, _ := value(mfs, "kpi_store_quarantined_days", map[string]string{"channel": "youtube", "account": "UCgen42", "metric": "views"})
		_, subs := value(mfs, "kpi_value", map[string]string{"kpi": "subs"})
		_, gen := value(mfs, "kpi_value", map[string]string{"kpi": "gen_views"})
		return ok == 1 && days == 1 && subs && gen
	})
	d.stop(t)
	if logs := d.logs.String(); !strings.Contains(logs, "a damaged day of stored readings was set aside") || !strings.Contains(logs, "UCgen42") {
		t.Errorf("the log does not name the damaged series:\n%s", logs)
	}

	out, err := exec.Command(binary, "check", "--store", "--config.file="+cfg, "--storage.path="+storage).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "youtube/UCgen42/views on ") {
		t.Errorf("check --store: %v\n%s", err, out)
	}
}
