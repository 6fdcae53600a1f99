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
