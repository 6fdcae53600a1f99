package vocab

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FewOf lists the first few of names for a message, and how many more there
// are: a message about one of 200,000 accounts stays a line long.
func FewOf(names []string) string {
	const few = 3
	if len(names) <= few+1 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s, … and %d more", strings.Join(names[:few], ", "), len(names)-few)
}

// MaxQuoted is how many characters of a value a message quotes.
const MaxQuoted = 100

// Quote quotes a value for a message, as %q does, but at most MaxQuoted
// characters of it: a 100 MB field's message is a line long.
func Quote(s string) string {
	n := 0
	for i := range s {
		if n == MaxQuoted {
			return strconv.Quote(s[:i]) + fmt.Sprintf("… (%d bytes)", len(s))
		}
		n++
	}
	return strconv.Quote(s)
}

// NotPrintable says why a name is not printable text (it is not UTF-8, or
// holds a control or other invisible character), or "" where it is. A name
// goes into metrics, pages, reports, calendars and terminals: a newline or
// an escape sequence there is a command, not a name.
func NotPrintable(s string) string {
	if !utf8.ValidString(s) {
		return "is not UTF-8 text"
	}
	for _, r := range s {
		if r != ' ' && !unicode.IsPrint(r) {
			return fmt.Sprintf("is not printable text: it holds %U", r)
		}
	}
	return ""
}

// WebURL parses s as an absolute http or https URL with a host (the only
// kind the collector asks, links to or is told to reach); ok is false for
// anything else.
func WebURL(s string) (u *url.URL, ok bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false
	}
	return u, true
}
