package engine

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/store"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// earliestRecording is the earliest moment a recording may be about: any
// earlier time is a mistake (a zero time, a lost century), not history.
var earliestRecording = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func badInput(format string, args ...any) error {
	return &vocab.InputError{Msg: fmt.Sprintf(format, args...)}
}

// TokenKnown reports whether token is some manual channel's token, in the
// whole config (with sharding, any replica's). It compares with every
// channel's token in constant time, so that neither the answer's time nor
// its text tells which channel, if any, came close.
func (e *Engine) TokenKnown(token string) bool {
	cfg := e.cfg.Load()
	if cfg.Whole != nil {
		cfg = cfg.Whole
	}
	ok := false
	for _, ch := range cfg.Channels {
		if e.types[ch.Type].Manual && tokenMatches(token, ch.Credentials.Get("token").Reveal()) {
			ok = true
		}
	}
	return ok
}

// RecordingShard says where a recording of channel's account goes, for a
// request carrying token: -1 for this replica, or the shard that owns the
// account. It refuses what this replica cannot take with an *vocab.InputError, and
// another channel's token with vocab.ErrWrongToken.
func (e *Engine) RecordingShard(token, channel, account string) (int, error) {
	cfg := e.cfg.Load()
	if owner, _, ok := cfg.Owner(channel, account); ok && cfg.ShardCount > 1 && owner != cfg.ShardIndex {
		if wc := cfg.Whole.Channels[channel]; e.types[wc.Type].Manual {
			if !tokenMatches(token, wc.Credentials.Get("token").Reveal()) {
				return -1, vocab.ErrWrongToken
			}
			return owner, nil
		}
	}
	m := vocab.ManualReading{Channel: channel, Account: account}
	if err := e.checkChannel(cfg, &m); err != nil {
		return -1, err
	}
	if !tokenMatches(token, cfg.Channels[channel].Credentials.Get("token").Reveal()) {
		return -1, vocab.ErrWrongToken
	}
	return -1, nil
}

// tokenMatches compares in constant time. A channel without a token takes no
// recordings over HTTP.
func tokenMatches(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// checkChannel vets a recording's channel: in the config, and manual.
func (e *Engine) checkChannel(cfg *config.Config, m *vocab.ManualReading) error {
	ch, ok := cfg.Channels[m.Channel]
	switch {
	case m.Channel == "":
		return badInput("channel is missing")
	case !ok:
		return badInput("channel %s is not in the config", vocab.Quote(m.Channel))
	case !e.types[ch.Type].Manual:
		return badInput("channel %q is a %s channel; only manual channels take recorded values", m.Channel, ch.Type)
	}
	return nil
}

// CheckManual vets a manual reading against the config and fills in the
// account of a one-account channel.
func (e *Engine) CheckManual(m *vocab.ManualReading, now time.Time) error {
	return e.checkManual(e.cfg.Load(), m, now)
}

func (e *Engine) checkManual(cfg *config.Config, m *vocab.ManualReading, now time.Time) error {
	if err := e.checkChannel(cfg, m); err != nil {
		return err
	}
	ch := cfg.Channels[m.Channel]
	if m.Account == "" && len(ch.Accounts) == 1 {
		m.Account = ch.Accounts[0]
	}
	if !slices.Contains(ch.Accounts, m.Account) {
		return badInput("account %s is not among channel %q's %d accounts (%s)", vocab.Quote(m.Account), m.Channel, len(ch.Accounts), vocab.FewOf(ch.Accounts))
	}
	if metrics := MetricsMeasured(cfg, m.Channel); !slices.Contains(metrics, m.Metric) {
		return badInput("metric %s is not measured by any KPI on channel %q (%s)", vocab.Quote(m.Metric), m.Channel, strings.Join(metrics, ", "))
	}
	if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) || m.Value < 0 {
		return badInput("the number must be finite and not negative")
	}
	if m.Value > store.MaxValue {
		return badInput("the number must be at most 9007199254740992 (2^53): beyond it a count is no longer kept exactly")
	}
	switch {
	case !m.Backdated:
		m.Time = now
	case m.Time.After(now.Add(time.Minute)):
		return badInput("time %s is in the future", m.Time.Format(time.RFC3339))
	case m.Time.Before(earliestRecording):
		return badInput("time %s is out of range: a recording must be about a moment since %s", m.Time.Format(time.RFC3339), earliestRecording.Format("2006-01-02"))
	}
	return nil
}

