package collectors

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
	"sync"
	"time"

	"github.com/prometheus/common/version"

	"github.com/kpi-collector/kpi-collector/internal/redact"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// MaxBodySize bounds every API answer read into memory.
const MaxBodySize = 16 << 20

// UserAgent names the project and its version in every request.
func UserAgent() string {
	return "kpi-collector/" + version.Version + " (+https://github.com/kpi-collector/kpi-collector)"
}

// RequestCounter is told the status code of every call made (or "error" when
// no answer came): it feeds kpi_api_requests_total.
type RequestCounter func(code string)

// NewHTTPClient is the one HTTP client every collector uses: it sets the
// User-Agent, counts each call and bounds each request by timeout (the run's
// context bounds the whole run).
//
// limiter, when not nil, holds requests to a host that asked us to wait (see
// Limiter); it is per channel, so one channel's limits never slow another.
func NewHTTPClient(timeout time.Duration, count RequestCounter, limiter *Limiter) *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 16
	return &http.Client{
		Timeout:   timeout,
		Transport: &countingTransport{base: base, count: count, limiter: limiter},
	}
}

type countingTransport struct {
	base    http.RoundTripper
	count   RequestCounter
	limiter *Limiter
}

// CloseIdleConnections closes the idle connections of the transport below,
// so that http.Client.CloseIdleConnections reaches them.
func (t *countingTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// RoundTrip refuses a request to a host that asked us to wait, sets the
// User-Agent, counts the call and reads the answer's rate-limit headers.
func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if until := t.limiter.Until(req.URL.Host); !until.IsZero() && time.Now().Before(until) {
		return nil, &throttledError{until: until}
	}
	// Ours first; a client library's own name (google-api-go-client) may follow.
	if ua := req.Header.Get("User-Agent"); !strings.HasPrefix(ua, "kpi-collector/") {
		req = req.Clone(req.Context())
		if ua == "" || strings.HasPrefix(ua, "Gofeed/") || strings.HasPrefix(ua, "Go-http-client/") {
			req.Header.Set("User-Agent", UserAgent())
		} else {
			req.Header.Set("User-Agent", UserAgent()+" "+ua)
		}
	}
	resp, err := t.base.RoundTrip(req)
	if t.count != nil {
		if err != nil {
			t.count("error")
		} else {
			t.count(strconv.Itoa(resp.StatusCode))
		}
	}
	if err == nil {
		t.limiter.Observe(req.URL.Host, resp.StatusCode, resp.Header)
	}
	return resp, err
}

// Do sends a request through the client and scrubs any URL in its error.
func Do(client *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := client.Do(req) //nolint:gosec // G704: the URLs are the channel APIs the config names, by design
	if err != nil {
		return nil, ScrubError(err)
	}
	return resp, nil
}

// GetJSON fetches url and decodes a 2xx answer into into. A non-2xx answer is
// an *Error whose reason classify picks (ReasonForStatus when nil), wrapping
// the *StatusError.
func GetJSON(ctx context.Context, client *http.Client, rawURL string, header http.Header, into any, classify func(*StatusError) Reason) error {
	body, err := Get(ctx, client, rawURL, header, classify)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, into); err != nil {
		return Fail(Decode, fmt.Errorf("decoding the answer of %s: %w", ScrubURL(rawURL), err))
	}
	return nil
}

// Get fetches url and returns a 2xx answer's body, retrying what may pass
// (see Retry).
func Get(ctx context.Context, client *http.Client, rawURL string, header http.Header, classify func(*StatusError) Reason) ([]byte, error) {
	body, _, err := GetWithType(ctx, client, rawURL, header, classify)
	return body, err
}

// GetWithType is Get that also returns the answer's Content-Type, for bodies
// whose charset only the header gives.
func GetWithType(ctx context.Context, client *http.Client, rawURL string, header http.Header, classify func(*StatusError) Reason) ([]byte, string, error) {
	var body []byte
	var contentType string
	err := Retry(ctx, func() error {
		var err error
		body, contentType, err = sendOnce(ctx, client, http.MethodGet, rawURL, header, nil, classify)
		return err
	})
	return body, contentType, err
}

// Post sends payload to url (its Content-Type in header) and returns a 2xx
// answer's body, retrying what may pass (see Retry). Secrets go in the
// payload or the header, never in url.
func Post(ctx context.Context, client *http.Client, rawURL string, header http.Header, payload []byte, classify func(*StatusError) Reason) ([]byte, error) {
	var body []byte
	err := Retry(ctx, func() error {
		var err error
		body, _, err = sendOnce(ctx, client, http.MethodPost, rawURL, header, payload, classify)
		return err
	})
	return body, err
}

