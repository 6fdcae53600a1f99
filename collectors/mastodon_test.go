package collectors

import (
	"reflect"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
)

func TestMastodon(t *testing.T) {
	api := newAPI(t)
	res, _ := collect(t, &config.Channel{Type: "mastodon", APIURL: api.URL}, []string{
		"Gargron@mastodon.social", "Gargron@social.example", "quiet@fosstodon.org", "@nobody@mastodon.social", "busy@example.social",
	})
	want := []Reading{
		{Account: "Gargron@mastodon.social", Metric: "followers", Value: 345678}, {Account: "Gargron@mastodon.social", Metric: "following", Value: 512}, {Account: "Gargron@mastodon.social", Metric: "posts", Value: 78901},
		// The same user name on another instance is another account.
		{Account: "Gargron@social.example", Metric: "followers", Value: 17}, {Account: "Gargron@social.example", Metric: "following", Value: 40}, {Account: "Gargron@social.example", Metric: "posts", Value: 9},
		// hide_collections: the 0 followers and following are unknown, not 0.
		{Account: "quiet@fosstodon.org", Metric: "posts", Value: 412},
	}
	if !reflect.DeepEqual(res.Readings, want) {
		t.Errorf("readings:\n got %v\nwant %v", res.Readings, want)
	}
	wantHidden := []Hidden{{"quiet@fosstodon.org", "followers", HiddenByAccount}, {"quiet@fosstodon.org", "following", HiddenByAccount}}
	if !reflect.DeepEqual(res.Hidden, wantHidden) {
		t.Errorf("hidden:\n got %v\nwant %v", res.Hidden, wantHidden)
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
