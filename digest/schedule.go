package digest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/redact"
	"github.com/kpi-collector/kpi-collector/snapshot"
)

// Records keeps, per digest, the moment of the last one (so that a restart
// neither skips nor repeats one), how many in a row failed, and what the
// last one delivered said (State, for "what changed since"). The daemon
// gives its store; at is zero where a digest has no record yet.
type Records interface {
	DigestRecord(ctx context.Context, name string) (at time.Time, failures int, state []byte, err error)
	SaveDigestRecord(ctx context.Context, name string, at time.Time, failures int, state []byte) error
}

// Options are how digests are made and sent.
type Options struct {
	// ExternalURL is where users reach the daemon (--web.external-url):
	// the digests link to its pages. Empty: no links.
	ExternalURL string
	// Charts draws the e-mail's charts; nil: none.
	Charts PNGChart
	Logger *slog.Logger
	// Metrics counts what is sent; nil: nothing is counted.
	Metrics *Metrics
	// Retry is how a destination is tried again (DefaultRetry where zero).
	Retry Retry
	// Now and Sleep are the clock and the wait between tries (tests give
	// their own).
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
	// TLS, where set, is the SMTP connection's TLS config (its RootCAs);
	// HTTPClient the webhooks' client (one that follows no redirect by
	// default).
	TLS        *tls.Config
	HTTPClient *http.Client
	// Whole, where set (a sharded plan), makes the whole plan of this
	// replica's part, asking the other shards. While one does not answer
	// no digest goes out: the send counts as failed.
	Whole func(ctx context.Context, part *snapshot.Snapshot) (*snapshot.Snapshot, error)
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) client() *http.Client {
	if o.HTTPClient != nil {
		return o.HTTPClient
	}
	return newClient()
}

// Metrics are the digests' counters.
type Metrics struct {
	sent     *prometheus.CounterVec
	failures *prometheus.GaugeVec
}

// The results kpi_digest_sent_total counts.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// NewMetrics registers kpi_digest_sent_total and
// kpi_digest_failures_in_a_row with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kpi_digest_sent_total",
			Help: "Digests sent, by result: success when every destination took it (after retries), else failure.",
		}, []string{"digest", "result"}),
		failures: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kpi_digest_failures_in_a_row",
			Help: "How many of the digest's latest sends failed in a row (0 after a success); kept in the store across restarts.",
		}, []string{"digest"}),
	}
	reg.MustRegister(m.sent, m.failures)
	return m
}

// Result is one digest sent: its moment and what each destination did.
type Result struct {
	Digest string
	Moment time.Time
	// Errors are the destinations that failed, after their retries.
	Errors []error
}

// OK reports whether every destination took the digest.
func (r Result) OK() bool { return len(r.Errors) == 0 }

// Runner sends each digest of the config when its schedule comes.
type Runner struct {
	opts     Options
	records  Records
	snapshot func() *snapshot.Snapshot
	// started is where a digest without a record counts its schedule
	// from: the first one comes at its first moment after the start.
	started time.Time

	mu   sync.Mutex
	cfg  *config.Config
	wake chan struct{}
	// sendMu keeps two sends of one digest (the schedule and a reload's
	// tick) from overlapping.
	sendMu sync.Mutex
}

