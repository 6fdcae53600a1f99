package collectors

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
)

const testGraphToken = "EAAGtest-graph-token"

// graphFake answers GET /v26.0/?ids=… as the Graph API does. Ids starting
// with 9 are made up; ids in missing make it answer #803 for the batch.
func graphFake(t *testing.T, file, mode string, missing ...string) *fake {
	var known map[string]json.RawMessage
	if err := json.Unmarshal(testdata(t, file), &known); err != nil {
		t.Fatal(err)
	}
	return newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("access_token") != "" {
			t.Error("the access token went into the URL")
		}
		if r.Header.Get("Authorization") != "Bearer "+testGraphToken {
			reply(w, http.StatusBadRequest, testdata(t, "facebook/token_expired.json"))
			return
		}
		switch mode {
		case "app_limit":
			reply(w, http.StatusForbidden, testdata(t, "facebook/app_limit.json"), "X-App-Usage", `{"call_count":100,"total_cputime":15,"total_time":12}`)
			return
		case "page_limit":
			reply(w, http.StatusBadRequest, testdata(t, "facebook/page_limit.json"))
			return
		case "ig_limit":
			reply(w, http.StatusForbidden, testdata(t, "instagram/rate_limited.json"))
			return
		case "not_found":
			reply(w, http.StatusBadRequest, testdata(t, "facebook/not_found.json"))
			return
		}
		if r.URL.Path != "/v26.0/" {
			reply(w, http.StatusBadRequest, []byte(`{"error":{"message":"Unknown path components","type":"OAuthException","code":2500}}`))
			return
		}
		ids := strings.Split(r.URL.Query().Get("ids"), ",")
		if len(ids) > GraphBatch {
			reply(w, http.StatusBadRequest, []byte(`{"error":{"message":"(#100) Too many IDs. Maximum: 50. Provided: 51.","type":"OAuthException","code":100}}`))
			return
		}
		var gone []string
		for _, id := range ids {
			if slices.Contains(missing, id) {
				gone = append(gone, id)
			}
		}
		if len(gone) > 0 {
			reply(w, http.StatusNotFound, []byte(fmt.Sprintf(`{"error":{"message":"(#803) Some of the aliases you requested do not exist: %s","type":"OAuthException","code":803,"fbtrace_id":"A1"}}`, strings.Join(gone, ","))))
			return
		}
		out := map[string]json.RawMessage{}
		for _, id := range ids {
			if v, ok := known[id]; ok {
				out[id] = v
			} else if strings.HasPrefix(id, "9") {
				out[id] = json.RawMessage(fmt.Sprintf(`{"followers_count": 10, "fan_count": 5, "follows_count": 3, "media_count": 2, "id": %q}`, id))
			}
		}
		b, _ := json.Marshal(out)
		reply(w, http.StatusOK, b)
	})
}

func graphChannel(typ, url, token string) *config.Channel {
	return &config.Channel{Type: typ, APIURL: url, Credentials: config.Credentials{AccessToken: config.Secret(token)}}
}

func TestFacebook(t *testing.T) {
	tests := []struct {
		name         string
		mode, token  string
		missing      []string
		accounts     []string
		wantReadings []Reading
		wantErrors   map[string]Reason
	}{
		{
			name: "counts are numbers; a missing fan_count is no reading", token: testGraphToken,
			accounts: []string{"20531316728", "104958162837"},
			wantReadings: []Reading{
				{"104958162837", "followers", 5123},
				{"20531316728", "followers", 154230118}, {"20531316728", "likes", 149872001},
			},
		},
		{
			name: "#803: asked again without the named ids, which alone are not found", token: testGraphToken,
			missing: []string{"123", "456"}, accounts: []string{"123", "20531316728", "456"},
			wantReadings: []Reading{{"20531316728", "followers", 154230118}, {"20531316728", "likes", 149872001}},
			wantErrors:   map[string]Reason{"123": NotFound, "456": NotFound},
		},
		{name: "code 4 with HTTP 403 is rate limited", mode: "app_limit", token: testGraphToken, accounts: []string{"20531316728"}, wantErrors: map[string]Reason{"20531316728": RateLimited}},
		{name: "code 32 with HTTP 400 is rate limited", mode: "page_limit", token: testGraphToken, accounts: []string{"20531316728"}, wantErrors: map[string]Reason{"20531316728": RateLimited}},
		{name: "code 190 with HTTP 400 is auth", token: "EAAGstale-token-XYZ", accounts: []string{"20531316728"}, wantErrors: map[string]Reason{"20531316728": Auth}},
		{name: "code 100/33 is not found", mode: "not_found", token: testGraphToken, accounts: []string{"123"}, wantErrors: map[string]Reason{"123": NotFound}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := graphFake(t, "facebook/pages.json", tt.mode, tt.missing...)
			res, _ := collect(t, graphChannel("facebook", f.URL, tt.token), tt.accounts)
			if !reflect.DeepEqual(res.Readings, tt.wantReadings) {
				t.Errorf("readings:\n got %v\nwant %v", res.Readings, tt.wantReadings)
			}
			if got := reasons(res); !reflect.DeepEqual(got, mapOrEmpty(tt.wantErrors)) {
				t.Errorf("errors: got %v, want %v (%v)", got, tt.wantErrors, res.Errors)
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
	f := graphFake(t, "instagram/users.json", "")
	res, _ := collect(t, graphChannel("instagram", f.URL, testGraphToken), []string{"17841405309211844"})
	want := []Reading{{"17841405309211844", "followers", 267793}, {"17841405309211844", "following", 120}, {"17841405309211844", "posts", 1205}}
	if !reflect.DeepEqual(res.Readings, want) || len(res.Errors) > 0 {
		t.Errorf("readings %v, errors %v", res.Readings, res.Errors)
	}
	f = graphFake(t, "instagram/users.json", "ig_limit")
	res, _ = collect(t, graphChannel("instagram", f.URL, testGraphToken), []string{"17841405309211844"})
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
			f := graphFake(t, "facebook/pages.json", "")
			res, _ := collect(t, graphChannel("facebook", f.URL, testGraphToken), accounts)
			if want := (n + GraphBatch - 1) / GraphBatch; f.calls() != want {
				t.Errorf("%d pages took %d calls, want %d", n, f.calls(), want)
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
	inner := graphFake(t, "facebook/pages.json", "")
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			reply(w, http.StatusInternalServerError, []byte(`{"error":{"message":"An unknown error occurred","type":"OAuthException","code":1,"is_transient":true}}`))
			return
		}
		inner.Config.Handler.ServeHTTP(w, r)
	})
	res, _ := collect(t, graphChannel("facebook", f.URL, testGraphToken), accounts)
	if len(res.Readings) != 100 || len(res.Errors) != 1 || len(res.Errors[0].Accounts) != 50 || res.Errors[0].Reason != Server {
		t.Errorf("got %d readings and %v; want the second batch's 100 readings and one server error for the first 50", len(res.Readings), res.Errors)
	}
}
