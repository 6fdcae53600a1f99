package collectors

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limiter remembers, per API host, until when the API asked us to wait, from
// the headers every API uses to say so. While a host is blocked, requests to
// it fail at once with RateLimited instead of hammering it; other hosts (and
// so other channels) are not slowed.
type Limiter struct {
	mu    sync.Mutex
	until map[string]time.Time
	now   func() time.Time
}

// NewLimiter makes an empty limiter.
func NewLimiter() *Limiter { return &Limiter{until: map[string]time.Time{}, now: time.Now} }

// Until is when requests to host may resume (zero: now).
func (l *Limiter) Until(host string) time.Time {
	if l == nil {
		return time.Time{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.until[host]
}

// Observe reads an answer's rate-limit headers and blocks the host until the
// reset they name, when the answer is a 429 or says the budget is spent.
func (l *Limiter) Observe(host string, code int, h http.Header) {
	if l == nil {
		return
	}
	now := l.now()
	until := ResetTime(code, h, now)
	if until.IsZero() || !until.After(now) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if until.After(l.until[host]) {
		l.until[host] = until
	}
}

// throttledError is a request refused before it was sent, because its host
// asked us to wait.
type throttledError struct{ until time.Time }

func (e *throttledError) Error() string {
	return fmt.Sprintf("the API asked to wait until %s; not calling it before then", e.until.UTC().Format(time.RFC3339))
}

// DefaultUsageBackoff is how long a Graph app waits once X-App-Usage reaches
// 100% without an estimate: Meta's platform limits are an hourly window.
const DefaultUsageBackoff = time.Hour

// ResetTime reads when the API's limit resets from its headers, or returns
// zero when the answer does not ask to wait:
//
//   - Retry-After: seconds or an HTTP date (any API);
//   - x-rate-limit-reset: epoch seconds, when x-rate-limit-remaining is 0 or on a 429 (X);
//   - X-RateLimit-Reset: an ISO 8601 time, else epoch seconds, under the same conditions (Mastodon);
//   - RateLimit-Reset: epoch seconds, or seconds from now when small (Bluesky, IETF draft);
//   - X-App-Usage, X-Page-Usage, X-Business-Use-Case-Usage: percentages; at 100 wait
//     estimated_time_to_regain_access minutes, else DefaultUsageBackoff (Graph).
func ResetTime(code int, h http.Header, now time.Time) time.Time {
	if ra := h.Get("Retry-After"); ra != "" {
		if s, err := strconv.Atoi(strings.TrimSpace(ra)); err == nil {
			return now.Add(time.Duration(s) * time.Second)
		}
		if t, err := http.ParseTime(ra); err == nil {
			return t
		}
	}
	exhausted := code == http.StatusTooManyRequests
	for _, k := range []string{"X-Rate-Limit-Remaining", "X-RateLimit-Remaining", "RateLimit-Remaining"} {
		if h.Get(k) == "0" {
			exhausted = true
		}
	}
	if exhausted {
		for _, k := range []string{"X-Rate-Limit-Reset", "X-RateLimit-Reset", "RateLimit-Reset"} {
			if t := parseReset(h.Get(k), now); !t.IsZero() {
				return t
			}
		}
	}
	if t := graphUsageReset(h, now); !t.IsZero() {
		return t
	}
	return time.Time{}
}

func parseReset(v string, now time.Time) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return time.Time{}
	}
	if f < 1e9 { // seconds from now (the IETF RateLimit draft)
		return now.Add(time.Duration(f * float64(time.Second)))
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9))
}

// graphUsageReset reads Meta's usage headers: JSON percentages of the limit.
func graphUsageReset(h http.Header, now time.Time) time.Time {
	var until time.Time
	for _, k := range []string{"X-App-Usage", "X-Page-Usage", "X-Ad-Account-Usage"} {
		var u map[string]float64
		if v := h.Get(k); v != "" && json.Unmarshal([]byte(v), &u) == nil {
			for _, pct := range u {
				if pct >= 100 {
					until = later(until, now.Add(DefaultUsageBackoff))
				}
			}
		}
	}
	if v := h.Get("X-Business-Use-Case-Usage"); v != "" {
		var buc map[string][]map[string]any
		if json.Unmarshal([]byte(v), &buc) == nil {
			for _, entries := range buc {
				for _, e := range entries {
					full := false
					for _, k := range []string{"call_count", "total_cputime", "total_time"} {
						if f, ok := e[k].(float64); ok && f >= 100 {
							full = true
						}
					}
					if m, ok := e["estimated_time_to_regain_access"].(float64); ok && m > 0 {
						until = later(until, now.Add(time.Duration(m)*time.Minute))
					} else if full {
						until = later(until, now.Add(DefaultUsageBackoff))
					}
				}
			}
		}
	}
	return until
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// isThrottled reports whether err is a request the limiter refused.
func isThrottled(err error) (time.Time, bool) {
	var te *throttledError
	if errors.As(err, &te) {
		return te.until, true
	}
	return time.Time{}, false
}
