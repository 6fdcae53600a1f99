package engine

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/store"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// Engine runs collections, keeps the in-memory view of the store and
// publishes snapshots.
type Engine struct {
	store  *store.Store
	types  config.Types
	logger *slog.Logger
	now    func() time.Time

	cfg atomic.Pointer[config.Config]

	// mu guards cache, health, collectors and reload; it is never held
	// across a network call or a read or write of the store or checkpoint:
	// a scrape, a publish or a recording never waits for the disk.
	mu sync.Mutex
	// tailMu serializes what changes the cache's contents: catching up with
	// the store (read without mu, applied with it), swapping in a cache built
	// for a new plan, pruning. It is held across the store's reads, so the
	// checkpoint is written under it alone: the cache does not change then.
	// Lock order: tailMu before mu.
	tailMu     sync.Mutex
	cache      *cache
	health     map[string]*health
	collectors map[string]builtCollector
	// limiters outlive collectors: a reload must not forget that an API
	// asked us to wait.
	limiters map[string]*collectors.Limiter
	// tokens keeps the access tokens channels mint, for the collectors
	// built after a reload or a restart.
	tokens collectors.TokenKeeper
	reload snapshot.ReloadState
	// order is where publishing finds the KPIs' and the accounts' series,
	// kept between publishes (see seriesOrder).
	order seriesOrder
	// kpis is what the snapshots of one config say of its KPIs, shared by
	// them (see snapshot.KPIState.KPI); kpisOf is that config.
	kpis   []snapshot.KPI
	kpisOf *config.Config

	// runLocks keeps a channel's runs from overlapping, across reloads too.
	runLocks sync.Map // channel name -> *sync.Mutex

	// afterReloadRead, in tests, runs when a reload has read the store for
	// its new cache and before it swaps it in.
	afterReloadRead func()

	damagedSeen int                        // how many of the store's damaged days were logged; under mu
	hiddenSeen  map[store.HiddenKey]string // the hidden counts logged; under mu

	// refreshing is the refresh that recordings stored so far wait for:
	// queued, not started yet, so that it will read them (see refreshSoon).
	refreshMu  sync.Mutex
	refreshing *refreshCall
	// refreshOne lets one queued refresh run at a time.
	refreshOne sync.Mutex
	// lastRefresh is how long the last of those refreshes took (a
	// time.Duration): a recording does not wait for one that cannot end
	// within recordWait (RecordPublishWait; a field for tests).
	lastRefresh atomic.Int64
	recordWait  time.Duration

	snapshot  atomic.Pointer[snapshot.Snapshot]
	published chan struct{} // signaled, without blocking, on every publish
	ready     atomic.Bool
}

// Published is signaled (at most one pending signal) whenever a new snapshot
// is published, so that readers such as the metrics cache re-render at once.
func (e *Engine) Published() <-chan struct{} { return e.published }

type builtCollector struct {
	channel   *config.Channel
	collector collectors.Collector
	calls     *atomic.Int64 // calls made, for the quota
	// client is the collector's HTTP client: a replaced one's idle
	// connections are closed.
	client *http.Client
}

// health is what the engine knows of a channel's runs.
type health struct {
	ran         bool
	success     bool
	lastSuccess time.Time
	lastError   string
	duration    time.Duration
	errors      map[vocab.Reason]float64
	requests    map[string]float64
	quotaDay    string
	quotaUsed   int
	// credential is what the channel's API last said of its credential's
	// end (nil: not asked yet); credentialAsked is when it was last asked,
	// with or without an answer; credentialFailures counts the failed asks.
	credential         *snapshot.Credential
	credentialAsked    time.Time
	credentialFailures float64
}

// New builds an engine over an open store with a loaded config.
func New(st *store.Store, cfg *config.Config, types config.Types, logger *slog.Logger) *Engine {
	e := &Engine{
		store:      st,
		types:      types,
		logger:     logger,
		now:        time.Now,
		cache:      newCache(newKeepRules(cfg)),
		health:     map[string]*health{},
		collectors: map[string]builtCollector{},
		limiters:   map[string]*collectors.Limiter{},
		tokens:     storeTokens{st},
		reload:     snapshot.ReloadState{Success: true, LastSuccess: time.Now()},
		published:  make(chan struct{}, 1),
		recordWait: RecordPublishWait,
	}
	e.cfg.Store(cfg)
	return e
}

