package digest

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"os"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/kpi-collector/kpi-collector/config"
)

// smtpSender mails the digest (RFC 8314): implicit TLS (465), STARTTLS
// (587; a server that does not offer it is refused, so that credentials
// never travel in clear), or none for a local relay (25, no credentials:
// the config refuses a password with tls: none). AUTH is PLAIN, over TLS.
type smtpSender struct {
	cfg *config.SMTP
	// tls, where set, is the TLS config to use (tests give their CA); the
	// host's name is checked against the certificate either way.
	tls *tls.Config
	now func() time.Time
}

func (s *smtpSender) String() string { return "smtp " + s.cfg.Address() }

// smtpTimeout bounds one delivery: connection, commands and data.
const smtpTimeout = 2 * time.Minute

func (s *smtpSender) send(ctx context.Context, c *Content, charts []Chart) error {
	msg, err := c.Message(s.cfg.From, s.cfg.To, charts, s.now())
	if err != nil {
		return permanent(fmt.Errorf("building the message: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, smtpTimeout)
	defer cancel()
	client, err := s.dial(ctx)
	if err != nil {
		return classifySMTP(err)
	}
	defer client.Close()
	if dl, ok := ctx.Deadline(); ok {
		client.CommandTimeout, client.SubmissionTimeout = time.Until(dl), time.Until(dl)
	}
	if err := s.deliver(client, msg); err != nil {
		return classifySMTP(err)
	}
	return nil
}

// dial connects as tls says and greets the server.
func (s *smtpSender) dial(ctx context.Context) (*smtp.Client, error) {
	tlsConfig := &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12}
	if s.tls != nil {
		tlsConfig = s.tls.Clone()
		tlsConfig.ServerName = s.cfg.Host
	}
	d := &net.Dialer{Timeout: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Address())
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	var client *smtp.Client
	switch s.cfg.TLS {
	case config.TLSImplicit:
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		client = smtp.NewClient(tc)
	case config.TLSStartTLS:
		client, err = smtp.NewClientStartTLS(conn, tlsConfig)
		if err != nil {
			conn.Close()
			return nil, err
		}
	default:
		client = smtp.NewClient(conn)
	}
	// STARTTLS has greeted already (as "localhost": go-smtp's choice).
	if host, err := os.Hostname(); err == nil && host != "" && s.cfg.TLS != config.TLSStartTLS {
		if err := client.Hello(host); err != nil {
			client.Close()
			return nil, err
		}
	}
	return client, nil
}

func (s *smtpSender) deliver(client *smtp.Client, msg []byte) error {
	if s.cfg.Username != "" {
		if err := client.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password.Reveal())); err != nil {
			return fmt.Errorf("authentication: %w", err)
		}
	}
	from, err := mail.ParseAddress(s.cfg.From)
	if err != nil {
		return err
	}
	if err := client.Mail(from.Address, nil); err != nil {
		return err
	}
	for _, to := range s.cfg.To {
		a, err := mail.ParseAddress(to)
		if err != nil {
			return err
		}
		if err := client.Rcpt(a.Address, nil); err != nil {
			return fmt.Errorf("recipient %s: %w", a.Address, err)
		}
	}
	w, err := client.Data()
	if err != nil {
		return err
	}
	if _, err := bytes.NewReader(msg).WriteTo(w); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	// The server has taken the message (250 after DATA): a failed QUIT
	// must not send it again.
	_ = client.Quit()
	return nil
}

// classifySMTP says whether a failure may pass on a retry: a 4xx reply
// (RFC 5321: transient) and a lost connection may, a 5xx reply (refused
// recipient, failed authentication) and a bad certificate may not.
func classifySMTP(err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		if se.Temporary() {
			return transient(err, 0)
		}
		return permanent(err)
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return permanent(err)
	}
	return transient(err, 0)
}
