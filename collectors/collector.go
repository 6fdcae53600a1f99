package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
)

// Collector reads the current counts of a channel's accounts.
type Collector interface {
	// Collect reads every account it can within ctx. It never fails as a
	// whole: what it could not read is in Result.Errors, and what it read is
	// in Result.Readings, so one bad account does not cost the others.
	Collect(ctx context.Context, accounts []string) Result
}

// Reading is one count read from an API.
type Reading struct {
	Account string
	Metric  string
	Value   float64
	// Time, where set, is the moment the value stands for when that is not
	// the moment of the call: the end of a rolling window whose data lags
	// (Search Console's lie two to three days behind). Zero means now.
	Time time.Time
}

// Item is one entry of a feed: the engine keeps a ledger of them, so that
// posts that scroll out of the feed still count.
type Item struct {
	Account   string
	ID        string    // the guid, else the link
	Published time.Time // zero when the feed gives no date
}

// Result is what one collection run returns.
type Result struct {
	Readings []Reading
	// Items, where present, are an account's feed items; the engine counts
	// the account's posts from its ledger of them.
	Items []Item
	// ItemAccounts lists the accounts whose feed was read, even if empty.
	ItemAccounts []string
	Errors       []*Error
	// Hidden are counts the API withholds (a hidden subscriber count, an
	// account that hides its follower lists): unknown, so no reading, but
	// said, so that a KPI on one is not a silent no_data.
	Hidden []Hidden
	// Spent is the quota the API says the run used, for types whose calls
	// cost what the API reports (TypeSpec.SpendsReported).
	Spent int
}

// Hidden is a count an API withholds, and why.
type Hidden struct {
	Account string
	Metric  string
	Why     string // "hidden by the account", or the API's own reason
}

// HiddenByAccount is the reason of a count the account's owner chose to hide.
const HiddenByAccount = "hidden by the account"

func (r *Result) hide(account, metric, why string) {
	r.Hidden = append(r.Hidden, Hidden{Account: account, Metric: metric, Why: why})
}

func (r *Result) add(account, metric string, v float64) {
	r.Readings = append(r.Readings, Reading{Account: account, Metric: metric, Value: v})
}

// addCount adds a count as an API wrote it (see countOf); an absent, null,
// negative or otherwise impossible count is a decode error for the account
// and metric, never a value.
func (r *Result) addCount(account, metric string, raw json.RawMessage) {
	n, ok, err := countOf(raw)
	if err == nil && !ok {
		err = errors.New("the count is absent or null, and the API does not say it is hidden")
	}
	if err != nil {
		e := Fail(Decode, fmt.Errorf("%s: %w", metric, err), account)
		e.Metric = metric
		r.Errors = append(r.Errors, e)
		return
	}
	r.add(account, metric, float64(n))
}

func (r *Result) fail(err error, accounts ...string) {
	r.Errors = append(r.Errors, Classify(err, accounts...))
}

// Env is what a collector is built with.
type Env struct {
	Channel *config.Channel
	// Client carries the shared plumbing: User-Agent and request counting.
	Client *http.Client
	Logger *slog.Logger
	// Now is the clock rolling windows end by (nil: time.Now).
	Now func() time.Time
	// Metrics, where not nil, lists the metrics the plan's KPIs read from
	// the channel: a type that reads some metrics with a call of their own
	// (Matomo's conversions, from Goals.get) makes that call only for a KPI
	// that needs it. Nil means every metric is wanted.
	Metrics []string
}

// wants reports whether a KPI reads one of metrics from the channel.
func (env Env) wants(metrics ...string) bool {
	if env.Metrics == nil {
		return true
	}
	for _, m := range metrics {
		if slices.Contains(env.Metrics, m) {
			return true
		}
	}
	return false
}

// now is the env's clock.
func (env Env) now() time.Time {
	if env.Now == nil {
		return time.Now()
	}
	return env.Now()
}

// New builds the collector of a channel, or returns nil for types that are
// not collected (manual).
//
// The collector of a type whose metrics are counts is guarded: a reading that
// is no count (negative, fractional, not finite) becomes a decode error for
// its account and metric, whatever the collector's own checks missed.
func New(env Env) (Collector, error) {
	t, ok := registry[env.Channel.Type]
	if !ok || t.New == nil {
		return nil, nil
	}
	if len(env.Channel.Credentials.Values()) > 0 && env.Client != nil {
		client := *env.Client
		client.CheckRedirect = sameHostRedirects
		env.Client = &client
	}
	c, err := t.New(env)
	if err != nil || t.UserMetrics {
		return c, err
	}
	return countsOnly{Collector: c, ratios: t.Ratios}, nil
}

// sameHostRedirects follows a redirect only to the host (and scheme) of the
// request it came from. Go's client drops only Authorization on a redirect
// to another host: an API key header that a transport sets on every hop,
// a custom header or a query credential would travel along. A channel with
// credentials therefore never follows a redirect off its configured host.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	from := via[0].URL
	if req.URL.Host != from.Host || (from.Scheme == "https" && req.URL.Scheme != "https") {
		return Fail(Server, fmt.Errorf("refused a redirect from %s to %s://%s: this channel's credentials are only ever sent to the configured host; set api_url to where the API lives now", from.Host, req.URL.Scheme, req.URL.Host))
	}
	return nil
}

// countsOnly lets through only readings that are counts, or, for ratio
// metrics, finite numbers of 0 or more.
type countsOnly struct {
	Collector
	ratios []string
}

// Collect runs the collector and turns every impossible count into a decode
// error.
func (g countsOnly) Collect(ctx context.Context, accounts []string) Result {
	res := g.Collector.Collect(ctx, accounts)
	kept := res.Readings[:0]
	for _, r := range res.Readings {
		ratio := slices.Contains(g.ratios, r.Metric)
		if IsCount(r.Value) || (ratio && r.Value >= 0 && !math.IsInf(r.Value, 0)) {
			kept = append(kept, r)
			continue
		}
		what := "a count (a non-negative whole number)"
		if ratio {
			what = "a finite number of 0 or more"
		}
		e := Fail(Decode, fmt.Errorf("the API gave %s as %v, which is not %s", r.Metric, r.Value, what), r.Account)
		e.Metric = r.Metric
		res.Errors = append(res.Errors, e)
	}
	res.Readings = kept
	return res
}

// MaxCount is the largest count a float64 holds exactly (2^53).
const MaxCount = 1 << 53

// IsCount reports whether v is a count: a whole number from 0 to MaxCount.
func IsCount(v float64) bool {
	return v >= 0 && v <= MaxCount && v == math.Trunc(v)
}
