package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

// A full disk stops nothing but storing: runs count reason="storage", the
// last values stay on /metrics, and once space returns the next run stores
// again. The store lives on a small tmpfs mounted for the test (root only,
// as CI runs; elsewhere the test is skipped and says why).
func TestDiskFullAndRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("mounts a tmpfs")
	}
	dir := t.TempDir()
	disk := filepath.Join(dir, "disk")
	if err := os.Mkdir(disk, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", disk).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", disk).Run() })

	api := fakeapi.New()
	defer api.Close()
	d, _ := startCollected(t, api, dir, filepath.Join(disk, "data"))
	_, mfs := d.scrape(t)
	before, _ := value(mfs, "kpi_value", map[string]string{"kpi": "subs"})

	// Fill the disk to the last byte.
	filler := filepath.Join(disk, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	block := make([]byte, 64<<10)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	for _, n := range []int{4096, 512, 1} {
		for {
			if _, err := f.Write(block[:n]); err != nil {
				break
			}
		}
	}
	f.Close()

	waitFor(t, "runs that fail to store, counted as storage", func() bool {
		_, mfs := d.scrape(t)
		ok, _ := value(mfs, "kpi_collection_success", map[string]string{"channel": "youtube"})
		n, _ := value(mfs, "kpi_collection_errors_total", map[string]string{"channel": "youtube", "reason": "storage"})
		return ok == 0 && n > 0
	})
	_, mfs = d.scrape(t)
	if v, ok := value(mfs, "kpi_value", map[string]string{"kpi": "subs"}); !ok || v != before {
		t.Errorf("while the disk is full, subs = %v (%v), want the last good %v", v, ok, before)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	waitFor(t, "a run that stores again", func() bool {
		_, mfs := d.scrape(t)
		ok, _ := value(mfs, "kpi_collection_success", map[string]string{"channel": "youtube"})
		return ok == 1
	})
	t.Logf("stored again %v after space returned", time.Since(freed).Round(100*time.Millisecond))
	d.stop(t)
}
