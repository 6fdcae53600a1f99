package collectors

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

func graphChannel(typ, url, token string) *config.Channel {
	return &config.Channel{Type: typ, APIURL: url, Credentials: config.NewCredentials("access_token", token)}
}

func TestFacebook(t *testing.T) {
	tests := []struct {
		name         string
		mode, token  string
		accounts     []string
		wantReadings []Reading
		wantErrors   map[string]Reason
		wantMessage  string
	}{
		{
			name: "counts are numbers; a missing fan_count is no reading", token: fakeapi.GraphToken,
			accounts: []string{"20531316728", "104958162837"},
			wantReadings: []Reading{
				{Account: "104958162837", Metric: "followers", Value: 5123},
				{Account: "20531316728", Metric: "followers", Value: 154230118}, {Account: "20531316728", Metric: "likes", Value: 149872001},
			},
		},
		{
			name: "#803: asked again without the named ids, which alone are not found", token: fakeapi.GraphToken,
			accounts:     []string{"123", "20531316728", "456"},
			wantReadings: []Reading{{Account: "20531316728", Metric: "followers", Value: 154230118}, {Account: "20531316728", Metric: "likes", Value: 149872001}},
			wantErrors:   map[string]Reason{"123": NotFound, "456": NotFound},
		},
		{name: "code 4 with HTTP 403 is rate limited", mode: "app_limit", token: fakeapi.GraphToken, accounts: []string{"20531316728"}, wantErrors: map[string]Reason{"20531316728": RateLimited}},
		{name: "code 32 with HTTP 400 is rate limited", mode: "page_limit", token: fakeapi.GraphToken, accounts: []string{"20531316728"}, wantErrors: map[string]Reason{"20531316728": RateLimited}},
		{name: "code 190 with HTTP 400 is auth", token: "EAAGstale-token-XYZ", accounts: []string{"20531316728"}, wantErrors: map[string]Reason{"20531316728": Auth}},
		{name: "code 100/33 is not found", mode: "not_found", token: fakeapi.GraphToken, accounts: []string{"123"}, wantErrors: map[string]Reason{"123": NotFound}},
		{name: "code 100 wanting Page Public Content Access is auth", mode: "ppca", token: fakeapi.GraphToken, accounts: []string{"20531316728"}, wantErrors: map[string]Reason{"20531316728": Auth}, wantMessage: "pages_read_engagement"},
		{name: "code 100 for a missing permission is auth", mode: "permission", token: fakeapi.GraphToken, accounts: []string{"20531316728"}, wantErrors: map[string]Reason{"20531316728": Auth}, wantMessage: "Page Public Content Access"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newAPI(t)
			api.Fail(fakeapi.Graph, tt.mode)
			res, _ := collect(t, graphChannel("facebook", api.URL, tt.token), tt.accounts)
			if !reflect.DeepEqual(res.Readings, tt.wantReadings) {
				t.Errorf("readings:\n got %v\nwant %v", res.Readings, tt.wantReadings)
			}
			if got := reasons(res); !reflect.DeepEqual(got, mapOrEmpty(tt.wantErrors)) {
				t.Errorf("errors: got %v, want %v (%v)", got, tt.wantErrors, res.Errors)
			}
			if tt.wantMessage != "" && (len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Error(), tt.wantMessage)) {
				t.Errorf("errors %v do not say %q", res.Errors, tt.wantMessage)
			}
			for _, e := range res.Errors {
				if strings.Contains(e.Error(), tt.token) {
					t.Errorf("an error shows the token: %v", e)
				}
			}
		})
	}
}

func TestInstagram(t *testing.T) {
	api := newAPI(t)
	res, _ := collect(t, graphChannel("instagram", api.URL, fakeapi.GraphToken), []string{"17841405309211844"})
	want := []Reading{{Account: "17841405309211844", Metric: "followers", Value: 267793}, {Account: "17841405309211844", Metric: "following", Value: 120}, {Account: "17841405309211844", Metric: "posts", Value: 1205}}
	if !reflect.DeepEqual(res.Readings, want) || len(res.Errors) > 0 {
		t.Errorf("readings %v, errors %v", res.Readings, res.Errors)
	}
	api.Fail(fakeapi.Graph, "ig_limit")
	res, _ = collect(t, graphChannel("instagram", api.URL, fakeapi.GraphToken), []string{"17841405309211844"})
	if got := reasons(res); got["17841405309211844"] != RateLimited {
		t.Errorf("code 4 subcode 2207051: %v, want rate limited", got)
	}
}

func TestGraphBatching(t *testing.T) {
	for _, n := range []int{1, 50, 51, 130} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var accounts []string
			for i := range n {
				accounts = append(accounts, fmt.Sprintf("9%04d", i))
			}
			api := newAPI(t)
			res, _ := collect(t, graphChannel("facebook", api.URL, fakeapi.GraphToken), accounts)
			if want := (n + GraphBatch - 1) / GraphBatch; api.Calls(fakeapi.Graph) != want {
				t.Errorf("%d pages took %d calls, want %d", n, api.Calls(fakeapi.Graph), want)
			}
			if len(res.Readings) != 2*n {
				t.Errorf("got %d readings, want %d", len(res.Readings), 2*n)
			}
		})
	}
}

// A failing batch does not lose the others.
func TestGraphFailingBatchKeepsOthers(t *testing.T) {
	var accounts []string
	for i := range 100 {
		accounts = append(accounts, fmt.Sprintf("9%04d", i))
	}
	var calls atomic.Int32
	inner := newAPI(t)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if strings.Contains(r.URL.Query().Get("ids"), "90000") {
			inner.Fail(fakeapi.Graph, "server") // the first batch fails every time, retries included
		} else {
			inner.Fail(fakeapi.Graph, "")
		}
		inner.Config.Handler.ServeHTTP(w, r)
	})
	res, _ := collect(t, graphChannel("facebook", f.URL, fakeapi.GraphToken), accounts)
	if len(res.Readings) != 100 || len(res.Errors) != 1 || len(res.Errors[0].Accounts) != 50 || res.Errors[0].Reason != Server {
		t.Errorf("got %d readings and %v; want the second batch's 100 readings and one server error for the first 50", len(res.Readings), res.Errors)
	}
}