// NewRunner makes a runner of cfg's digests over the snapshots snap gives.
func NewRunner(cfg *config.Config, snap func() *snapshot.Snapshot, records Records, opts Options) *Runner {
	if opts.Retry.Attempts == 0 {
		opts.Retry = DefaultRetry
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepCtx
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Runner{opts: opts, records: records, snapshot: snap, started: opts.now(), wake: make(chan struct{}, 1)}
	r.SetConfig(cfg)
	return r
}

// SetConfig takes a reloaded config's digests.
func (r *Runner) SetConfig(cfg *config.Config) {
	r.mu.Lock()
	old := r.cfg
	r.cfg = cfg
	r.mu.Unlock()
	if m := r.opts.Metrics; m != nil {
		// A digest the new config no longer has leaves the exposition.
		if old != nil {
			for name := range old.Digests {
				if cfg.Digests[name] == nil {
					m.sent.DeletePartialMatch(prometheus.Labels{"digest": name})
					m.failures.DeleteLabelValues(name)
				}
			}
		}
		for name := range cfg.Digests {
			m.sent.WithLabelValues(name, ResultSuccess)
			m.sent.WithLabelValues(name, ResultFailure)
			if _, failures, _, err := r.records.DigestRecord(context.Background(), name); err == nil {
				m.failures.WithLabelValues(name).Set(float64(failures))
			}
		}
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *Runner) config() *config.Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg
}

// Run sends each digest as its schedule comes, until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	for {
		next := r.Tick(ctx)
		wait := time.Hour // a manual send or a clock change is seen within the hour
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(r.opts.now()), time.Second))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Tick sends every digest whose moment has come (the latest one, where a
// stop let several pass: one digest covers them) and returns when the next
// one comes (zero for none).
func (r *Runner) Tick(ctx context.Context) (next time.Time) {
	cfg := r.config()
	now := r.opts.now()
	for _, name := range slices.Sorted(maps.Keys(cfg.Digests)) {
		d := cfg.Digests[name]
		moment, upcoming, err := r.due(ctx, cfg, d, now)
		if err != nil {
			r.opts.Logger.Error("cannot read the digest's record; it is not sent", "digest", name, "err", err)
			continue
		}
		if !moment.IsZero() {
			if _, err := r.Send(ctx, name, moment); err != nil && !errors.Is(err, context.Canceled) {
				r.opts.Logger.Error("the digest was not sent", "digest", name, "err", err)
			}
		}
		if !upcoming.IsZero() && (next.IsZero() || upcoming.Before(next)) {
			next = upcoming
		}
	}
	return next
}

// due is the moment a digest is due at now (zero when none is) and its next
// moment after that.
func (r *Runner) due(ctx context.Context, cfg *config.Config, d *config.Digest, now time.Time) (moment, next time.Time, err error) {
	sched, err := cron.ParseStandard(d.Schedule)
	if err != nil {
		return time.Time{}, time.Time{}, err // not reached: the config was validated
	}
	last, _, _, err := r.records.DigestRecord(ctx, d.Name)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	base := last
	if base.IsZero() {
		base = r.started
	}
	loc := cfg.Plan.Location
	m := sched.Next(base.In(loc))
	if m.IsZero() || m.After(now) {
		return time.Time{}, m, nil
	}
	for n := sched.Next(m); !n.IsZero() && !n.After(now); n = sched.Next(n) {
		m = n
	}
	return m, sched.Next(m), nil
}

// Send sends the named digest for the given moment (a schedule's, or now
// for `collector digest`) to every destination, and records it.
func (r *Runner) Send(ctx context.Context, name string, moment time.Time) (Result, error) {
	r.sendMu.Lock()
	defer r.sendMu.Unlock()
	cfg := r.config()
	d := cfg.Digests[name]
	if d == nil {
		return Result{}, fmt.Errorf("no digest %q in the config", name)
	}
	res := Result{Digest: name, Moment: moment}
	c, prev, err := r.content(ctx, cfg, d, moment)
	var partial *partialPlan
	switch {
	case errors.As(err, &partial):
		// A part of the plan is no digest of it: none goes out, and the
		// send counts as failed, as a destination's failure does (the next
		// digest tells what changed since the last one that went out).
		res.Errors = []error{err}
		return r.settle(ctx, res, prev, nil)
	case err != nil:
		return Result{}, err
	}
	var charts []Chart
	if d.SMTP != nil { // only the mail carries charts: webhooks link the pages
		var errs []error
		charts, errs = c.Charts(r.opts.Charts)
		for _, err := range errs {
			r.opts.Logger.Warn("a chart was left out of the digest", "digest", name, "err", err)
		}
	}
	red := redact.New(cfg.Secrets()...)
	for _, s := range senders(d, r.opts) {
		if err := deliver(ctx, s, c, charts, r.opts.Retry, r.opts.Sleep, r.opts.Logger, red); err != nil {
			res.Errors = append(res.Errors, err)
		}
	}
	if ctx.Err() != nil {
		return res, ctx.Err() // stopped: neither counted nor recorded, so sent again at the start
	}
	return r.settle(ctx, res, prev, c)
}

// settle counts and records a send: the state of c, which every
// destination took, or, where one failed, one more failure in a row and the
// state the last digest that reached them all said.
func (r *Runner) settle(ctx context.Context, res Result, prev previous, c *Content) (Result, error) {
	name, moment := res.Digest, res.Moment
	failures, state := 0, []byte(nil)
	var err error
	if res.OK() {
		state, err = c.State()
		if err != nil {
			return res, err
		}
	} else {
		// What changed is told since the last digest every destination
		// took: the record keeps what that one said.
		failures, state = prev.failures+1, prev.state
	}
	if m := r.opts.Metrics; m != nil {
		result := ResultSuccess
		if !res.OK() {
			result = ResultFailure
		}
		m.sent.WithLabelValues(name, result).Inc()
		m.failures.WithLabelValues(name).Set(float64(failures))
	}
	if err := r.records.SaveDigestRecord(ctx, name, moment, failures, state); err != nil {
		return res, fmt.Errorf("recording the digest: %w", err)
	}
	if res.OK() {
		r.opts.Logger.Info("digest sent", "digest", name, "moment", moment)
		return res, nil
	}
	return res, errors.Join(res.Errors...)
}

// previous is a digest's record.
type previous struct {
	failures int
	state    []byte
}

// Preview is the named digest as it would be sent now, without sending or
// recording it (`collector digest --dry-run`).
func (r *Runner) Preview(ctx context.Context, name string) (*Content, error) {
	cfg := r.config()
	d := cfg.Digests[name]
	if d == nil {
		return nil, fmt.Errorf("no digest %q in the config", name)
	}
	c, _, err := r.content(ctx, cfg, d, r.opts.now())
	return c, err
}

// partialPlan is a plan some of whose shards did not answer (Options.Whole).
type partialPlan struct{ err error }

func (p *partialPlan) Error() string { return "the whole plan could not be read: " + p.err.Error() }
func (p *partialPlan) Unwrap() error { return p.err }

// content builds the digest at moment from the snapshot (the whole plan's,
// where sharded) and its record.
func (r *Runner) content(ctx context.Context, cfg *config.Config, d *config.Digest, moment time.Time) (*Content, previous, error) {
	snap := r.snapshot()
	if snap == nil {
		return nil, previous{}, errors.New("no snapshot yet")
	}
	_, failures, state, err := r.records.DigestRecord(ctx, d.Name)
	if err != nil {
		return nil, previous{}, err
	}
	if r.opts.Whole != nil {
		if snap, err = r.opts.Whole(ctx, snap); err != nil {
			return nil, previous{failures, state}, &partialPlan{err}
		}
	}
	then, err := ParseThen(state)
	if err != nil {
		r.opts.Logger.Warn("the last digest's record cannot be read; this one compares with nothing", "digest", d.Name, "err", err)
		then = nil
	}
	sched, err := cron.ParseStandard(d.Schedule)
	if err != nil {
		return nil, previous{}, err
	}
	loc := cfg.Plan.Location
	next := sched.Next(moment.In(loc))
	// The first digest covers one interval of its schedule back.
	since := moment.Add(-next.Sub(moment))
	if n2 := sched.Next(next); !n2.IsZero() {
		since = moment.Add(-n2.Sub(next))
	}
	return Build(d.Name, snap, then, since, next, r.opts.ExternalURL), previous{failures, state}, nil
}
