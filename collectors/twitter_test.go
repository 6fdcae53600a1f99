package collectors

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

func twitterChannel(url, api, token string) *config.Channel {
	return &config.Channel{Type: "twitter", Settings: &twitterSettings{API: api}, APIURL: url, Credentials: config.NewCredentials("bearer_token", token)}
}

func TestTwitterV2(t *testing.T) {
	tests := []struct {
		name         string
		mode, token  string
		accounts     []string
		wantReadings []Reading
		wantErrors   map[string]Reason
	}{
		{
			name: "a 200 with data and errors: values for the found, not_found for the others", token: fakeapi.XBearer,
			accounts: []string{"@XDevelopers", "nosuchuser123"},
			wantReadings: []Reading{
				{Account: "@XDevelopers", Metric: "followers", Value: 640512}, {Account: "@XDevelopers", Metric: "following", Value: 2010}, {Account: "@XDevelopers", Metric: "listed", Value: 2431}, {Account: "@XDevelopers", Metric: "posts", Value: 4123},
			},
			wantErrors: map[string]Reason{"nosuchuser123": NotFound},
		},
		{name: "401 is auth", token: "wrong", accounts: []string{"XDevelopers"}, wantErrors: map[string]Reason{"XDevelopers": Auth}},
		{name: "402 credits-depleted is payment", mode: "credits", token: fakeapi.XBearer, accounts: []string{"XDevelopers"}, wantErrors: map[string]Reason{"XDevelopers": Payment}},
		{name: "429 is rate limited", mode: "rate", token: fakeapi.XBearer, accounts: []string{"XDevelopers"}, wantErrors: map[string]Reason{"XDevelopers": RateLimited}},
		{name: "403 client-forbidden is auth", mode: "forbidden", token: fakeapi.XBearer, accounts: []string{"XDevelopers"}, wantErrors: map[string]Reason{"XDevelopers": Auth}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newAPI(t)
			api.Fail(fakeapi.X, tt.mode)
			res, _ := collect(t, twitterChannel(api.URL, "", tt.token), tt.accounts)
			if !reflect.DeepEqual(res.Readings, tt.wantReadings) {
				t.Errorf("readings:\n got %v\nwant %v", res.Readings, tt.wantReadings)
			}
			if got := reasons(res); !reflect.DeepEqual(got, mapOrEmpty(tt.wantErrors)) {
				t.Errorf("errors: got %v, want %v (%v)", got, tt.wantErrors, res.Errors)
			}
		})
	}
}

func TestTwitterBatching(t *testing.T) {
	for _, n := range []int{1, 100, 101, 250} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			api := newAPI(t)
			var accounts []string
			for i := range n {
				accounts = append(accounts, fmt.Sprintf("gen%d", i))
			}
			accounts[n/2] = "nosuchuser123"
			res, _ := collect(t, twitterChannel(api.URL, "v2", fakeapi.XBearer), accounts)
			if want := (n + TwitterBatch - 1) / TwitterBatch; api.Calls(fakeapi.X) != want {
				t.Errorf("%d users took %d calls, want %d", n, api.Calls(fakeapi.X), want)
			}
			if len(res.Readings) != 4*(n-1) || len(res.Errors) != 1 {
				t.Errorf("got %d readings and %v", len(res.Readings), res.Errors)
			}
		})
	}
}

func TestTwitterV1(t *testing.T) {
	tests := []struct {
		name         string
		mode, token  string
		wantReadings int
		wantErrors   map[string]Reason
		wantText     string
	}{
		{name: "lookup: found users read, missing ones not found", token: fakeapi.XBearer, wantReadings: 4, wantErrors: map[string]Reason{"nobody": NotFound}},
		{name: "453 says to use v2", mode: "453", token: fakeapi.XBearer, wantErrors: map[string]Reason{"XDevelopers": Version, "nobody": Version}, wantText: "use api: v2"},
		{name: "88 is rate limited", mode: "rate", token: fakeapi.XBearer, wantErrors: map[string]Reason{"XDevelopers": RateLimited, "nobody": RateLimited}},
		{name: "17 is not found", mode: "none", token: fakeapi.XBearer, wantErrors: map[string]Reason{"XDevelopers": NotFound, "nobody": NotFound}},
		{name: "89 is auth", token: "wrong", wantErrors: map[string]Reason{"XDevelopers": Auth, "nobody": Auth}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newAPI(t)
			api.Fail(fakeapi.XV1, tt.mode)
			res, _ := collect(t, twitterChannel(api.URL, "v1.1", tt.token), []string{"XDevelopers", "nobody"})
			if len(res.Readings) != tt.wantReadings {
				t.Errorf("got %d readings, want %d", len(res.Readings), tt.wantReadings)
			}
			if got := reasons(res); !reflect.DeepEqual(got, tt.wantErrors) {
				t.Errorf("errors: got %v, want %v (%v)", got, tt.wantErrors, res.Errors)
			}
			if tt.wantText != "" && (len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Error(), tt.wantText)) {
				t.Errorf("error %v does not say %q", res.Errors, tt.wantText)
			}
			if api.Calls(fakeapi.XV1) != 1 {
				t.Errorf("%d calls, want 1 (the api_url host, not api.twitter.com)", api.Calls(fakeapi.XV1))
			}
		})
	}
}