// SetClock replaces the clock, for tests and `collector report --at`.
func (e *Engine) SetClock(now func() time.Time) { e.now = now }

// Config is the config in force.
func (e *Engine) Config() *config.Config { return e.cfg.Load() }

// Snapshot is the latest published snapshot; nil before Load.
func (e *Engine) Snapshot() *snapshot.Snapshot { return e.snapshot.Load() }

// Ready reports whether the stored readings are loaded and a snapshot exists.
func (e *Engine) Ready() bool { return e.ready.Load() }

// Load reads the store into memory and publishes the first snapshot, so that
// the last good values are served before any API answers.
func (e *Engine) Load(ctx context.Context) error {
	runs, err := e.store.ChannelRuns(ctx)
	if err != nil {
		return err
	}
	checks, err := e.store.CredentialChecks(ctx)
	if err != nil {
		return err
	}
	e.mu.Lock()
	for name, c := range checks {
		// What was asked before a restart stands until a day has passed.
		h := e.healthOf(name)
		h.credential = CredentialOf(c)
		h.credentialAsked = c.Checked
	}
	for name, r := range runs {
		h := e.healthOf(name)
		h.ran = !r.LastRun.IsZero()
		h.success = !r.LastSuccess.IsZero() && !r.LastSuccess.Before(r.LastRun)
		h.lastSuccess = r.LastSuccess
		h.lastError = r.LastError
	}
	rules := e.cache.rules
	e.mu.Unlock()
	if c := e.readCheckpoint(ctx, rules); c != nil {
		e.tailMu.Lock()
		e.mu.Lock()
		e.cache = c
		e.mu.Unlock()
		e.tailMu.Unlock()
	}
	if err := e.Refresh(ctx); err != nil {
		return err
	}
	e.ready.Store(true)
	return nil
}

// checkpointPath is the checkpoint beside the store's file.
func (e *Engine) checkpointPath() string {
	return filepath.Join(filepath.Dir(e.store.Path()), CheckpointFile)
}

// readCheckpoint returns a cache started from the checkpoint when it is this
// store's and not ahead of it; otherwise nil, and the store is read whole.
func (e *Engine) readCheckpoint(ctx context.Context, rules *keepRules) *cache {
	id, err := e.store.ID(ctx)
	if err != nil {
		return nil
	}
	c := newCache(rules)
	if err := c.readCheckpoint(e.checkpointPath(), id, e.now()); err != nil {
		switch {
		case errors.Is(err, os.ErrNotExist):
		case errors.Is(err, errThinned): // expected after a plan change: said, not warned
			e.logger.Info("reading the store whole", "reason", err)
		default:
			e.logger.Warn("ignoring the cache checkpoint; reading the store whole", "err", err)
		}
		return nil
	}
	if maxID, err := e.store.MaxSeq(ctx); err != nil || maxID < c.lastID {
		e.logger.Warn("ignoring a cache checkpoint that is ahead of the store; reading the store whole")
		return nil
	}
	return c
}

// WriteCheckpoint saves the in-memory cache so that the next start is quick.
func (e *Engine) WriteCheckpoint(ctx context.Context) error {
	id, err := e.store.ID(ctx)
	if err != nil {
		return err
	}
	// Under tailMu alone: nothing changes the cache's contents meanwhile,
	// and scrapes and publishes (under mu) go on.
	e.tailMu.Lock()
	defer e.tailMu.Unlock()
	return e.cache.writeCheckpoint(e.checkpointPath(), id, e.now())
}

// Refresh tails the store (readings written by the daemon or by `collector
// record`) and publishes a new snapshot evaluated now.
func (e *Engine) Refresh(ctx context.Context) error {
	return e.catchUp(ctx)
}

