package collectors

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
)

func TestMastodon(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/accounts/lookup" {
			reply(w, http.StatusNotFound, testdata(t, "mastodon/not_found.json"))
			return
		}
		switch r.URL.Query().Get("acct") {
		case "Gargron":
			reply(w, http.StatusOK, testdata(t, "mastodon/account.json"), "X-RateLimit-Limit", "300", "X-RateLimit-Remaining", "299", "X-RateLimit-Reset", "2026-03-02T10:05:00.123456Z")
		case "busy":
			reply(w, http.StatusTooManyRequests, testdata(t, "mastodon/too_many_requests.json"), "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "2026-03-02T10:05:00.123456Z")
		default:
			reply(w, http.StatusNotFound, testdata(t, "mastodon/not_found.json"))
		}
	})
	res, _ := collect(t, &config.Channel{Type: "mastodon", APIURL: f.URL}, []string{"Gargron@mastodon.social", "@nobody@mastodon.social", "busy@example.social"})
	want := []Reading{{"Gargron@mastodon.social", "followers", 345678}, {"Gargron@mastodon.social", "following", 512}, {"Gargron@mastodon.social", "posts", 78901}}
	if !reflect.DeepEqual(res.Readings, want) {
		t.Errorf("readings:\n got %v\nwant %v", res.Readings, want)
	}
	wantErr := map[string]Reason{"@nobody@mastodon.social": NotFound, "busy@example.social": RateLimited}
	if got := reasons(res); !reflect.DeepEqual(got, wantErr) {
		t.Errorf("errors: got %v, want %v", got, wantErr)
	}
}

func TestAccountChecks(t *testing.T) {
	for _, tt := range []struct {
		check func(string) error
		in    string
		ok    bool
	}{
		{checkMastodonAccount, "Gargron@mastodon.social", true},
		{checkMastodonAccount, "@Gargron@mastodon.social", true},
		{checkMastodonAccount, "Gargron", false},
		{checkTwitterAccount, "@XDevelopers", true},
		{checkTwitterAccount, "bad-name!", false},
		{checkLinkedInAccount, "1234567", true},
		{checkLinkedInAccount, "urn:li:organization:1234567", true},
		{checkLinkedInAccount, "acme", false},
	} {
		if err := tt.check(tt.in); (err == nil) != tt.ok {
			t.Errorf("%q: %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
}
