package collectors

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

func TestBluesky(t *testing.T) {
	tests := []struct {
		name         string
		mode         string
		accounts     []string
		wantReadings []Reading
		wantErrors   map[string]Reason
	}{
		{
			name:     "handles match case-insensitively, DIDs match, an omitted actor is not found",
			accounts: []string{"BSKY.app", "did:plc:z72i7hdynmk6r22z27h6tvur", "nobody.bsky.social"},
			wantReadings: []Reading{
				{Account: "BSKY.app", Metric: "followers", Value: 35250704}, {Account: "BSKY.app", Metric: "following", Value: 19}, {Account: "BSKY.app", Metric: "posts", Value: 870},
				{Account: "did:plc:z72i7hdynmk6r22z27h6tvur", Metric: "followers", Value: 35250704}, {Account: "did:plc:z72i7hdynmk6r22z27h6tvur", Metric: "following", Value: 19}, {Account: "did:plc:z72i7hdynmk6r22z27h6tvur", Metric: "posts", Value: 870},
			},
			wantErrors: map[string]Reason{"nobody.bsky.social": NotFound},
		},
		{name: "429 RateLimitExceeded is rate limited", mode: "rate", accounts: []string{"bsky.app"}, wantErrors: map[string]Reason{"bsky.app": RateLimited}},
		{name: "400 InvalidRequest is a server error", mode: "invalid", accounts: []string{"bsky.app"}, wantErrors: map[string]Reason{"bsky.app": Server}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newAPI(t)
			api.Fail(fakeapi.Bluesky, tt.mode)
			res, _ := collect(t, &config.Channel{Type: "bluesky", APIURL: api.URL}, tt.accounts)
			if !reflect.DeepEqual(res.Readings, tt.wantReadings) {
				t.Errorf("readings:\n got %v\nwant %v", res.Readings, tt.wantReadings)
			}
			if got := reasons(res); !reflect.DeepEqual(got, mapOrEmpty(tt.wantErrors)) {
				t.Errorf("errors: got %v, want %v", got, tt.wantErrors)
			}
		})
	}
}

func TestBlueskyBatching(t *testing.T) {
	for _, n := range []int{1, 25, 26, 60} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			api := newAPI(t)
			var accounts []string
			for i := range n {
				accounts = append(accounts, fmt.Sprintf("gen%d.bsky.social", i))
			}
			accounts[n/2] = "nobody.bsky.social"
			res, _ := collect(t, &config.Channel{Type: "bluesky", APIURL: api.URL}, accounts)
			if want := (n + BlueskyBatch - 1) / BlueskyBatch; api.Calls(fakeapi.Bluesky) != want {
				t.Errorf("%d actors took %d calls, want %d", n, api.Calls(fakeapi.Bluesky), want)
			}
			if len(res.Readings) != 3*(n-1) || len(res.Errors) != 1 {
				t.Errorf("got %d readings and %v", len(res.Readings), res.Errors)
			}
		})
	}
}