// MetricsMeasured lists the metrics the KPIs measure on a channel.
func MetricsMeasured(cfg *config.Config, channel string) []string {
	var out []string
	for _, k := range cfg.KPIs {
		if k.Channel == channel && !slices.Contains(out, k.Metric) {
			out = append(out, k.Metric)
		}
	}
	sort.Strings(out)
	return out
}

// Record vets and stores a manual reading, then has it published, waiting
// for that at most RecordPublishWait. It returns the reading stored (with
// add, the raised value).
func (e *Engine) Record(ctx context.Context, m vocab.ManualReading) (vocab.ManualReading, error) {
	if err := e.checkManual(e.cfg.Load(), &m, e.now()); err != nil {
		return m, err
	}
	stored, err := e.store.Save(ctx, store.Recording{
		Channel: m.Channel, Account: m.Account, Metric: m.Metric,
		Time: m.Time, Backdated: m.Backdated, Value: m.Value, Add: m.Add,
	})
	if errors.Is(err, store.ErrBeyondMaxValue) {
		return m, badInput("%v", err)
	}
	if err != nil {
		return m, err
	}
	m.Value, m.Time, m.Add = stored.Value, stored.Time, false
	// The recording is stored: it counts from now on, whatever follows. It
	// shows once the engine has read it back and published, which is
	// waited for up to RecordPublishWait; past that (a publish of 100,000
	// KPIs, or one behind a reload) it finishes in the background, so that
	// the size of the plan never holds a recording up. Where the last such
	// refresh took longer than the wait (a plan of 100,000 KPIs takes about
	// 110 ms), waiting would only add the whole wait to every recording.
	call := e.refreshSoon()
	if time.Duration(e.lastRefresh.Load()) > e.recordWait {
		return m, nil
	}
	t := time.NewTimer(e.recordWait)
	defer t.Stop()
	// A refresh that fails does not undo the recording: refreshSoon logs
	// it, and the next refresh shows the value. Answered as an error, the
	// recording would be sent again and counted twice.
	select {
	case <-call.done:
	case <-t.C:
	}
	return m, nil
}

// RecordPublishWait is how long a recording waits for the snapshot that
// shows it before it is acknowledged all the same (it is stored already).
const RecordPublishWait = 50 * time.Millisecond

// refreshCall is one refresh that recordings wait for (a failure is logged:
// the recording is stored, and shows with the next refresh).
type refreshCall struct {
	done chan struct{}
}

// refreshSoon returns a refresh that will read everything stored so far:
// the one queued and not started yet, if any (recordings that come
// together share it), else a new one. One runs at a time.
func (e *Engine) refreshSoon() *refreshCall {
	e.refreshMu.Lock()
	defer e.refreshMu.Unlock()
	if e.refreshing != nil {
		return e.refreshing
	}
	call := &refreshCall{done: make(chan struct{})}
	e.refreshing = call
	go func() {
		e.refreshOne.Lock()
		defer e.refreshOne.Unlock()
		e.refreshMu.Lock()
		e.refreshing = nil // from here on a recording needs the next refresh
		e.refreshMu.Unlock()
		started := time.Now()
		err := e.Refresh(context.Background())
		e.lastRefresh.Store(int64(time.Since(started)))
		if err != nil {
			e.logger.Warn("a recording is stored but could not be read back yet; it shows with the next refresh", "err", err)
		}
		close(call.done)
	}()
	return call
}
