package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promcollectors "github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/version"
	toolkit "github.com/prometheus/exporter-toolkit/web"

	"github.com/kpi-collector/kpi-collector/backup"
	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/digest"
	"github.com/kpi-collector/kpi-collector/engine"
	"github.com/kpi-collector/kpi-collector/metrics"
	"github.com/kpi-collector/kpi-collector/peers"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/store"
	"github.com/kpi-collector/kpi-collector/web"
)

// refreshEvery is how often the snapshot is re-evaluated between collections:
// the expected value moves with time, and `collector record` writes to the
// store from another process.
const refreshEvery = 5 * time.Second

// serveFlags are the daemon's own flags beyond the web toolkit's.
type serveFlags struct {
	adminAPI       bool
	backupPath     string
	backupInterval model.Duration
	backupKeep     int
	// enableLifecycle lets POST /-/reload reload the config.
	enableLifecycle bool
}

func runServe(c *commonFlags, webFlags *toolkit.FlagConfig, telemetryPath string, opts *serveFlags) int {
	logger := c.logger
	logger.Info("starting kpi-collector", "version", version.Info(), "build", version.BuildContext())
	cfg, err := c.load()
	if err != nil {
		logger.Error("the config is not valid", "file", c.configFile, "err", err)
		return 1
	}
	if err := checkExternalURL(c.externalURL); err != nil {
		logger.Error("bad flag", "err", err)
		return 1
	}
	var peerURLs []string
	if c.shardPeers != "" {
		peerURLs = strings.Split(c.shardPeers, ",")
		if len(peerURLs) != c.shardCount {
			logger.Error("--shard.peers must list one URL per shard", "shards", c.shardCount, "peers", len(peerURLs))
			return 1
		}
	}
	st, err := c.openStore()
	if err != nil {
		logger.Error("cannot open the store", "err", err)
		return 1
	}
	defer func() {
		if err := st.Close(); err != nil {
			logger.Error("closing the store failed", "err", err)
		}
	}()

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	e := engine.New(st, cfg, collectors.Types(), logger)
	if err := e.Load(ctx); err != nil {
		logger.Error("cannot read the store", "err", err)
		return 1
	}

	// The KPI metrics are rendered when a snapshot is published and served
	// from memory; the Go runtime and process metrics are gathered live.
	cache := metrics.NewCache(e.Snapshot, logger, versioncollector.NewCollector("kpi_collector"))
	go cache.Run(ctx, e.Published(), time.Second)
	live := prometheus.NewRegistry()
	live.MustRegister(
		promcollectors.NewGoCollector(),
		promcollectors.NewProcessCollector(promcollectors.ProcessCollectorOpts{}),
	)

	// Digests go out from shard 0 only, so that a sharded plan sends each
	// once, and tell the whole plan, asking the other shards.
	shards := shardPeers(peerURLs, c)
	var digests *digest.Runner
	if c.shardIndex == 0 {
		dopts := digestOptions(c)
		dopts.Metrics = digest.NewMetrics(live)
		dopts.Whole = wholePlan(shards)
		digests = digest.NewRunner(cfg, e.Snapshot, st, dopts)
		go digests.Run(ctx)
	}

	if opts.backupPath != "" {
		backups, err := backup.NewSchedule(st, opts.backupPath, time.Duration(opts.backupInterval), opts.backupKeep, logger)
		if err != nil {
			logger.Error("cannot schedule backups", "err", err)
			return 1
		}
		live.MustRegister(backups)
		go backups.Run(ctx)
	}
	var admin http.Handler
	if opts.adminAPI {
		admin = backup.Handler(st, logger)
	}

	sched := engine.NewScheduler(e, logger)
	if err := sched.Start(ctx); err != nil {
		logger.Error("cannot schedule the channels", "err", err)
		return 1
	}

	var reloadMu sync.Mutex
	reload := func(context.Context) error {
		reloadMu.Lock()
		defer reloadMu.Unlock()
		next, err := c.load()
		if err != nil {
			e.ReloadFailed(ctx, err)
			logger.Error("reload refused; the old config keeps running", "err", err)
			return err
		}
		if next.Fingerprint == e.Config().Fingerprint {
			logger.Info("config unchanged; nothing to reload")
			e.ApplyConfig(ctx, e.Config())
			return nil
		}
		if err := sched.Reload(next); err != nil {
			logger.Error("rescheduling after reload failed", "err", err)
			return err
		}
		if digests != nil {
			digests.SetConfig(next)
		}
		logger.Info("config reloaded", "channels", len(next.Channels), "kpis", len(next.KPIs), "digests", len(next.Digests))
		return nil
	}

	srv := &http.Server{
		Handler: (&web.Server{
			Engine: e, Metrics: metrics.Handler(cache, live, logger), TelemetryPath: telemetryPath, Reload: reload, EnableLifecycle: opts.enableLifecycle, Logger: logger,
			Peers: peerURLs, PeerClient: peerClient(), Shards: shards, Backup: admin,
		}).Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- toolkit.ListenAndServe(srv, webFlags, logger) }()

	go func() {
		// Retention: at start, then every six hours.
		t := time.NewTicker(6 * time.Hour)
		defer t.Stop()
		for {
			if n, err := e.Prune(ctx, time.Duration(c.retention)); err != nil && !errors.Is(err, context.Canceled) {
				logger.Error("pruning the store failed", "err", err)
			} else if n > 0 {
				logger.Info("pruned old readings", "deleted", n, "retention", c.retention)
			}
			if err := e.WriteCheckpoint(ctx); err != nil && !errors.Is(err, context.Canceled) {
				logger.Warn("writing the cache checkpoint failed", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()

	go func() {
		t := time.NewTicker(refreshEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := e.Refresh(ctx); err != nil && !errors.Is(err, context.Canceled) {
					logger.Error("refreshing from the store failed", "err", err)
				}
			}
		}
	}()

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	code := 0
loop:
	for {
		select {
		case sig := <-signals:
			if sig == syscall.SIGHUP {
				_ = reload(ctx)
				continue
			}
			logger.Info("shutting down", "signal", sig.String())
			break loop
		case err := <-serveErr:
			logger.Error("the web server stopped", "err", err)
			code = 1
			break loop
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	sched.Stop()
	if err := e.WriteCheckpoint(context.Background()); err != nil {
		logger.Warn("writing the cache checkpoint failed; the next start reads the store whole", "err", err)
	}
	stop()
	logger.Info("stopped")
	return code
}

// peerClient forwards recordings to the replica that owns their account. It
// waits longer than the owner may take to store one (its store's busy
// time-out) and publish it, so that a slow owner's stored recording is not
// answered as lost.
func peerClient() *http.Client {
	return &http.Client{Timeout: web.ForwardTimeout(store.BusyTimeout + engine.RecordPublishWait)}
}

// wholePlan makes a sharded plan whole for the digests, or is nil where
// this replica is the whole plan. A shard that does not answer makes it an
// error naming the shards missing. The daemon asks with no Authorization of
// its own: replicas behind basic auth take credentials in --shard.peers's
// URLs (https://user:password@host).
func wholePlan(p *peers.Peers) func(context.Context, *snapshot.Snapshot) (*snapshot.Snapshot, error) {
	if p == nil {
		return nil
	}
	return func(ctx context.Context, part *snapshot.Snapshot) (*snapshot.Snapshot, error) {
		whole, missing := p.Whole(ctx, part, "")
		if len(missing) == 0 {
			return whole, nil
		}
		var errs []error
		for _, m := range missing {
			errs = append(errs, fmt.Errorf("shard %d (%d KPIs): %s", m.Shard, m.KPIs, m.Error))
		}
		return nil, errors.Join(errs...)
	}
}

// shardPeers asks the other replicas for their parts of the plan, or is nil
// where this replica is the whole plan (or does not know its peers).
func shardPeers(urls []string, c *commonFlags) *peers.Peers {
	if len(urls) < 2 {
		return nil
	}
	return &peers.Peers{URLs: urls, Self: c.shardIndex, Client: peers.NewClient(), Timeout: c.peerTimeout}
}
