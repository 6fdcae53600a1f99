package peers

import (
	"cmp"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kpi-collector/kpi-collector/report"
	"github.com/kpi-collector/kpi-collector/snapshot"
)

// Defaults of Peers' settings.
const (
	// DefaultTimeout is how long a peer has to answer (--shard.peer-timeout).
	DefaultTimeout = time.Second
	// DefaultTTL is how long the peers' parts are reused: a page behind a
	// Service is refreshed by many, and must not ask every replica each time.
	DefaultTTL = 5 * time.Second
)

// Peers asks the other replicas of a sharded deployment for their parts of
// the plan. Its zero value is not usable: give URLs and Self. It is safe for
// concurrent use.
type Peers struct {
	// URLs are every replica's base URL, in shard order (--shard.peers).
	URLs []string
	// Self is this replica's shard, whose URL is not asked.
	Self int
	// Client makes the requests; it must not follow redirects (NewClient):
	// the request carries the caller's credentials, which go to the
	// configured peers only.
	Client *http.Client
	// Timeout is how long a peer has to answer (DefaultTimeout if zero).
	Timeout time.Duration
	// TTL is how long parts are reused (DefaultTTL if zero; negative: never).
	TTL time.Duration
	// Now is the clock (time.Now if nil).
	Now func() time.Time

	mu       sync.Mutex
	parts    []part // the last parts fetched, one per peer
	fetched  time.Time
	inflight chan struct{} // closed when the fetch under way ends
}

// NewClient is a client for peers: it follows no redirect, so that a peer's
// answer pointing elsewhere is an error rather than the caller's credentials
// sent to another host.
func NewClient() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// part is one peer's answer in the states form, or why it is missing.
type part struct {
	shard int
	kpis  []snapshot.KPIState
	chans []snapshot.ChannelState
	err   error
}

func (p *Peers) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Peers) timeout() time.Duration { return cmp.Or(p.Timeout, DefaultTimeout) }

// Whole is the whole plan: local's KPIs and channels merged with the peers'
// parts in the plan's order, and the shards missing from it (nil when none
// is). auth is the caller's Authorization header, passed on so that peers
// behind the same web config's auth answer.
func (p *Peers) Whole(ctx context.Context, local *snapshot.Snapshot, auth string) (*snapshot.Snapshot, []report.Missing) {
	parts := p.cachedParts(ctx, auth)
	merged := *local
	merged.KPIs = slices.Clone(local.KPIs)
	channels := [][]snapshot.ChannelState{local.Channels}
	var missing []report.Missing
	for _, pt := range parts {
		if pt.err != nil {
			missing = append(missing, p.missing(local, pt.shard, 0, pt.err))
			continue
		}
		merged.KPIs = append(merged.KPIs, pt.kpis...)
		channels = append(channels, pt.chans)
	}
	slices.SortStableFunc(merged.KPIs, func(a, b snapshot.KPIState) int { return cmp.Compare(a.Position, b.Position) })
	merged.Channels = mergeChannels(channels)
	return &merged, missing
}

// missing names a shard that is missing got of its KPIs, and why.
func (p *Peers) missing(local *snapshot.Snapshot, shard, got int, err error) report.Missing {
	m := report.Missing{Shard: shard, Error: err.Error()}
	if shard < len(local.Plan.ShardKPIs) {
		m.KPIs = max(0, local.Plan.ShardKPIs[shard]-got)
	}
	return m
}

// cachedParts returns the peers' parts, fetched at most once per TTL; callers
// that come while a fetch is under way wait for it rather than start another.
func (p *Peers) cachedParts(ctx context.Context, auth string) []part {
	ttl := cmp.Or(p.TTL, DefaultTTL)
	for {
		p.mu.Lock()
		if p.parts != nil && ttl > 0 && p.now().Sub(p.fetched) < ttl {
			parts := p.parts
			p.mu.Unlock()
			return parts
		}
		if wait := p.inflight; wait != nil {
			p.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return p.failedAll(ctx.Err())
			}
		}
		done := make(chan struct{})
		p.inflight = done
		p.mu.Unlock()

		parts := p.fetchAll(ctx, auth)

		p.mu.Lock()
		p.parts, p.fetched, p.inflight = parts, p.now(), nil
		p.mu.Unlock()
		close(done)
		return parts
	}
}

// failedAll is every peer missing for one reason.
func (p *Peers) failedAll(err error) []part {
	var parts []part
	for shard := range p.URLs {
		if shard != p.Self {
			parts = append(parts, part{shard: shard, err: err})
		}
	}
	return parts
}

// fetchAll asks every peer for its part at once.
func (p *Peers) fetchAll(ctx context.Context, auth string) []part {
	parts := p.failedAll(nil)
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() {
			parts[i].kpis, parts[i].chans, parts[i].err = p.fetchStates(ctx, parts[i].shard, auth)
		})
	}
	wg.Wait()
	return parts
}

