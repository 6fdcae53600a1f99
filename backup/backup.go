package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"

	"github.com/kpi-collector/kpi-collector/store"
)

// tempSuffix marks a backup being written; such files are never taken for
// backups and are removed when found at start.
const tempSuffix = ".tmp"

var tempCount atomic.Int64

// tempName is a name beside path for a backup being written, unique within
// the process.
func tempName(path string) string {
	return filepath.Join(filepath.Dir(path),
		"."+filepath.Base(path)+"."+strconv.Itoa(os.Getpid())+"-"+strconv.FormatInt(tempCount.Add(1), 10)+tempSuffix)
}

// Write backs the store up to path atomically: the copy is written under a
// temporary name beside it, checked as `collector check --store` checks a
// store, and renamed to path only when sound. path must not exist. It
// returns what the backup holds; days of readings that do not decode are
// copied as the store holds them and listed in the Summary, for the caller
// to say (`collector check --store` sets them aside in the store).
func Write(ctx context.Context, st *store.Store, path string) (store.Summary, error) {
	if _, err := os.Lstat(path); err == nil {
		return store.Summary{}, fmt.Errorf("%s exists: a backup never replaces a file", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return store.Summary{}, err
	}
	tmp := tempName(path)
	sum, err := writeChecked(ctx, st, tmp)
	if err != nil {
		return sum, err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return sum, fmt.Errorf("putting the backup in place: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return sum, fmt.Errorf("putting the backup in place: %w", err)
	}
	return sum, nil
}

// writeChecked writes a backup to tmp and checks it; on failure tmp is gone.
func writeChecked(ctx context.Context, st *store.Store, tmp string) (store.Summary, error) {
	if err := st.Backup(ctx, tmp); err != nil {
		return store.Summary{}, err
	}
	sum, err := store.Inspect(ctx, tmp)
	if err != nil {
		_ = os.Remove(tmp)
		return sum, fmt.Errorf("the backup failed its check: %w", err)
	}
	return sum, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir) //nolint:gosec // the operator's backup folder
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
