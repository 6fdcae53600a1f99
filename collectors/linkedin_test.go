package collectors

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

func TestLinkedIn(t *testing.T) {
	api := newAPI(t)
	token := fakeapi.LinkedInToken
	ch := func(tok, version string) *config.Channel {
		return &config.Channel{Name: "linkedin", Type: "linkedin", APIURL: api.URL, Settings: &linkedInSettings{APIVersion: config.APIVersion{Version: version}}, Credentials: config.NewCredentials("access_token", tok)}
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
			wantReadings: []Reading{{Account: "1234567", Metric: "followers", Value: 219145}, {Account: "urn:li:organization:1234567", Metric: "followers", Value: 219145}},
			wantErrors:   map[string]Reason{"404": NotFound, "7777": RateLimited},
		},
		{
			name: "426 NONEXISTENT_VERSION names the setting", ch: ch(token, fakeapi.RetiredLinkedInVersion),
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
