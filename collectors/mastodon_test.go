package collectors

import (
	"reflect"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
)

func TestMastodon(t *testing.T) {
	api := newAPI(t)
	res, _ := collect(t, &config.Channel{Type: "mastodon", APIURL: api.URL}, []string{"Gargron@mastodon.social", "@nobody@mastodon.social", "busy@example.social"})
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
