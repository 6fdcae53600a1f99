package digest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/version"

	"github.com/kpi-collector/kpi-collector/config"
)

// webhook is what every webhook sender shares: where it posts (a secret:
// the URL alone lets anyone post) and how.
type webhook struct {
	index  int
	kind   string
	url    config.Secret
	client *http.Client
}

func (h webhook) String() string { return fmt.Sprintf("%s webhook %d", h.kind, h.index) }

// newClient is the webhooks' HTTP client: it follows no redirect, so that a
// digest never goes to a host the config does not name.
func newClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// maxAnswer bounds how much of an answer is read: the services answer "ok",
// nothing, or a short JSON error.
const maxAnswer = 64 << 10

// post sends a JSON body and classifies the answer: success where ok says
// so of the status; 429 and 5xx are retried (after Retry-After, or
// Discord's retry_after, where given), every other answer is final. Errors
// never carry the URL.
func (h webhook) post(ctx context.Context, payload any, ok func(status int) bool) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return permanent(fmt.Errorf("encoding the payload: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url.Reveal(), bytes.NewReader(body))
	if err != nil {
		return permanent(errors.New("the webhook URL is not valid"))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kpi-collector/"+version.Version)
	resp, err := h.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the URL, a secret
		}
		return transient(fmt.Errorf("posting failed: %w", err), 0)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if ok(resp.StatusCode) {
		return nil
	}
	err = fmt.Errorf("answered %s: %s", resp.Status, oneLineAnswer(answer))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return transient(err, retryAfter(resp.Header, answer, time.Now()))
	case resp.StatusCode >= 500:
		return transient(err, retryAfter(resp.Header, answer, time.Now()))
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return permanent(fmt.Errorf("%w (a redirect, not followed: check the URL)", err))
	default:
		return permanent(err)
	}
}

// retryAfter is the wait an answer asks for: Retry-After in seconds or as
// a date, else a JSON body's retry_after in (fractional) seconds, as
// Discord sends; 0 for none.
func retryAfter(h http.Header, body []byte, now time.Time) time.Duration {
	if ra := strings.TrimSpace(h.Get("Retry-After")); ra != "" {
		if s, err := strconv.ParseFloat(ra, 64); err == nil && s >= 0 {
			return time.Duration(s * float64(time.Second))
		}
		if t, err := http.ParseTime(ra); err == nil && t.After(now) {
			return t.Sub(now)
		}
	}
	var d struct {
		RetryAfter *float64 `json:"retry_after"`
	}
	if json.Unmarshal(body, &d) == nil && d.RetryAfter != nil && *d.RetryAfter >= 0 {
		return time.Duration(*d.RetryAfter * float64(time.Second))
	}
	return 0
}

// oneLineAnswer is the start of an answer, on one line, for an error.
func oneLineAnswer(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "(no body)"
	}
	return s
}

// status is an ok function that takes the given statuses.
func status(codes ...int) func(int) bool {
	return func(s int) bool {
		for _, c := range codes {
			if s == c {
				return true
			}
		}
		return false
	}
}
