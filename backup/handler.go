package backup

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/kpi-collector/kpi-collector/store"
)

// Handler serves GET /api/v1/backup: a backup of the store taken now, as
// `collector backup` takes it, streamed as the file to put in place as
// kpi.db. The copy is written in the storage folder first (a container's
// root may be read-only) and removed once sent. The daemon routes it only
// with --web.enable-admin-api, behind the web config's authentication.
func Handler(st *store.Store, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A store of hundreds of megabytes takes longer to copy and send
		// than the server's write time-out allows other answers.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
		now := time.Now().UTC()
		tmp := tempName(st.Path())
		sum, err := writeChecked(r.Context(), st, tmp)
		if err != nil {
			logger.Error("a backup over HTTP failed", "err", err)
			http.Error(w, "The backup failed: "+err.Error(), http.StatusInternalServerError)
			return
		}
		defer os.Remove(tmp)
		f, err := os.Open(tmp) //nolint:gosec // the backup just written
		if err != nil {
			http.Error(w, "The backup failed: "+err.Error(), http.StatusInternalServerError)
			return
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			http.Error(w, "The backup failed: "+err.Error(), http.StatusInternalServerError)
			return
		}
		name := namePrefix + now.Format(nameLayout) + nameSuffix
		h := w.Header()
		h.Set("Content-Type", "application/vnd.sqlite3")
		h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
		h.Set("Content-Length", fmt.Sprint(info.Size()))
		h.Set("Cache-Control", "no-store")
		h.Set("X-KPI-Backup-Series", fmt.Sprint(sum.Series))
		h.Set("X-KPI-Backup-Readings", fmt.Sprint(sum.Readings))
		if _, err := io.Copy(w, f); err != nil {
			logger.Warn("a backup over HTTP was not sent whole", "err", err)
			return
		}
		logger.Info("sent a backup over HTTP", "file", filepath.Base(name), "bytes", info.Size(), "series", sum.Series, "readings", sum.Readings)
	})
}
