package redact

import "testing"

func TestString(t *testing.T) {
	r := New("EAAGsecret-token-1", "short", "k", "")
	tests := []struct{ in, want string }{
		{"invalid token: Bearer EAAGsecret-token-1", "invalid token: Bearer <secret>"},
		{"twice EAAGsecret-token-1/EAAGsecret-token-1", "twice <secret>/<secret>"},
		{`accounts: "https://api.example.com/x?api_key=ABC123&id=1": carries a credential`, `accounts: "https://api.example.com/x?api_key=REDACTED&id=1": carries a credential`},
		{"feed https://user:pass@blog.example/feed.xml failed", "feed https://REDACTED@blog.example/feed.xml failed"},
		{"a k in a word keeps its k", "a k in a word keeps its k"},
		{"four letters are enough: short", "four letters are enough: <secret>"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	var none *Redactor
	if got := none.String("https://u:p@h/"); got != "https://REDACTED@h/" {
		t.Errorf("a nil Redactor still scrubs URLs: %q", got)
	}
}
