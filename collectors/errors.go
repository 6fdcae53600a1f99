package collectors

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/kpi-collector/kpi-collector/vocab"
)

// Reason is a class of failure (see vocab.Reason). It and the names below
// are vocab's, aliased so that collector files read short; other packages
// use vocab.
type Reason = vocab.Reason

// The failure classes, as vocab names them.
const (
	RateLimited = vocab.RateLimited
	Quota       = vocab.Quota
	Payment     = vocab.Payment
	Auth        = vocab.Auth
	NotFound    = vocab.NotFound
	Timeout     = vocab.Timeout
	Server      = vocab.Server
	Network     = vocab.Network
	Decode      = vocab.Decode
	Version     = vocab.Version
	Storage     = vocab.Storage
)

// Reasons lists every reason.
var Reasons = vocab.Reasons

// Error is a failure to read one or more accounts (none: the whole channel).
type Error struct {
	Reason   Reason
	Accounts []string
	Metric   string // set when only this metric failed
	Err      error
	// RetryAt, where set, is when the API said it may be called again.
	RetryAt time.Time
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Reason))
	if len(e.Accounts) > 0 {
		fmt.Fprintf(&b, " for %s", strings.Join(e.Accounts, ","))
	}
	if e.Metric != "" {
		fmt.Fprintf(&b, " (%s)", e.Metric)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if !e.RetryAt.IsZero() {
		fmt.Fprintf(&b, " (the API asks to wait until %s)", e.RetryAt.UTC().Format(time.RFC3339))
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Fail builds an Error of a known reason.
func Fail(reason Reason, err error, accounts ...string) *Error {
	return &Error{Reason: reason, Accounts: accounts, Err: err}
}

// Classify turns any error into an *Error, keeping the reason of one already
// classified and telling time-outs from other transport failures.
func Classify(err error, accounts ...string) *Error {
	var e *Error
	if errors.As(err, &e) {
		if len(e.Accounts) == 0 {
			c := *e
			c.Accounts = accounts
			return &c
		}
		return e
	}
	if until, ok := isThrottled(err); ok {
		e := Fail(RateLimited, err, accounts...)
		e.RetryAt = until
		return e
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return Fail(Timeout, err, accounts...)
	case errors.Is(err, context.Canceled):
		return Fail(Timeout, err, accounts...)
	case isNetwork(err):
		return Fail(Network, err, accounts...)
	default:
		return Fail(Server, err, accounts...)
	}
}

// isNetwork tells a failure to reach the API (the name does not resolve, the
// connection is refused or reset, the TLS handshake fails) from a failure of
// the API itself: the first is the network's or the configuration's to fix.
func isNetwork(err error) bool {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var recordErr tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	var alert tls.AlertError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &dnsErr), errors.As(err, &recordErr), errors.As(err, &certErr), errors.As(err, &alert),
		errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalid):
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return true
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// StatusError is an API's non-2xx answer, with the start of its body for the
// message (bodies hold no secrets of ours; URLs might, and are not kept).
type StatusError struct {
	Code   int
	Header http.Header
	Body   []byte
}

func (e *StatusError) Error() string {
	body := strings.TrimSpace(string(e.Body))
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	if body == "" {
		return fmt.Sprintf("HTTP %d", e.Code)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Code, body)
}

// ReasonForStatus is the reason an HTTP status means where the API has no
// finer word of its own.
func ReasonForStatus(code int) Reason {
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden:
		return Auth
	case http.StatusPaymentRequired:
		return Payment
	case http.StatusNotFound, http.StatusGone:
		return NotFound
	case http.StatusTooManyRequests:
		return RateLimited
	case http.StatusUpgradeRequired:
		return Version
	case http.StatusRequestTimeout, http.StatusGatewayTimeout:
		return Timeout
	default:
		return Server
	}
}
