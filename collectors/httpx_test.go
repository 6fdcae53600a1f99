package collectors

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestScrubURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api.example.com/x?key=SECRET&id=1", "https://api.example.com/x?id=1&key=REDACTED"},
		{"https://graph.example.com/v26.0/?access_token=SECRET&ids=1,2", "https://graph.example.com/v26.0/?access_token=REDACTED&ids=1%2C2"},
		{"https://user:SECRET@example.com/feed.xml", "https://REDACTED@example.com/feed.xml"},
		{"https://example.com/feed.xml", "https://example.com/feed.xml"},
	}
	for _, tt := range tests {
		if got := ScrubURL(tt.in); got != tt.want {
			t.Errorf("ScrubURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A transport failure prints the URL; the secret in it must not show.
func TestTransportErrorsAreScrubbed(t *testing.T) {
	var codes []string
	client := NewHTTPClient(time.Second, func(code string) { codes = append(codes, code) }, nil)
	attempts := RetryAttempts
	RetryAttempts = 1
	defer func() { RetryAttempts = attempts }()
	_, err := Get(context.Background(), client, "http://127.0.0.1:1/x?api_key=SECRET-123", nil, nil)
	if len(codes) != 1 || codes[0] != "error" {
		t.Errorf("a call without an answer was counted as %v, want code \"error\"", codes)
	}
	if err == nil || strings.Contains(err.Error(), "SECRET-123") {
		t.Fatalf("error = %v; want one without the secret", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Reason != Network {
		t.Errorf("a refused connection is %v, want reason network", err)
	}
}

// Failing to reach an API is network, not server: the alert text tells the
// two apart ("the API failed" against "it could not be reached").
func TestNetworkFailures(t *testing.T) {
	attempts := RetryAttempts
	RetryAttempts = 1
	defer func() { RetryAttempts = attempts }()

	tlsServer := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer tlsServer.Close()
	hangUp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hangUp.Close()
	go func() {
		for {
			c, err := hangUp.Accept()
			if err != nil {
				return
			}
			_ = c.(*net.TCPConn).SetLinger(0) // a reset, not a clean close
			c.Close()
		}
	}()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer failing.Close()

	client := NewHTTPClient(2*time.Second, nil, nil)
	for _, tt := range []struct {
		name string
		err  error
		want Reason
	}{
		{"connection refused", getErr(client, "http://127.0.0.1:1/"), Network},
		{"TLS handshake with an unknown authority", getErr(client, tlsServer.URL), Network},
		{"connection reset", getErr(client, "http://"+hangUp.Addr().String()+"/"), Network},
		{"name resolution", &url.Error{Op: "Get", URL: "https://api.example.invalid/", Err: &net.DNSError{Err: "no such host", Name: "api.example.invalid", IsNotFound: true}}, Network},
		{"HTTP 500 is the API's own failure", getErr(client, failing.URL), Server},
	} {
		if got := Classify(tt.err).Reason; got != tt.want {
			t.Errorf("%s: %v is %s, want %s", tt.name, tt.err, got, tt.want)
		}
	}
}

func getErr(client *http.Client, u string) error {
	_, err := Get(context.Background(), client, u, nil, nil)
	return err
}

func TestBatches(t *testing.T) {
	items := []string{"a", "b", "c", "d", "e"}
	got := Batches(items, 2)
	if len(got) != 3 || len(got[2]) != 1 {
		t.Fatalf("Batches = %v", got)
	}
	got[0] = append(got[0], "x") // must not overwrite c
	if items[2] != "c" {
		t.Error("appending to a batch overwrote the next one")
	}
	if Batches(nil, 50) != nil {
		t.Error("no items, no batches")
	}
}

func TestReasonForStatus(t *testing.T) {
	for code, want := range map[int]Reason{401: Auth, 403: Auth, 402: Payment, 404: NotFound, 429: RateLimited, 426: Version, 500: Server, 503: Server, 504: Timeout, http.StatusBadRequest: Server} {
		if got := ReasonForStatus(code); got != want {
			t.Errorf("%d: %s, want %s", code, got, want)
		}
	}
}

// EachBatch keeps at most `concurrency` calls in flight and loses no batch.
func TestEachBatchConcurrency(t *testing.T) {
	var inFlight, peak atomic.Int32
	accounts := make([]string, 100)
	for i := range accounts {
		accounts[i] = fmt.Sprint(i)
	}
	res := EachBatch(context.Background(), accounts, 10, 3, func(_ context.Context, batch []string) Result {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
		var r Result
		for _, a := range batch {
			r.add(a, "n", 1)
		}
		return r
	})
	if len(res.Readings) != 100 || res.Readings[0].Account != "0" || res.Readings[99].Account != "99" {
		t.Errorf("got %d readings, first %v: want all 100 in order", len(res.Readings), res.Readings[0])
	}
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("%d batches were in flight at once, want at most 3 (and more than 1)", p)
	}
}