// catchUp reads what the store holds beyond the cache without holding mu,
// applies it under mu and publishes. A cache not seen yet by anyone (the
// first one, before Load ends) may be read whole this way too: readDelta
// from sequence 0 reads every chunk.
func (e *Engine) catchUp(ctx context.Context) error {
	e.tailMu.Lock()
	defer e.tailMu.Unlock()
	e.mu.Lock()
	after, afterItem := e.cache.lastID, e.cache.lastItemID
	whole := after == 0 && afterItem == 0
	e.mu.Unlock()
	if whole {
		// Read series by series, thinning as it goes, into a cache of its
		// own: a whole store never sits in memory unthinned.
		e.mu.Lock()
		c := newCache(e.cache.rules)
		e.mu.Unlock()
		if err := c.tail(ctx, e.store, e.now()); err != nil {
			return err
		}
		order := c.ordered(e.cfg.Load())
		e.mu.Lock()
		e.cache, e.order = c, order
		e.publishLocked(ctx)
		e.mu.Unlock()
		return nil
	}
	d, err := readDelta(ctx, e.store, after, afterItem)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.cache.apply(d, e.now())
	e.publishLocked(ctx)
	e.mu.Unlock()
	return nil
}

// healthOf returns the channel's health record, creating it. Caller holds mu.
func (e *Engine) healthOf(name string) *health {
	h, ok := e.health[name]
	if !ok {
		h = &health{errors: map[vocab.Reason]float64{}, requests: map[string]float64{}}
		for _, r := range vocab.Reasons {
			h.errors[r] = 0
		}
		e.health[name] = h
	}
	return h
}

// ApplyConfig swaps in a new, already validated config. Collectors are
// rebuilt for channels whose config changed; stored readings stay. A config
// whose plan needs other readings than the cache kept (new KPIs, other
// milestones or dates) gets the cache read from the store again.
func (e *Engine) ApplyConfig(ctx context.Context, cfg *config.Config) {
	e.cfg.Store(cfg)
	e.mu.Lock()
	for name, b := range e.collectors {
		if ch, ok := cfg.Channels[name]; !ok || !sameChannel(ch, b.channel) {
			delete(e.collectors, name)
			b.client.CloseIdleConnections()
		}
	}
	e.reload = snapshot.ReloadState{Success: true, LastSuccess: e.now()}
	oldFingerprint := e.cache.rules.fingerprint
	rules := newKeepRules(cfg)
	if rules.fingerprint == oldFingerprint {
		e.publishLocked(ctx)
		e.mu.Unlock()
		return
	}
	e.mu.Unlock()
	// The new cache is read outside every lock: runs, recordings and
	// scrapes go on meanwhile; then it is swapped in, catches up with what
	// was stored since it read, and is published once.
	c := newCache(rules)
	err := c.tail(ctx, e.store, e.now())
	var order seriesOrder
	if err == nil {
		order = c.ordered(cfg)
	}
	if e.afterReloadRead != nil {
		e.afterReloadRead()
	}
	e.tailMu.Lock()
	e.mu.Lock()
	if err != nil {
		// The old cache stays: the new plan's evaluation may lack
		// readings of the past until the next restart.
		e.logger.Error("reading the store for the new plan failed; older readings it needs are missing until a restart", "err", err)
		e.cache.rules = rules
	} else {
		e.cache, e.order = c, order
	}
	e.mu.Unlock()
	e.tailMu.Unlock()
	if err := e.catchUp(ctx); err != nil {
		e.logger.Error("reading back the store failed", "err", err)
		e.mu.Lock()
		e.publishLocked(ctx)
		e.mu.Unlock()
	}
}

// ReloadFailed records a refused reload: the old config keeps running.
func (e *Engine) ReloadFailed(ctx context.Context, err error) {
	e.mu.Lock()
	e.reload.Success = false
	e.reload.Error = err.Error()
	e.publishHealthLocked(ctx)
	e.mu.Unlock()
}

// sameChannel compares every key, secrets included (DeepEqual sees a
// Secret's value; only printing hides it).
func sameChannel(a, b *config.Channel) bool { return reflect.DeepEqual(*a, *b) }

// Prune applies the retention to the store and to the series in memory, then
// republishes. Scrapes are not held up: they read the published snapshot.
func (e *Engine) Prune(ctx context.Context, retention time.Duration) (int64, error) {
	n, err := e.store.Prune(ctx, e.now(), retention)
	if err != nil {
		return n, err
	}
	e.tailMu.Lock()
	e.mu.Lock()
	e.cache.prune(e.now(), retention)
	e.cache.thinAll(e.now())
	e.publishLocked(ctx)
	e.mu.Unlock()
	e.tailMu.Unlock()
	return n, nil
}
