package digest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"image"
	"image/color"
	"image/png"
	"mime"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakesmtp"
	"github.com/kpi-collector/kpi-collector/snapshot"
)

// squarePNG draws a KPI's "chart" as a plain PNG: the mail's structure is
// what is tested here, not the drawing.
func squarePNG(_ *snapshot.Snapshot, _ *snapshot.KPIState) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, 64, 32))
	for x := range 64 {
		img.Set(x, 16, color.RGBA{9, 105, 218, 255})
	}
	var b bytes.Buffer
	err := png.Encode(&b, img)
	return b.Bytes(), err
}

func TestMailOverSMTP(t *testing.T) {
	at := time.Date(2026, 9, 21, 8, 0, 0, 0, stockholm)
	snap := testSnapshot(at, weekKPIs(at)...)
	snap.Plan.Name = "acme-2026-h2 (Göteborg)" // a subject that is not ASCII
	modes := []struct {
		name string
		mode fakesmtp.Mode
		tls  string
		auth bool
	}{
		{"starttls", fakesmtp.StartTLS, config.TLSStartTLS, true},
		{"implicit", fakesmtp.Implicit, config.TLSImplicit, true},
		{"none, a local relay", fakesmtp.Plain, config.TLSNone, false},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			user, pass := "", ""
			if m.auth {
				user, pass = "kpi", "smtp-password-0000"
			}
			srv := fakesmtp.Start(t, m.mode, user, pass)
			smtpCfg := &config.SMTP{Host: srv.Host, Port: srv.Port, TLS: m.tls, Username: user, Password: config.Secret(pass),
				From: "KPI collector <kpi@acme.example>", To: []string{"marketing@acme.example", "Boss <boss@acme.example>"}}
			r := NewRunner(testConfig(smtpCfg), func() *snapshot.Snapshot { return snap }, &memoryRecords{},
				Options{Charts: squarePNG, Now: func() time.Time { return at }, Sleep: (&noSleep{}).sleep, TLS: &tls.Config{RootCAs: srv.Roots}, ExternalURL: "https://kpi.acme.example"})
			if _, err := r.Send(context.Background(), "weekly", at); err != nil {
				t.Fatal(err)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 {
				t.Fatalf("%d messages", len(msgs))
			}
			got := msgs[0]
			if got.From != "kpi@acme.example" || strings.Join(got.To, ",") != "marketing@acme.example,boss@acme.example" ||
				got.Authenticated != user || got.TLS != (m.mode != fakesmtp.Plain) {
				t.Errorf("envelope %s → %v, auth %q, TLS %v", got.From, got.To, got.Authenticated, got.TLS)
			}
			msg, parts := fakesmtp.Parse(t, got.Data)
			subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if err != nil || !strings.Contains(subject, "acme-2026-h2 (Göteborg)") || !strings.HasPrefix(msg.Header.Get("Subject"), "=?UTF-8?q?") {
				t.Errorf("subject %q decodes to %q (%v)", msg.Header.Get("Subject"), subject, err)
			}
			if len(parts) != 2+3 || !strings.HasPrefix(parts[0].Type, "text/plain") || !strings.HasPrefix(parts[1].Type, "text/html") {
				t.Fatalf("parts: %d, %v", len(parts), parts)
			}
			// Every cid: in the HTML names an inline PNG part, and every
			// PNG is named.
			cids := regexp.MustCompile(`src="cid:([^"]+)"`).FindAllStringSubmatch(string(parts[1].Body), -1)
			if len(cids) != 3 {
				t.Fatalf("%d cid: images in the HTML", len(cids))
			}
			for i, c := range cids {
				p := parts[2+i]
				if p.Type != "image/png" || p.ContentID != "<"+c[1]+">" || !strings.HasPrefix(p.Disposition, "inline") {
					t.Errorf("image %d: %s %s %s for cid:%s", i, p.Type, p.ContentID, p.Disposition, c[1])
				}
				if _, err := png.Decode(bytes.NewReader(p.Body)); err != nil {
					t.Errorf("image %d is not a PNG: %v", i, err)
				}
			}
			if !strings.Contains(string(parts[0].Body), "Behind, and what would bring it back") || !strings.Contains(string(parts[1].Body), `href="https://kpi.acme.example/kpi/blog_articles"`) {
				t.Errorf("text or HTML lacks its content:\n%s", parts[0].Body)
			}
		})
	}
}

