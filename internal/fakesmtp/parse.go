package fakesmtp

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
)

// Part is a leaf of a parsed message, its body decoded.
type Part struct {
	Type, ContentID, Disposition string
	Body                         []byte
}

// Parse reads a digest mail back with net/mail and mime/multipart, as a
// mail client would, and returns its header and its leaves in order: the
// text and HTML alternatives, then the inline images. It fails the test
// where the message is not multipart/related around a multipart/alternative
// (RFC 2387), where a line is over RFC 5322's 998 characters or an encoded
// body's over RFC 2045's 76, and where the alternatives are not
// quoted-printable or the images not base64.
func Parse(t testing.TB, data []byte) (*mail.Message, []Part) {
	t.Helper()
	for i, line := range strings.Split(string(data), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d is %d characters, over RFC 5322's 998", i, len(line))
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	top, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || top != "multipart/related" || params["type"] != "multipart/alternative" {
		t.Fatalf("top Content-Type %q %v: want multipart/related with type=multipart/alternative (RFC 2387)", top, params)
	}
	var leaves []Part
	related := multipart.NewReader(msg.Body, params["boundary"])
	for i := 0; ; i++ {
		p, err := related.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, pp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if i == 0 {
			if ct != "multipart/alternative" {
				t.Fatalf("the related's first part is %s, want multipart/alternative", ct)
			}
			alt := multipart.NewReader(p, pp["boundary"])
			for {
				ap, err := alt.NextRawPart()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := io.ReadAll(ap)
				checkLines(t, ap.Header.Get("Content-Type"), raw)
				if ap.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
					t.Errorf("%s is %q, want quoted-printable", ap.Header.Get("Content-Type"), ap.Header.Get("Content-Transfer-Encoding"))
				}
				body, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
				if err != nil {
					t.Fatal(err)
				}
				leaves = append(leaves, Part{Type: ap.Header.Get("Content-Type"), Body: body})
			}
			continue
		}
		raw, _ := io.ReadAll(p)
		checkLines(t, ct, raw)
		if p.Header.Get("Content-Transfer-Encoding") != "base64" {
			t.Errorf("%s is %q, want base64", ct, p.Header.Get("Content-Transfer-Encoding"))
		}
		body, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(bytes.ReplaceAll(raw, []byte("\r\n"), nil))))
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, Part{Type: ct, ContentID: p.Header.Get("Content-ID"), Disposition: p.Header.Get("Content-Disposition"), Body: body})
	}
	return msg, leaves
}

// checkLines checks that an encoded body's lines are within RFC 2045's 76.
func checkLines(t testing.TB, what string, raw []byte) {
	t.Helper()
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 76 {
			t.Errorf("%s has a line of %d characters, over 76", what, len(line))
			return
		}
	}
}
