// Package fakesmtp is a real SMTP server for tests (github.com/emersion/go-smtp
// as the server): STARTTLS or implicit TLS with a certificate made for the
// test, AUTH PLAIN against one username and password, and every message it
// accepts kept for the test to read. It can refuse the next messages with a
// reply of the test's choosing, as a busy or strict server does.
package fakesmtp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	Data []byte
	// Authenticated is the username the client logged in as ("" for none);
	// TLS whether the connection was encrypted when the message came.
	Authenticated string
	TLS           bool
}

// Server is a running SMTP server.
type Server struct {
	// Addr is host:port; Host and Port apart.
	Addr string
	Host string
	Port int
	// Roots trusts the server's certificate.
	Roots *x509.CertPool

	mu       sync.Mutex
	messages []Message
	refuse   []*smtp.SMTPError
	username string
	password string
}

// Mode is how the server takes TLS.
type Mode int

// The modes.
const (
	StartTLS Mode = iota // plain, then STARTTLS (AUTH only after it)
	Implicit             // TLS from the first byte
	Plain                // no TLS at all (a local relay)
)

// Start runs a server until the test ends. username and password are the
// credentials AUTH PLAIN accepts (empty: AUTH is refused).
func Start(t testing.TB, mode Mode, username, password string) *Server {
	t.Helper()
	cert, roots := certificate(t)
	s := &Server{Roots: roots, username: username, password: password}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.MaxMessageBytes = 10 << 20
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	var l net.Listener
	var err error
	switch mode {
	case Implicit:
		l, err = (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
		if err == nil {
			l = tls.NewListener(l, tlsConfig)
		}
	default:
		l, err = (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
		if mode == StartTLS {
			srv.TLSConfig = tlsConfig
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	s.Host = "localhost"
	s.Port = l.Addr().(*net.TCPAddr).Port
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// Messages are the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Refuse makes the server refuse the next messages, one reply each, at
// their end of data (451 4.3.0 for a transient failure, 554 5.7.1 for a
// permanent one).
func (s *Server) Refuse(replies ...*smtp.SMTPError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = append(s.refuse, replies...)
}

type backend struct{ s *Server }

// NewSession starts a client's session.
func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, conn: c}, nil
}

type session struct {
	s    *Server
	conn *smtp.Conn
	msg  Message
}

// AuthMechanisms offers PLAIN.
func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

// Auth checks PLAIN against the server's credentials.
func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if ss.s.username == "" || username != ss.s.username || password != ss.s.password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		ss.msg.Authenticated = username
		return nil
	}), nil
}

// Mail refuses a sender before AUTH where the server has credentials.
func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.username != "" && ss.msg.Authenticated == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	ss.msg.From = from
	return nil
}

// Rcpt takes every recipient.
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.msg.To = append(ss.msg.To, to)
	return nil
}

// Data keeps the message, or refuses it as Refuse asked.
func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, ss.msg.TLS = ss.conn.TLSConnectionState()
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if len(ss.s.refuse) > 0 {
		reply := ss.s.refuse[0]
		ss.s.refuse = ss.s.refuse[1:]
		return reply
	}
	m := ss.msg
	m.Data = data
	ss.s.messages = append(ss.s.messages, m)
	return nil
}

// Reset starts the next message, still authenticated.
func (ss *session) Reset() {
	auth := ss.msg.Authenticated
	ss.msg = Message{Authenticated: auth}
}

// Logout ends the session.
func (ss *session) Logout() error { return nil }

// certificate is a self-signed certificate for localhost and 127.0.0.1,
// and a pool that trusts it.
func certificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
