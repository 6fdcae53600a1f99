package vocab

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{FewOf([]string{"a", "b"}), "a, b"},
		{FewOf([]string{"a", "b", "c", "d"}), "a, b, c, d"},
		{FewOf([]string{"a", "b", "c", "d", "e"}), "a, b, c, … and 2 more"},
		{Quote("a\x1bb"), `"a\x1bb"`},
		{Quote(strings.Repeat("é", 150)), `"` + strings.Repeat("é", 100) + `"… (300 bytes)`},
		{NotPrintable("Malmö café"), ""},
		{NotPrintable("Malm\xf6"), "is not UTF-8 text"},
		{NotPrintable("a\nb"), "is not printable text: it holds U+000A"},
		{NotPrintable("a\u202eb"), "is not printable text: it holds U+202E"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %s, want %s", tt.got, tt.want)
		}
	}
}

func TestWebURL(t *testing.T) {
	for s, want := range map[string]bool{
		"https://kpi.acme.example/":      true,
		"http://127.0.0.1:9101":          true,
		"https://user:pw@host.example/x": true, // credentials are the caller's to refuse
		"ftp://files.example/":           false,
		"kpi.acme.example":               false,
		"https://":                       false,
		"/relative/path":                 false,
		"https://bad host.example/":      false,
		"":                               false,
	} {
		if _, ok := WebURL(s); ok != want {
			t.Errorf("WebURL(%q) ok = %v, want %v", s, ok, want)
		}
	}
}
