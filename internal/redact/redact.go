// Package redact hides credentials in text: the configured secret values, and
// the user info and credential-like query parameters of any URL. Every error
// text that is stored, logged or shown passes through it, because APIs echo
// what they were sent ("invalid token: Bearer …") and config errors quote
// the values they refuse. It imports nothing of the project.
package redact

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Mask replaces whatever is hidden.
const Mask = "<secret>"

// minSecretLength is the shortest value redacted as a secret: a shorter one
// would mask ordinary words and numbers all over a message.
const minSecretLength = 4

// Redactor hides a set of secret values and every URL's credentials.
type Redactor struct {
	secrets []string // longest first, so that one secret inside another goes whole
}

// New returns a Redactor of the given secret values (empty and very short
// ones are ignored).
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		if len(s) >= minSecretLength && !slices.Contains(r.secrets, s) {
			r.secrets = append(r.secrets, s)
		}
	}
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
	return r
}

// String returns s with every secret value masked and every URL in it
// scrubbed (see URL). A nil Redactor scrubs URLs only.
func (r *Redactor) String(s string) string {
	if r != nil {
		for _, secret := range r.secrets {
			s = strings.ReplaceAll(s, secret, Mask)
		}
	}
	return urlInText.ReplaceAllStringFunc(s, URL)
}

// URLsIn scrubs every URL in s (see URL).
func URLsIn(s string) string { return (*Redactor)(nil).String(s) }

// urlInText finds absolute URLs in running text.
var urlInText = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>]+`)

// secretParam names query parameters that may carry a credential.
var secretParam = regexp.MustCompile(`(?i)(key|token|secret|password|passwd|signature|sig|auth|credential)`)

// URL hides the values of query parameters that may carry a credential, and
// any user info, so that the URL can be printed.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable URL>"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	q := u.Query()
	changed := false
	for k := range q {
		if secretParam.MatchString(k) {
			q[k] = []string{"REDACTED"}
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}
