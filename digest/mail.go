package digest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/chart"
	"github.com/kpi-collector/kpi-collector/snapshot"
)

// PNGChart draws a KPI's chart as PNG, for mail: mail clients do not show
// SVG (Gmail and Outlook for Windows drop it).
type PNGChart func(s *snapshot.Snapshot, k *snapshot.KPIState) ([]byte, error)

// ChartPNG is a KPI's chart as package chart draws it (the same drawing as
// the KPI's page), 640 × 280 CSS pixels at twice the density, so that it is
// sharp on a high-density screen when the mail shows it 640 wide.
func ChartPNG(s *snapshot.Snapshot, k *snapshot.KPIState) ([]byte, error) {
	var b bytes.Buffer
	if err := chart.FromKPI(s.Plan, *k, s.At).PNG(&b, chart.Options{Width: 640, Height: 280, Scale: 2}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Charts draws every KPI's chart; nil draw gives none. A chart that fails
// is left out (the table above it says the same in numbers).
func (c *Content) Charts(draw PNGChart) ([]Chart, []error) {
	if draw == nil {
		return nil, nil
	}
	var out []Chart
	var errs []error
	for i := range c.states {
		k := &c.states[i]
		png, err := draw(c.snap, k)
		if err != nil {
			errs = append(errs, fmt.Errorf("chart of %s: %w", k.Name, err))
			continue
		}
		out = append(out, Chart{KPI: k.Name, ContentID: fmt.Sprintf("chart%d@kpi-collector", len(out)+1), PNG: png})
	}
	return out, errs
}

// Message is the digest as an e-mail (RFC 5322 with MIME):
//
//	multipart/related; type="multipart/alternative"   (RFC 2387)
//	├─ multipart/alternative
//	│  ├─ text/plain; charset=UTF-8   quoted-printable
//	│  └─ text/html; charset=UTF-8    quoted-printable, <img src="cid:…">
//	└─ image/png, one a chart          base64, Content-ID, inline
//
// Every line is within 76 characters but the headers', which stay under
// RFC 5322's 998; a subject that is not ASCII is encoded (RFC 2047).
func (c *Content) Message(from string, to []string, charts []Chart, now time.Time) ([]byte, error) {
	sender, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	var rcpts []string
	for _, t := range to {
		a, err := mail.ParseAddress(t)
		if err != nil {
			return nil, fmt.Errorf("to: %w", err)
		}
		rcpts = append(rcpts, a.String())
	}
	html, err := c.HTML(charts)
	if err != nil {
		return nil, err
	}

	var b bytes.Buffer
	related := multipart.NewWriter(&b)
	altBoundary := multipart.NewWriter(io.Discard).Boundary()
	_, domain, _ := strings.Cut(sender.Address, "@")
	header := []string{
		"From: " + sender.String(),
		"To: " + strings.Join(rcpts, ", "),
		"Subject: " + mime.QEncoding.Encode("UTF-8", c.Subject()),
		"Date: " + now.Format(time.RFC1123Z),
		"Message-ID: <" + randomID() + "@" + domain + ">",
		"MIME-Version: 1.0",
		"Content-Type: " + mime.FormatMediaType("multipart/related", map[string]string{"boundary": related.Boundary(), "type": "multipart/alternative"}),
		"Auto-Submitted: auto-generated",
	}
	b.WriteString(strings.Join(header, "\r\n") + "\r\n\r\n")

	alt, err := related.CreatePart(textproto.MIMEHeader{
		"Content-Type": {mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": altBoundary})},
	})
	if err != nil {
		return nil, err
	}
	alternative := multipart.NewWriter(alt)
	if err := alternative.SetBoundary(altBoundary); err != nil {
		return nil, err
	}
	// The plain text first, the HTML last: the preferred alternative goes
	// last (RFC 2046 §5.1.4).
	for _, part := range []struct{ kind, body string }{{"text/plain", c.Text()}, {"text/html", html}} {
		w, err := alternative.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.kind + "; charset=UTF-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(crlf(part.body))); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := alternative.Close(); err != nil {
		return nil, err
	}
	for _, ch := range charts {
		w, err := related.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {"image/png"},
			"Content-Transfer-Encoding": {"base64"},
			"Content-ID":                {"<" + ch.ContentID + ">"},
			"Content-Disposition":       {mime.FormatMediaType("inline", map[string]string{"filename": ch.KPI + ".png"})},
		})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(base64Lines(ch.PNG)); err != nil {
			return nil, err
		}
	}
	if err := related.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// crlf makes every line end in CRLF, as MIME text does.
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// base64Lines is data in base64, 76 characters a line (RFC 2045; the
// encoder itself never wraps).
func base64Lines(data []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(data)
	var b bytes.Buffer
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	if enc != "" {
		b.WriteString(enc + "\r\n")
	}
	return b.Bytes()
}

func randomID() string {
	var r [16]byte
	_, _ = rand.Read(r[:])
	return hex.EncodeToString(r[:])
}
