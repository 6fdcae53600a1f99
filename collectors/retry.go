package collectors

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Retry policy: what may pass on its own (a 429, a 5xx, a time-out, a network
// failure) is tried again with capped exponential backoff and jitter,
// within the run's deadline; what will not (auth, not_found, payment,
// version, decode, quota) is returned at once.
var (
	RetryAttempts = 4
	RetryBase     = 500 * time.Millisecond
	RetryCap      = 10 * time.Second
	// RetryMaxWait is the longest a run waits for an API's announced reset;
	// a later reset ends the run, and the channel's limiter holds the next
	// runs until then.
	RetryMaxWait = 30 * time.Second
)

// Retry runs call until it succeeds, fails for good, or the attempts or the
// context's deadline run out. It returns the last error.
func Retry(ctx context.Context, call func() error) error {
	var err error
	for attempt := 0; attempt < RetryAttempts; attempt++ {
		if err = call(); err == nil {
			return nil
		}
		wait, ok := retryWait(ctx, err, attempt)
		if !ok {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
	return err
}

// retryWait says whether and how long to wait before trying err again.
func retryWait(ctx context.Context, err error, attempt int) (time.Duration, bool) {
	if ctx.Err() != nil || attempt+1 >= RetryAttempts {
		return 0, false
	}
	var e *Error
	if !errors.As(err, &e) {
		e = Classify(err)
	}
	if _, throttled := isThrottled(err); throttled {
		return 0, false // the limiter refused it: the reset is not near
	}
	var se *StatusError
	hasStatus := errors.As(err, &se)
	switch {
	case e.Reason == RateLimited:
	case e.Reason == Timeout:
	case e.Reason == Network:
	case e.Reason == Server && (!hasStatus || se.Code >= 500):
	default:
		return 0, false
	}
	wait := RetryBase << attempt
	if wait > RetryCap {
		wait = RetryCap
	}
	wait = wait/2 + rand.N(wait/2+1) //nolint:gosec // jitter, not a secret
	if e.RetryAt.After(time.Now()) {
		wait = time.Until(e.RetryAt)
		if wait > RetryMaxWait {
			return 0, false
		}
	}
	if dl, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(dl) {
		return 0, false
	}
	return wait, true
}
