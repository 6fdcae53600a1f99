package metrics

import (
	"bytes"
	"compress/gzip"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

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
		size = len(old.Gzip)
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
	c.logger.Debug("metrics rendered", "duration", time.Since(started).Round(time.Millisecond), "gzip_bytes", len(r.Gzip))
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
// name order, as promhttp would write them. Asked for gzip, it sends the
// cached gzip member between two small ones it compresses on the spot; a
// gzip reader takes the members as one stream.
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
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			_, _ = w.Write(before.Bytes())
			if err := cached.WriteText(w); err != nil {
				logger.Error("writing the metrics failed", "err", err)
			}
			_, _ = w.Write(after.Bytes())
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Vary", "Accept-Encoding")
		_, _ = w.Write(gzipped(before.Bytes()))
		_, _ = w.Write(cached.Gzip)
		_, _ = w.Write(gzipped(after.Bytes()))
	})
}

func gzipped(b []byte) []byte {
	var out bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&out)
	_, _ = zw.Write(b)
	_ = zw.Close()
	gzipWriters.Put(zw)
	return out.Bytes()
}

// gzipWriters keeps the compressors of the live families between scrapes:
// a new one clears about a megabyte of state, and a scrape takes two (half
// a millisecond of each scrape, whatever the plan's size).
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}
