package collectors

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
)

func TestLinkedIn(t *testing.T) {
	const token = "AQVlinkedin-test-token"
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Authorization") != "Bearer "+token:
			reply(w, http.StatusUnauthorized, testdata(t, "linkedin/invalid_token.json"))
		case r.Header.Get("LinkedIn-Version") == "202401":
			reply(w, http.StatusUpgradeRequired, testdata(t, "linkedin/nonexistent_version.json"))
		case r.Header.Get("X-Restli-Protocol-Version") != "2.0.0" || r.URL.Query().Get("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER":
			reply(w, http.StatusBadRequest, []byte(`{"status":400,"message":"bad request"}`))
		case r.URL.EscapedPath() == "/rest/networkSizes/urn%3Ali%3Aorganization%3A1234567":
			reply(w, http.StatusOK, testdata(t, "linkedin/network_size.json"))
		case strings.HasSuffix(r.URL.Path, ":7777"):
			reply(w, http.StatusTooManyRequests, testdata(t, "linkedin/throttled.json"))
		default:
			reply(w, http.StatusNotFound, []byte(`{"status":404,"code":"NOT_FOUND","message":"Not found"}`))
		}
	})
	ch := func(tok, version string) *config.Channel {
		return &config.Channel{Name: "linkedin", Type: "linkedin", APIURL: f.URL, Version: version, Credentials: config.Credentials{AccessToken: config.Secret(tok)}}
	}
	tests := []struct {
		name         string
		ch           *config.Channel
		wantReadings []Reading
		wantErrors   map[string]Reason
		wantText     string
	}{
		{
			name: "ids and URNs; unknown is not found; 429 is rate limited", ch: ch(token, ""),
			wantReadings: []Reading{{"1234567", "followers", 219145}, {"urn:li:organization:1234567", "followers", 219145}},
			wantErrors:   map[string]Reason{"404": NotFound, "7777": RateLimited},
		},
		{
			name: "426 NONEXISTENT_VERSION names the setting", ch: ch(token, "202401"),
			wantErrors: map[string]Reason{"1234567": Version, "urn:li:organization:1234567": Version, "404": Version, "7777": Version},
			wantText:   "set channels.linkedin.version",
		},
		{
			name: "401 is auth", ch: ch("expired", ""),
			wantErrors: map[string]Reason{"1234567": Auth, "urn:li:organization:1234567": Auth, "404": Auth, "7777": Auth},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := collect(t, tt.ch, []string{"1234567", "urn:li:organization:1234567", "404", "7777"})
			if !reflect.DeepEqual(res.Readings, tt.wantReadings) {
				t.Errorf("readings:\n got %v\nwant %v", res.Readings, tt.wantReadings)
			}
			if got := reasons(res); !reflect.DeepEqual(got, mapOrEmpty(tt.wantErrors)) {
				t.Errorf("errors: got %v, want %v (%v)", got, tt.wantErrors, res.Errors)
			}
			if tt.wantText != "" && !strings.Contains(res.Errors[0].Error(), tt.wantText) {
				t.Errorf("%v does not say %q", res.Errors[0], tt.wantText)
			}
		})
	}
}
