package collectors

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func TestResetTime(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	tests := []struct {
		name   string
		code   int
		header http.Header
		want   time.Time
	}{
		{"Retry-After in seconds", 429, h("Retry-After", "120"), now.Add(2 * time.Minute)},
		{"Retry-After as a date", 503, h("Retry-After", "Mon, 02 Mar 2026 10:05:00 GMT"), now.Add(5 * time.Minute)},
		{"X: x-rate-limit-reset in epoch seconds on a 429", 429, h("x-rate-limit-remaining", "0", "x-rate-limit-reset", strconv.FormatInt(now.Add(15*time.Minute).Unix(), 10)), now.Add(15 * time.Minute)},
		{"X: a reset while requests remain is no reason to wait", 200, h("x-rate-limit-remaining", "299", "x-rate-limit-reset", strconv.FormatInt(now.Add(15*time.Minute).Unix(), 10)), time.Time{}},
		{"X: the last request of the window, on a 200", 200, h("x-rate-limit-remaining", "0", "x-rate-limit-reset", strconv.FormatInt(now.Add(time.Minute).Unix(), 10)), now.Add(time.Minute)},
		{"Mastodon: X-RateLimit-Reset as ISO 8601", 429, h("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "2026-03-02T10:05:00.123456Z"), time.Date(2026, 3, 2, 10, 5, 0, 123456000, time.UTC)},
		{"Bluesky: RateLimit-Reset in epoch seconds", 429, h("RateLimit-Remaining", "0", "RateLimit-Reset", strconv.FormatInt(now.Add(5*time.Minute).Unix(), 10)), now.Add(5 * time.Minute)},
		{"RateLimit-Reset as seconds from now (IETF draft)", 429, h("RateLimit-Reset", "30"), now.Add(30 * time.Second)},
		{"Graph: X-App-Usage at 100%", 200, h("X-App-Usage", `{"call_count":100,"total_cputime":15,"total_time":12}`), now.Add(DefaultUsageBackoff)},
		{"Graph: X-App-Usage under 100%", 200, h("X-App-Usage", `{"call_count":16,"total_cputime":15,"total_time":12}`), time.Time{}},
		{"Graph: BUC with an estimate in minutes", 400, h("X-Business-Use-Case-Usage", `{"112130216863063":[{"type":"pages","call_count":100,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":5}]}`), now.Add(5 * time.Minute)},
		{"nothing to say", 200, h(), time.Time{}},
		{"garbage", 429, h("x-rate-limit-reset", "soon", "Retry-After", "later"), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ResetTime(tt.code, tt.header, now); !got.Equal(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// A flaky server is retried; an answer that will not change is not.
func TestRetry(t *testing.T) {
	tests := []struct {
		name      string
		answers   []int // status codes in turn; the last repeats
		wantCalls int
		wantErr   Reason
	}{
		{"two 503s, then 200", []int{503, 503, 200}, 3, ""},
		{"a 429 without a reset, then 200", []int{429, 200}, 2, ""},
		{"a 500 every time: four tries", []int{500}, 4, Server},
		{"401 is not retried", []int{401, 200}, 1, Auth},
		{"402 is not retried", []int{402, 200}, 1, Payment},
		{"404 is not retried", []int{404, 200}, 1, NotFound},
		{"426 is not retried", []int{426, 200}, 1, Version},
		{"400 is not retried", []int{400, 200}, 1, Server},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			f := newFake(t, func(w http.ResponseWriter, _ *http.Request) {
				n := int(calls.Add(1)) - 1
				code := tt.answers[min(n, len(tt.answers)-1)]
				w.WriteHeader(code)
				fmt.Fprint(w, `{}`)
			})
			_, err := Get(context.Background(), NewHTTPClient(time.Second, nil, NewLimiter()), f.URL, nil, nil)
			if int(calls.Load()) != tt.wantCalls {
				t.Errorf("%d calls, want %d", calls.Load(), tt.wantCalls)
			}
			var e *Error
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.wantErr != "" && (!errors.As(err, &e) || e.Reason != tt.wantErr):
				t.Errorf("error %v, want reason %s", err, tt.wantErr)
			}
		})
	}
}

// A host that said "wait an hour" is not called again before then; another
// host, as another channel's, is not slowed.
func TestLimiterHoldsTheHost(t *testing.T) {
	var calls atomic.Int32
	limited := newFake(t, func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	other := newFake(t, func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{}`) })
	client := NewHTTPClient(time.Second, nil, NewLimiter())
	for i := range 3 {
		_, err := Get(context.Background(), client, limited.URL, nil, nil)
		var e *Error
		if !errors.As(err, &e) || e.Reason != RateLimited || e.RetryAt.Before(time.Now().Add(59*time.Minute)) {
			t.Fatalf("call %d: %v, want rate limited for an hour", i, err)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("the limited host was called %d times, want once", calls.Load())
	}
	if _, err := Get(context.Background(), client, other.URL, nil, nil); err != nil {
		t.Errorf("another host was held too: %v", err)
	}
}

// A retry never outlives the run.
func TestRetryStopsAtTheDeadline(t *testing.T) {
	var calls atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "20")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := Get(ctx, NewHTTPClient(time.Second, nil, nil), f.URL, nil, nil)
	if err == nil || calls.Load() != 1 {
		t.Errorf("got %v after %d calls; want one call and the 503, not a 20s wait past the deadline", err, calls.Load())
	}
}
