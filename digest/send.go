package digest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/redact"
)

// sender delivers a digest to one destination.
type sender interface {
	// String names the destination without its secrets: "smtp
	// mail.acme.example:587", "slack webhook 1".
	String() string
	send(ctx context.Context, c *Content, charts []Chart) error
}

// failure is a send that failed: retry says whether another try may pass
// (a time-out, a 5xx, a 429, a 4xx SMTP reply), after how long the service
// asked to wait (0: the backoff's own).
type failure struct {
	err   error
	retry bool
	after time.Duration
}

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// permanent is an error no retry can mend (a 4xx answer but 429, a 5xx
// SMTP reply, a message that cannot be built).
func permanent(err error) error { return &failure{err: err} }

// transient is an error a retry may mend, after a wait (0: the backoff's).
func transient(err error, after time.Duration) error {
	return &failure{err: err, retry: true, after: after}
}

// Retry is how a send is tried again.
type Retry struct {
	// Attempts is how many tries a destination gets in all.
	Attempts int
	// First is the first wait; each next one doubles, up to Max.
	First, Max time.Duration
	// MaxAfter bounds a wait a service asks for (Retry-After): a longer one
	// fails the send rather than hold the digest for hours.
	MaxAfter time.Duration
}

// DefaultRetry tries a destination five times, 10, 20, 40 and 80 seconds
// apart (two and a half minutes).
var DefaultRetry = Retry{Attempts: 5, First: 10 * time.Second, Max: 2 * time.Minute, MaxAfter: 10 * time.Minute}

// deliver sends to one destination, retrying with backoff what may pass.
// sleep waits (a test's returns at once); a canceled context ends it.
func deliver(ctx context.Context, s sender, c *Content, charts []Chart, r Retry, sleep func(context.Context, time.Duration) error, logger *slog.Logger, red *redact.Redactor) error {
	wait := r.First
	var err error
	for attempt := 1; ; attempt++ {
		err = s.send(ctx, c, charts)
		if err == nil {
			return nil
		}
		var f *failure
		retry := errors.As(err, &f) && f.retry
		if !retry || attempt >= r.Attempts || ctx.Err() != nil {
			break
		}
		d := wait
		if f.after > 0 {
			if f.after > r.MaxAfter {
				err = fmt.Errorf("%w (the service asks to wait %s, more than %s)", err, f.after, r.MaxAfter)
				break
			}
			d = f.after
		}
		logger.Warn("sending the digest failed; trying again", "digest", c.Digest, "to", s.String(), "attempt", attempt, "wait", d, "err", red.String(err.Error()))
		if serr := sleep(ctx, d); serr != nil {
			return fmt.Errorf("%s: %w", s, serr)
		}
		wait = min(wait*2, r.Max)
	}
	return fmt.Errorf("%s: %s", s, red.String(err.Error()))
}

// sleepCtx waits d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// senders are a digest's destinations, in the config's order: the mail,
// then each webhook.
func senders(d *config.Digest, opts Options) []sender {
	var out []sender
	if d.SMTP != nil {
		out = append(out, &smtpSender{cfg: d.SMTP, tls: opts.TLS, now: opts.now})
	}
	for i, w := range d.Webhooks {
		h := webhook{index: i + 1, kind: w.Type, url: w.URL, client: opts.client()}
		switch w.Type {
		case "slack":
			out = append(out, &slackSender{h})
		case "teams":
			out = append(out, &teamsSender{h})
		case "mattermost":
			out = append(out, &mattermostSender{h})
		case "discord":
			out = append(out, &discordSender{h})
		default:
			out = append(out, &jsonSender{h})
		}
	}
	return out
}

// Destinations names a digest's destinations, secrets left out: "smtp
// mail.acme.example:587 (to marketing@acme.example)", "slack webhook 1".
func Destinations(d *config.Digest) []string {
	var out []string
	for _, s := range senders(d, Options{}) {
		name := s.String()
		if d.SMTP != nil && strings.HasPrefix(name, "smtp ") {
			name += " (to " + strings.Join(d.SMTP.To, ", ") + ")"
		}
		out = append(out, name)
	}
	return out
}