func sendOnce(ctx context.Context, client *http.Client, method, rawURL string, header http.Header, payload []byte, classify func(*StatusError) Reason) ([]byte, string, error) {
	var reqBody io.Reader
	if payload != nil {
		reqBody = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, reqBody)
	if err != nil {
		return nil, "", Fail(Server, fmt.Errorf("building the request: %w", ScrubError(err)))
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := Do(client, req)
	if err != nil {
		return nil, "", Classify(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodySize))
	if err != nil {
		return nil, "", Classify(ScrubError(err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		se := &StatusError{Code: resp.StatusCode, Header: resp.Header, Body: body}
		reason := ReasonForStatus(se.Code)
		if classify != nil {
			reason = classify(se)
		}
		e := Fail(reason, se)
		e.RetryAt = ResetTime(se.Code, resp.Header, time.Now())
		return nil, "", e
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// Batches splits items into runs of at most size: the APIs' batch limits.
func Batches(items []string, size int) [][]string {
	var out [][]string
	for len(items) > size {
		out = append(out, items[:size:size])
		items = items[size:]
	}
	if len(items) > 0 {
		out = append(out, items)
	}
	return out
}

// ScrubURL hides the values of query parameters that may carry a credential,
// and any user info, so that the URL can be printed (see redact.URL).
func ScrubURL(raw string) string { return redact.URL(raw) }

// ScrubError rewrites the URL in a *url.Error, which prints it whole.
func ScrubError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: ScrubURL(ue.URL), Err: ue.Err}
	}
	return err
}

// joinURL appends path to the base URL, keeping the base's own path.
func joinURL(base, path string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base + path
	}
	return u.JoinPath(path).String()
}

// EachBatch splits accounts into batches of size and reads them with up to
// concurrency calls in flight (at least one), merging what each batch read
// and failed. Per-account APIs use a size of 1.
func EachBatch(ctx context.Context, accounts []string, size, concurrency int, read func(ctx context.Context, batch []string) Result) Result {
	batches := Batches(accounts, max(size, 1))
	results := make([]Result, len(batches))
	sem := make(chan struct{}, max(concurrency, 1))
	var wg sync.WaitGroup
	for i, batch := range batches {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			results[i].fail(ctx.Err(), batch...)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = read(ctx, batch)
		}()
	}
	wg.Wait()
	// Merged into lists of their whole size at once: growing them by
	// doubling left as much again behind (a run of 300,000 readings).
	var out Result
	var readings int
	for _, r := range results {
		readings += len(r.Readings)
	}
	if readings > 0 {
		out.Readings = make([]Reading, 0, readings)
	}
	for _, r := range results {
		out.Readings = append(out.Readings, r.Readings...)
		out.Items = append(out.Items, r.Items...)
		out.ItemAccounts = append(out.ItemAccounts, r.ItemAccounts...)
		out.Errors = append(out.Errors, r.Errors...)
		out.Hidden = append(out.Hidden, r.Hidden...)
		out.Spent += r.Spent
	}
	return out
}

// checkHTTPURL vets an account that is a URL. A URL that carries a
// credential is refused: the account is a label value, shown everywhere.
func checkHTTPURL(s string) error {
	if _, ok := vocab.WebURL(s); !ok {
		return errors.New("must be an http or https URL")
	}
	if ScrubURL(s) != s {
		return errors.New("carries a credential, and accounts are shown in metrics and pages; move it to credentials.query (or credentials.headers)")
	}
	return nil
}

// captured is an answer kept for a collector whose client library decodes
// counts into plain integers, where an absent or null count would become 0:
// the collector reads the counts from the answer's own bytes instead.
type captured struct {
	mu     sync.Mutex
	status int
	body   []byte
}

type captureKey struct{}

// withCapture returns a context whose requests, sent through a transport
// that calls capture, keep their answer in the returned *captured.
func withCapture(ctx context.Context) (context.Context, *captured) {
	c := &captured{}
	return context.WithValue(ctx, captureKey{}, c), c
}

// capture keeps a copy of resp's body where req's context asks for it, and
// gives resp a body that reads the same bytes.
func capture(req *http.Request, resp *http.Response) error {
	c, ok := req.Context().Value(captureKey{}).(*captured)
	if !ok || resp == nil {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodySize))
	resp.Body.Close()
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.status, c.body = resp.StatusCode, body
	c.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return nil
}

// captureTransport keeps each answer for the collector where the context
// asks (see withCapture): the Google clients decode absent numbers as 0, so
// the collectors that use them read the bytes.
type captureTransport struct{ base http.RoundTripper }

// RoundTrip sends req and keeps its answer where the context asks.
func (t *captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err == nil {
		if err := capture(req, resp); err != nil {
			return nil, err
		}
	}
	return resp, err
}

// answer is the last answer captured.
func (c *captured) answer() (int, []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status, c.body
}

// countOf reads a count the way the APIs write them: a JSON number or a
// string of digits. ok is false for an absent or null count (unknown); an
// error is a value that is no count (negative, fractional, not a number).
func countOf(raw json.RawMessage) (n int64, ok bool, err error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, false, nil
	}
	if unq, err := strconv.Unquote(s); err == nil && strings.HasPrefix(s, `"`) {
		s = unq
	}
	n, err = strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false, fmt.Errorf("%s is not a count (a non-negative whole number)", raw)
	}
	return n, true, nil
}
