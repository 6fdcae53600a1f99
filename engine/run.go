package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/redact"
	"github.com/kpi-collector/kpi-collector/store"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// RunReport is what one run of a channel did.
type RunReport struct {
	Channel  string
	Skipped  bool // a run of the same channel was still going
	Readings []collectors.Reading
	Errors   []*collectors.Error
	Duration time.Duration
	// SaveError is set when the readings could not be committed: then none
	// of them is shown.
	SaveError error
}

// OK reports whether the run read every account and stored what it read.
func (r RunReport) OK() bool { return !r.Skipped && len(r.Errors) == 0 && r.SaveError == nil }

// RunChannel collects one channel once: read, commit, then show. It never
// overlaps another run of the same channel, is bounded by the channel's
// timeout and survives a panicking collector.
func (e *Engine) RunChannel(ctx context.Context, name string) RunReport {
	return e.runChannel(ctx, name, true)
}

// runChannel is RunChannel; the scheduler, which has no use for the
// readings in the report, asks for a report without them, so that a run's
// readings are not held in two forms while they are stored and published
// (21 MB more at the peak of a run of 300,000).
func (e *Engine) runChannel(ctx context.Context, name string, keepReadings bool) RunReport {
	rep := RunReport{Channel: name}
	lock, _ := e.runLocks.LoadOrStore(name, &sync.Mutex{})
	if !lock.(*sync.Mutex).TryLock() {
		rep.Skipped = true
		e.logger.Warn("skipping a run: the previous one is still going", "channel", name)
		return rep
	}
	unlock := sync.OnceFunc(lock.(*sync.Mutex).Unlock)
	defer unlock()

	cfg := e.cfg.Load()
	ch, ok := cfg.Channels[name]
	if !ok {
		rep.Skipped = true
		return rep
	}
	spec := e.types[ch.Type]
	if spec.NotScheduled {
		rep.Skipped = true
		return rep
	}
	built, err := e.collectorFor(cfg, ch)
	if err != nil {
		rep.Errors = []*collectors.Error{collectors.Fail(vocab.Server, err)}
		return e.finish(ctx, ch, spec, rep, collectors.Result{}, time.Now(), 0)
	}
	// A reload during the run replaced this client: the connections it
	// gives back when the run ends are closed then, not kept idle.
	defer e.closeIfReplaced(name, built)

	started := time.Now()
	callsBefore := built.calls.Load()
	if err := e.checkQuota(ctx, ch, spec, e.now()); err != nil {
		rep.Errors = []*collectors.Error{err}
		return e.finish(ctx, ch, spec, rep, collectors.Result{}, started, 0)
	}
	runCtx, cancel := context.WithTimeout(ctx, ch.Timeout)
	res := safeCollect(runCtx, built.collector, ch.AllAccounts())
	cancel()
	rep.Duration = time.Since(started)
	if keepReadings {
		rep.Readings = res.Readings
	}
	rep.Errors = res.Errors
	units := int(built.calls.Load() - callsBefore)
	if spec.SpendsReported {
		units = res.Spent // what the API says the run cost (GA4's tokens)
	}
	rep = e.finish(ctx, ch, spec, rep, res, started, units)
	// Stored and shown, the run's readings no longer wait for anything; the
	// channel's next run does not wait for the check either.
	unlock()
	e.checkCredential(ctx, ch, built)
	return rep
}

// safeCollect turns a collector's panic into a server error for the run.
func safeCollect(ctx context.Context, c collectors.Collector, accounts []string) (res collectors.Result) {
	defer func() {
		if p := recover(); p != nil {
			res = collectors.Result{Errors: []*collectors.Error{
				collectors.Fail(vocab.Server, fmt.Errorf("collector panicked: %v\n%s", p, debug.Stack())),
			}}
		}
	}()
	return c.Collect(ctx, accounts)
}

