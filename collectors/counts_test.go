package collectors

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

// A count is a non-negative whole number: an API's -1, null or absent count
// is a decode error for that account and metric, never a value, while the
// other counts of the same answer are kept.
func TestImpossibleCountsAreDecodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		ch      config.Channel
		body    string // testdata file
		account string
		metric  string // the one refused
		kept    []string
	}{
		{"linkedin -1", config.Channel{Type: "linkedin"}, "linkedin/negative_count.json", "1234567", "followers", nil},
		{"facebook -1", config.Channel{Type: "facebook"}, "facebook/negative_count.json", "20531316728", "followers", []string{"likes"}},
		{"instagram -1", config.Channel{Type: "instagram"}, "instagram/negative_count.json", "17841405309211844", "followers", []string{"following", "posts"}},
		{"x v2 -1", config.Channel{Type: "twitter"}, "twitter/negative_count.json", "acme", "followers", []string{"following", "listed", "posts"}},
		{"x v1.1 -1", config.Channel{Type: "twitter", Settings: &twitterSettings{API: "v1.1"}}, "twitter_v1/negative_count.json", "acme", "followers", []string{"following", "listed", "posts"}},
		{"x v1.1 null", config.Channel{Type: "twitter", Settings: &twitterSettings{API: "v1.1"}}, "twitter_v1/null_count.json", "acme", "followers", []string{"following", "listed", "posts"}},
		{"x v1.1 absent", config.Channel{Type: "twitter", Settings: &twitterSettings{API: "v1.1"}}, "twitter_v1/absent_count.json", "acme", "followers", []string{"following", "listed", "posts"}},
		{"bluesky -1", config.Channel{Type: "bluesky"}, "bluesky/negative_count.json", "acme.bsky.social", "followers", []string{"following", "posts"}},
		{"mastodon -1", config.Channel{Type: "mastodon"}, "mastodon/negative_count.json", "acme@mastodon.social", "followers", []string{"following", "posts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				_, _ = w.Write(fakeapi.File(tt.body))
			})
			ch := tt.ch
			ch.APIURL = f.URL
			ch.Credentials = config.NewCredentials("access_token", "t", "bearer_token", "t")
			res, _ := collect(t, &ch, []string{tt.account})
			var got []string
			for _, r := range res.Readings {
				got = append(got, r.Metric)
			}
			if !reflect.DeepEqual(got, tt.kept) {
				t.Errorf("readings %v, want only %v", res.Readings, tt.kept)
			}
			if want := map[string]Reason{tt.account + "/" + tt.metric: Decode}; !reflect.DeepEqual(reasons(res), want) {
				t.Errorf("errors %v, want %v", res.Errors, want)
			}
		})
	}
}

// X v1.1 answers that are not in v1.1's shape keep their HTTP meaning; an
// empty 200 is unreadable, not "no such user".
func TestTwitterV1OddAnswers(t *testing.T) {
	tests := []struct {
		name        string
		code        int
		contentType string
		body        string
		want        Reason
	}{
		{"401 with an HTML page", http.StatusUnauthorized, "text/html", "<html>Unauthorized</html>", Auth},
		{"500 with a body not in v1.1's shape", http.StatusInternalServerError, "application/json", `{"message":"Internal error"}`, Server},
		{"an empty 200", http.StatusOK, "application/json", "", Decode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.code)
				_, _ = w.Write([]byte(tt.body))
			})
			ch := &config.Channel{Type: "twitter", Settings: &twitterSettings{API: "v1.1"}, APIURL: f.URL, Credentials: config.NewCredentials("bearer_token", "t")}
			res, _ := collect(t, ch, []string{"acme"})
			if got := reasons(res)["acme"]; got != tt.want || len(res.Readings) > 0 {
				t.Errorf("reason %q (%v), want %q", got, res.Errors, tt.want)
			}
		})
	}
}
