package metrics

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/kpi-collector/kpi-collector/internal/gzipsplice"
	"github.com/kpi-collector/kpi-collector/snapshot"
)

// Cache keeps the exposition of the engine's latest snapshot rendered, plain
// and gzipped, so that a scrape is served from memory: it re-renders in the
// background whenever a new snapshot is published (a collection landed, or
// the periodic refresh moved the time-dependent values).
type Cache struct {
	snapshot func() *snapshot.Snapshot
	extra    []prometheus.Collector
	logger   *slog.Logger

	current atomic.Pointer[Rendered]
	render  sync.Mutex // one render at a time
}

// NewCache renders snapshot() together with the extra collectors' families
// (constant ones, such as the build info).
func NewCache(snapshot func() *snapshot.Snapshot, logger *slog.Logger, extra ...prometheus.Collector) *Cache {
	return &Cache{snapshot: snapshot, extra: extra, logger: logger}
}

// Get returns the latest rendering. It renders only when there is none yet
// (the first scrape); a rendering of an older snapshot is served while Run
// catches up.
func (c *Cache) Get() *Rendered {
	if r := c.current.Load(); r != nil {
		return r
	}
	return c.refresh()
}

// Refresh renders the current snapshot now, unless it is rendered already.
func (c *Cache) Refresh() *Rendered { return c.refresh() }

// refresh renders the current snapshot unless it is rendered already.
func (c *Cache) refresh() *Rendered {
	c.render.Lock()
	defer c.render.Unlock()
	snap := c.snapshot()
	if r := c.current.Load(); r != nil && r.Of(snap) {
		return r
	}
	if snap == nil {
		return &Rendered{}
	}
	var size int
	if old := c.current.Load(); old != nil {
		size = len(old.Piece.Deflate)
	}
	started := time.Now()
	r, err := render(snap, size, c.extra...)
	if err != nil {
		c.logger.Error("rendering the metrics failed", "err", err)
		if old := c.current.Load(); old != nil {
			return old
		}
		return &Rendered{}
	}
	c.current.Store(r)
	c.logger.Debug("metrics rendered", "duration", time.Since(started).Round(time.Millisecond), "gzip_bytes", len(r.Piece.Deflate))
	return r
}

// Run re-renders whenever published signals a new snapshot (and, as a
// safety net, every interval if the snapshot changed), until ctx ends.
func (c *Cache) Run(ctx context.Context, published <-chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-published:
		case <-t.C:
		}
		if r := c.current.Load(); r == nil || !r.Of(c.snapshot()) {
			c.refresh()
		}
	}
}

// Handler serves /metrics: the live families of live (the Go runtime and the
// process, which change at every scrape) around the cached rendering, in
// name order, as promhttp would write them. Asked for gzip, it sends one
// gzip member: the live families compressed on the spot, the cached
// rendering's deflate blocks spliced between them as they are.
func Handler(c *Cache, live prometheus.Gatherer, logger *slog.Logger) http.Handler {
	format := expfmt.NewFormat(expfmt.TypeTextPlain)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cached := c.Get()
		mfs, err := live.Gather()
		if err != nil {
			logger.Error("gathering the process metrics failed", "err", err)
		}
		var before, after bytes.Buffer
		for _, mf := range mfs {
			buf := &after
			if mf.GetName() < "kpi_" {
				buf = &before
			}
			if _, err := expfmt.MetricFamilyToText(buf, mf); err != nil {
				logger.Error("encoding the process metrics failed", "err", err)
			}
		}
		w.Header().Set("Content-Type", string(format))
		w.Header().Set("Vary", "Accept-Encoding")
		if !acceptsGzip(r.Header.Values("Accept-Encoding")) {
			_, _ = w.Write(before.Bytes())
			if err := cached.WriteText(w); err != nil {
				logger.Error("writing the metrics failed", "err", err)
			}
			_, _ = w.Write(after.Bytes())
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzipsplice.NewWriter(w)
		_, _ = zw.Write(before.Bytes())
		_ = zw.Splice(cached.Piece)
		_, _ = zw.Write(after.Bytes())
		if err := zw.Close(); err != nil {
			logger.Debug("writing the metrics failed", "err", err) // the scraper went away
		}
	})
}

// acceptsGzip reports whether Accept-Encoding headers (RFC 9110, 12.5.3)
// take gzip: "gzip" (or "x-gzip") with a weight above 0, or else "*" with a
// weight above 0. "gzip;q=0" refuses it, whatever "*" says.
func acceptsGzip(headers []string) bool {
	gzip, wildcard := -1.0, -1.0 // -1: not named
	for _, h := range headers {
		for _, item := range strings.Split(h, ",") {
			coding, params, _ := strings.Cut(item, ";")
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				k, v, ok := strings.Cut(p, "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
					continue
				}
				w, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || w < 0 || w > 1 {
					w = 0 // a weight that is not one is no acceptance
				}
				q = w
			}
			switch strings.ToLower(strings.TrimSpace(coding)) {
			case "gzip", "x-gzip":
				gzip = max(gzip, q)
			case "*":
				wildcard = max(wildcard, q)
			}
		}
	}
	if gzip >= 0 {
		return gzip > 0
	}
	return wildcard > 0
}