func TestSMTPFailures(t *testing.T) {
	at := time.Date(2026, 9, 21, 8, 0, 0, 0, stockholm)
	snap := testSnapshot(at, weekKPIs(at)...)
	tests := []struct {
		name      string
		refuse    []*smtp.SMTPError
		password  string
		wantMsgs  int
		wantWaits int
		wantErr   string
	}{
		{"a 451 is retried", []*smtp.SMTPError{{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}}, "right-0000", 1, 1, ""},
		{"a 554 is not", []*smtp.SMTPError{{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Message rejected"}}, "right-0000", 0, 0, "554"},
		{"a wrong password is not", nil, "wrong-0000", 0, 0, "535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakesmtp.Start(t, fakesmtp.StartTLS, "kpi", "right-0000")
			srv.Refuse(tt.refuse...)
			sl := &noSleep{}
			smtpCfg := &config.SMTP{Host: srv.Host, Port: srv.Port, TLS: config.TLSStartTLS, Username: "kpi", Password: config.Secret(tt.password),
				From: "kpi@acme.example", To: []string{"marketing@acme.example"}}
			cfg := testConfig(smtpCfg)
			r := NewRunner(cfg, func() *snapshot.Snapshot { return snap }, &memoryRecords{},
				Options{Now: func() time.Time { return at }, Sleep: sl.sleep, TLS: &tls.Config{RootCAs: srv.Roots}})
			_, err := r.Send(context.Background(), "weekly", at)
			if len(srv.Messages()) != tt.wantMsgs || len(sl.waits) != tt.wantWaits {
				t.Errorf("%d messages after %d waits; want %d, %d", len(srv.Messages()), len(sl.waits), tt.wantMsgs, tt.wantWaits)
			}
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err %v, want %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), tt.password) {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
	// A server without STARTTLS is refused before any credential is sent.
	t.Run("no STARTTLS offered", func(t *testing.T) {
		srv := fakesmtp.Start(t, fakesmtp.Plain, "kpi", "right-0000")
		smtpCfg := &config.SMTP{Host: srv.Host, Port: srv.Port, TLS: config.TLSStartTLS, Username: "kpi", Password: "right-0000",
			From: "kpi@acme.example", To: []string{"marketing@acme.example"}}
		r := NewRunner(testConfig(smtpCfg), func() *snapshot.Snapshot { return snap }, &memoryRecords{},
			Options{Now: func() time.Time { return at }, Sleep: (&noSleep{}).sleep, Retry: Retry{Attempts: 1}})
		if _, err := r.Send(context.Background(), "weekly", at); err == nil || !strings.Contains(err.Error(), "STARTTLS") || len(srv.Messages()) != 0 {
			t.Errorf("err %v, %d messages", err, len(srv.Messages()))
		}
	})
}

// A server that took the message and then drops the connection at QUIT has
// the message: the digest is not sent again.
func TestSMTPQuitLostAfterTheMessage(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var datas atomic.Int32
	served := make(chan struct{})
	go func() {
		defer close(served)
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			// A relay that speaks just enough SMTP (RFC 5321) and closes
			// the connection when asked to QUIT, without its 221.
			r := bufio.NewReader(conn)
			say := func(line string) { _, _ = conn.Write([]byte(line + "\r\n")) }
			say("220 relay.example ESMTP")
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					break
				}
				switch cmd := strings.ToUpper(strings.Fields(line + " x")[0]); cmd {
				case "EHLO", "HELO":
					say("250 relay.example")
				case "DATA":
					say("354 go on")
					for {
						l, err := r.ReadString('\n')
						if err != nil || l == ".\r\n" {
							break
						}
					}
					datas.Add(1)
					say("250 2.0.0 queued")
				case "QUIT":
					conn.Close()
				default:
					say("250 2.0.0 ok")
				}
			}
			conn.Close()
		}
	}()
	host, port, _ := net.SplitHostPort(l.Addr().String())
	portNum, _ := strconv.Atoi(port)
	smtpCfg := &config.SMTP{Host: host, Port: portNum, TLS: config.TLSNone, From: "kpi@acme.example", To: []string{"marketing@acme.example"}}
	at := time.Date(2026, 9, 21, 8, 0, 0, 0, stockholm)
	snap := testSnapshot(at, weekKPIs(at)...)
	sl := &noSleep{}
	r := NewRunner(testConfig(smtpCfg), func() *snapshot.Snapshot { return snap }, &memoryRecords{},
		Options{Now: func() time.Time { return at }, Sleep: sl.sleep})
	res, err := r.Send(context.Background(), "weekly", at)
	if err != nil || !res.OK() {
		t.Errorf("send: %v %v", err, res.Errors)
	}
	if n := datas.Load(); n != 1 || len(sl.waits) != 0 {
		t.Errorf("the message went %d times after %d waits, want once", n, len(sl.waits))
	}
	l.Close()
	<-served
}