// finish commits the run, then updates health and publishes. A run whose
// commit fails shows nothing it read.
func (e *Engine) finish(ctx context.Context, ch *config.Channel, spec config.TypeSpec, rep RunReport, res collectors.Result, started time.Time, calls int) RunReport {
	// APIs echo what they were sent: every error text is redacted here,
	// once, before it is stored, logged, shown or returned; the tokens a
	// collector minted are masked as the config's secrets are.
	redactor := redact.New(e.secrets()...)
	rep.Errors = redactErrors(redactor, rep.Errors)
	now := e.now()
	run := store.Run{
		Channel: ch.Name, Time: now, Success: len(rep.Errors) == 0,
		ItemAccounts: res.ItemAccounts,
		QuotaDay:     quotaDay(spec, now), QuotaUnits: calls,
	}
	run.Values = make([]store.Value, 0, len(res.Readings))
	for _, r := range res.Readings {
		if r.Time.IsZero() {
			run.Values = append(run.Values, store.Value{Account: r.Account, Metric: r.Metric, Value: r.Value})
		} else {
			run.Readings = append(run.Readings, store.Reading{Account: r.Account, Metric: r.Metric, Value: r.Value, Time: r.Time})
		}
	}
	readings := len(run.Values) + len(run.Readings)
	res.Readings = nil // the report's, if it keeps them, stay
	for _, it := range res.Items {
		run.Items = append(run.Items, store.Item{Account: it.Account, ItemID: it.ID, Published: it.Published})
	}
	for _, h := range res.Hidden {
		run.Hidden = append(run.Hidden, store.Hidden{Account: h.Account, Metric: h.Metric, Why: h.Why})
	}
	if !run.Success {
		run.Error = summarize(rep.Errors)
	}
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	if err := e.store.SaveRun(saveCtx, run); err != nil {
		rep.SaveError = errors.New(redactor.String(err.Error()))
	}
	cancel()
	// Stored, the readings are read back from the store; this copy (14 MB
	// in a run of 300,000) need not stay alive through the publish.
	run.Values, run.Readings, run.Items = nil, nil, nil

	e.mu.Lock()
	h := e.healthOf(ch.Name)
	h.ran = true
	h.duration = time.Since(started)
	for _, err := range rep.Errors {
		h.errors[err.Reason]++
	}
	switch {
	case rep.SaveError != nil:
		h.success = false
		h.errors[vocab.Storage]++
		h.lastError = "store: " + rep.SaveError.Error()
	case run.Success:
		h.success, h.lastSuccess, h.lastError = true, now, ""
	default:
		h.success, h.lastError = false, run.Error
	}
	if rep.SaveError == nil && calls > 0 {
		if h.quotaDay != run.QuotaDay {
			h.quotaDay, h.quotaUsed = run.QuotaDay, 0
		}
		h.quotaUsed += calls
	}
	e.mu.Unlock()
	// What the run stored is read back, outside mu, and published; if the
	// store cannot be read, the run's health is published all the same.
	tailErr := e.catchUp(context.WithoutCancel(ctx))
	if tailErr != nil {
		e.mu.Lock()
		e.publishLocked(ctx)
		e.mu.Unlock()
	}

	log := e.logger.With("channel", ch.Name, "duration", rep.Duration.Round(time.Millisecond), "readings", readings)
	switch {
	case rep.SaveError != nil:
		log.Error("collection read values but could not store them; none is shown", "err", rep.SaveError)
	case len(rep.Errors) > 0:
		log.Warn("collection failed in part or whole", "errors", len(rep.Errors), "first", rep.Errors[0].Error())
	default:
		log.Debug("collection done")
	}
	if tailErr != nil {
		e.logger.Error("reading back the store failed", "err", tailErr)
	}
	return rep
}

// redactErrors returns errs with their texts redacted; the reasons, accounts
// and metrics stay.
func redactErrors(r *redact.Redactor, errs []*collectors.Error) []*collectors.Error {
	out := make([]*collectors.Error, len(errs))
	for i, e := range errs {
		c := *e
		if e.Err != nil {
			c.Err = errors.New(r.String(e.Err.Error()))
		}
		out[i] = &c
	}
	return out
}

func summarize(errs []*collectors.Error) string {
	msgs := make([]string, 0, 3)
	for i, e := range errs {
		if i == 3 {
			msgs = append(msgs, fmt.Sprintf("and %d more", len(errs)-3))
			break
		}
		msgs = append(msgs, e.Error())
	}
	return strings.Join(msgs, "; ")
}