// fetchStates reads a peer's part in the states form: the peer has the
// deadline to begin, then may pause up to idleFactor times it between reads
// (a large part takes longer than the deadline to send).
func (p *Peers) fetchStates(parent context.Context, shard int, auth string) ([]snapshot.KPIState, []snapshot.ChannelState, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	quiet := time.AfterFunc(p.timeout(), cancel)
	defer quiet.Stop()
	body, err := p.open(ctx, shard, FormStates, auth)
	if err != nil {
		return nil, nil, err
	}
	defer body.Close()
	dec := gob.NewDecoder(&watchdog{r: body, quiet: quiet, idle: idleFactor * p.timeout()})
	var h header
	if err := dec.Decode(&h); err != nil {
		return nil, nil, p.readError(ctx, err)
	}
	if h.Shard != shard {
		return nil, nil, fmt.Errorf("it answered as shard %d: the replicas' --shard.peers disagree", h.Shard)
	}
	kpis := make([]snapshot.KPIState, 0, min(h.KPIs, 1<<16))
	for range h.KPIs {
		k, err := decodeState(dec)
		if err != nil {
			return nil, nil, p.readError(ctx, err)
		}
		kpis = append(kpis, k)
	}
	return kpis, h.Channels, nil
}

// readError says why a part could not be read: the deadline, or a torn or
// ill-formed answer.
func (p *Peers) readError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("it did not answer within %s", p.timeout())
	}
	return fmt.Errorf("its answer could not be read: %w", err)
}

// open asks a peer for its part in a form and returns the answer's body once
// it is known to be one.
func (p *Peers) open(ctx context.Context, shard int, form, auth string) (io.ReadCloser, error) {
	base, err := url.Parse(strings.TrimSuffix(p.URLs[shard], "/") + PartPath)
	if err != nil {
		return nil, errors.New("its URL in --shard.peers is not a URL")
	}
	base.RawQuery = url.Values{"form": {form}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.String(), nil)
	if err != nil {
		return nil, errors.New("its URL in --shard.peers is not a URL")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	client := p.Client
	if client == nil {
		client = NewClient()
	}
	resp, err := client.Do(req) //nolint:gosec // the peers are the operator's --shard.peers
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("it did not answer within %s", p.timeout())
		}
		return nil, errors.New("it could not be reached")
	}
	want := StatesType
	if form == FormRows {
		want = rowsType
	}
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK || mediaType != want {
		_ = resp.Body.Close()
		return nil, fmt.Errorf("it answered %s (%s), not its part of the plan", resp.Status, cmp.Or(mediaType, "no content type"))
	}
	return resp.Body, nil
}

// mergeChannels is each channel's health over the shards that read it: it
// succeeded only where every shard's last run did, its last success is the
// stalest shard's, and its errors and requests add up.
func mergeChannels(parts [][]snapshot.ChannelState) []snapshot.ChannelState {
	byName := map[string]*snapshot.ChannelState{}
	var names []string
	for _, chans := range parts {
		for _, c := range chans {
			m, ok := byName[c.Name]
			if !ok {
				cp := c
				cp.Errors, cp.Requests = cloneMap(c.Errors), cloneMap(c.Requests)
				byName[c.Name] = &cp
				names = append(names, c.Name)
				continue
			}
			mergeChannel(m, c)
		}
	}
	slices.Sort(names)
	out := make([]snapshot.ChannelState, 0, len(names))
	for _, n := range names {
		out = append(out, *byName[n])
	}
	return out
}

func mergeChannel(m *snapshot.ChannelState, c snapshot.ChannelState) {
	switch {
	case !c.Ran:
	case !m.Ran:
		m.Ran, m.Success, m.LastSuccess, m.LastError = true, c.Success, c.LastSuccess, c.LastError
	default:
		m.Success = m.Success && c.Success
		if m.LastSuccess.IsZero() || (!c.LastSuccess.IsZero() && c.LastSuccess.Before(m.LastSuccess)) {
			m.LastSuccess = c.LastSuccess
		}
		m.LastError = cmp.Or(m.LastError, c.LastError)
	}
	m.Duration = max(m.Duration, c.Duration)
	m.HasQuota = m.HasQuota || c.HasQuota
	m.QuotaUsed += c.QuotaUsed
	m.QuotaLimit = max(m.QuotaLimit, c.QuotaLimit)
	m.Errors = addMap(m.Errors, c.Errors)
	m.Requests = addMap(m.Requests, c.Requests)
}

func cloneMap[K comparable](m map[K]float64) map[K]float64 {
	if m == nil {
		return nil
	}
	out := make(map[K]float64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func addMap[K comparable](into, from map[K]float64) map[K]float64 {
	if len(from) > 0 && into == nil {
		into = map[K]float64{}
	}
	for k, v := range from {
		into[k] += v
	}
	return into
}

// watchdog puts off its timer at each read that brings something: a peer is
// given up on once it goes quiet, not while it is sending.
type watchdog struct {
	r     io.Reader
	quiet *time.Timer
	idle  time.Duration
}

func (w *watchdog) Read(b []byte) (int, error) {
	n, err := w.r.Read(b)
	if n > 0 {
		w.quiet.Reset(w.idle)
	}
	return n, err
}