// collectorFor returns the channel's collector, building it (and its HTTP
// client, which counts requests into the channel's health) on first use.
// The collector is told which metrics cfg's KPIs read from the channel, so
// that it makes no call only other metrics need; a reload builds it anew.
func (e *Engine) collectorFor(cfg *config.Config, ch *config.Channel) (builtCollector, error) {
	e.mu.Lock()
	b, ok := e.collectors[ch.Name]
	e.mu.Unlock()
	if ok && b.channel == ch {
		return b, nil
	}
	metrics := []string{}
	for _, k := range cfg.KPIs {
		if k.Channel == ch.Name && !slices.Contains(metrics, k.Metric) {
			metrics = append(metrics, k.Metric)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if b, ok := e.collectors[ch.Name]; ok && b.channel == ch {
		return b, nil
	} else if ok {
		b.client.CloseIdleConnections()
	}
	name := ch.Name
	calls := &atomic.Int64{}
	limiter, ok := e.limiters[name]
	if !ok {
		limiter = collectors.NewLimiter()
		e.limiters[name] = limiter
	}
	client := collectors.NewHTTPClient(ch.Timeout, func(code string) {
		calls.Add(1)
		e.mu.Lock()
		e.healthOf(name).requests[code]++
		e.mu.Unlock()
	}, limiter)
	c, err := collectors.New(collectors.Env{Channel: ch, Client: client, Logger: e.logger.With("channel", name), Now: func() time.Time { return e.now() }, Metrics: metrics, Tokens: e.tokens})
	if err != nil {
		return builtCollector{}, err
	}
	if c == nil {
		return builtCollector{}, errors.New("channel type " + ch.Type + " has no collector")
	}
	b = builtCollector{channel: ch, collector: c, calls: calls, client: client}
	e.collectors[name] = b
	return b, nil
}

// closeIfReplaced closes the idle connections of a collector's client that
// is no longer the channel's.
func (e *Engine) closeIfReplaced(name string, b builtCollector) {
	e.mu.Lock()
	current := e.collectors[name]
	e.mu.Unlock()
	if current.client != b.client {
		b.client.CloseIdleConnections()
	}
}

// quotaLimit is a channel's daily budget: its quota key, else its type's.
func quotaLimit(ch *config.Channel, spec config.TypeSpec) int {
	if ch.Quota > 0 {
		return ch.Quota
	}
	if spec.QuotaPerAccount {
		return spec.DefaultQuota * len(ch.AllAccounts())
	}
	return spec.DefaultQuota
}

// quotaDay is the budget day t falls on, in the type's quota zone.
func quotaDay(spec config.TypeSpec, t time.Time) string {
	if spec.QuotaZone == "" {
		return t.UTC().Format(time.DateOnly)
	}
	loc, err := time.LoadLocation(spec.QuotaZone)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format(time.DateOnly)
}

// checkQuota refuses a run that would spend more than the day's budget left.
// Units spent are read from the store, so a restart does not reset them.
func (e *Engine) checkQuota(ctx context.Context, ch *config.Channel, spec config.TypeSpec, now time.Time) *collectors.Error {
	limit := quotaLimit(ch, spec)
	if limit == 0 {
		return nil
	}
	day := quotaDay(spec, now)
	used, err := e.store.QuotaUsed(ctx, ch.Name, day)
	if err != nil {
		return collectors.Fail(vocab.Server, err)
	}
	e.mu.Lock()
	h := e.healthOf(ch.Name)
	h.quotaDay, h.quotaUsed = day, used
	e.mu.Unlock()
	batch := spec.Batch
	if batch <= 0 {
		batch = 1
	}
	cost := (len(ch.AllAccounts()) + batch - 1) / batch * max(spec.UnitsPerCall, 1)
	if ch.Engagement {
		cost += len(ch.AllAccounts()) * spec.EngagementUnitsPerAccount
	}
	if used+cost > limit {
		return collectors.Fail(vocab.Quota, fmt.Errorf("this run needs %d units and %d of the day's %d are left; the budget renews at midnight %s", cost, limit-used, limit, spec.QuotaZone))
	}
	return nil
}

// RunAll runs every scheduled channel once, concurrently, and returns the
// reports sorted by channel.
func (e *Engine) RunAll(ctx context.Context) []RunReport {
	cfg := e.cfg.Load()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		reps []RunReport
	)
	for name, ch := range cfg.Channels {
		if e.types[ch.Type].NotScheduled {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.RunChannel(ctx, name)
			mu.Lock()
			reps = append(reps, r)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(reps, func(i, j int) bool { return reps[i].Channel < reps[j].Channel })
	return reps
}
