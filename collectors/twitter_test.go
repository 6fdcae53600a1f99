package collectors

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
)

const testBearer = "AAAAAAAAAAAAAAAAAAAAAtest-bearer"

// twitterFake answers /2/users/by as X does: found users in data, the others
// in errors; names starting with gen are made up on the fly.
func twitterFake(t *testing.T, mode string) *fake {
	var page twitterUsers
	if err := json.Unmarshal(testdata(t, "twitter/users_partial.json"), &page); err != nil {
		t.Fatal(err)
	}
	return newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testBearer {
			reply(w, http.StatusUnauthorized, testdata(t, "twitter/unauthorized.json"), "Content-Type", "application/problem+json")
			return
		}
		switch mode {
		case "credits":
			reply(w, http.StatusPaymentRequired, testdata(t, "twitter/credits_depleted.json"), "Content-Type", "application/problem+json")
			return
		case "rate":
			reply(w, http.StatusTooManyRequests, testdata(t, "twitter/rate_limited.json"),
				"x-rate-limit-limit", "300", "x-rate-limit-remaining", "0", "x-rate-limit-reset", "1767225600")
			return
		case "forbidden":
			reply(w, http.StatusForbidden, testdata(t, "twitter/client_forbidden.json"))
			return
		}
		if r.URL.Path != "/2/users/by" || r.URL.Query().Get("user.fields") != "public_metrics" {
			reply(w, http.StatusNotFound, []byte(`{"title":"Not Found"}`))
			return
		}
		names := strings.Split(r.URL.Query().Get("usernames"), ",")
		if len(names) > TwitterBatch {
			reply(w, http.StatusBadRequest, []byte(`{"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}`))
			return
		}
		var data, errs []any
		for _, n := range names {
			switch {
			case strings.EqualFold(n, "XDevelopers"):
				data = append(data, page.Data[0])
			case strings.HasPrefix(n, "gen"):
				data = append(data, map[string]any{"id": n, "username": n, "public_metrics": map[string]int{"followers_count": 1, "following_count": 2, "tweet_count": 3, "listed_count": 4}})
			default:
				errs = append(errs, map[string]any{"value": n, "detail": fmt.Sprintf("Could not find user with usernames: [%s].", n), "title": "Not Found Error",
					"type": "https://api.twitter.com/2/problems/resource-not-found"})
			}
		}
		body := map[string]any{}
		if data != nil {
			body["data"] = data
		}
		if errs != nil {
			body["errors"] = errs
		}
		b, _ := json.Marshal(body)
		reply(w, http.StatusOK, b)
	})
}

func twitterChannel(url, api, token string) *config.Channel {
	return &config.Channel{Type: "twitter", API: api, APIURL: url, Credentials: config.Credentials{BearerToken: config.Secret(token)}}
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
			name: "a 200 with data and errors: values for the found, not_found for the others", token: testBearer,
			accounts: []string{"@XDevelopers", "nosuchuser123"},
			wantReadings: []Reading{
				{"@XDevelopers", "followers", 640512}, {"@XDevelopers", "following", 2010}, {"@XDevelopers", "listed", 2431}, {"@XDevelopers", "posts", 4123},
			},
			wantErrors: map[string]Reason{"nosuchuser123": NotFound},
		},
		{name: "401 is auth", token: "wrong", accounts: []string{"XDevelopers"}, wantErrors: map[string]Reason{"XDevelopers": Auth}},
		{name: "402 credits-depleted is payment", mode: "credits", token: testBearer, accounts: []string{"XDevelopers"}, wantErrors: map[string]Reason{"XDevelopers": Payment}},
		{name: "429 is rate limited", mode: "rate", token: testBearer, accounts: []string{"XDevelopers"}, wantErrors: map[string]Reason{"XDevelopers": RateLimited}},
		{name: "403 client-forbidden is auth", mode: "forbidden", token: testBearer, accounts: []string{"XDevelopers"}, wantErrors: map[string]Reason{"XDevelopers": Auth}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := twitterFake(t, tt.mode)
			res, _ := collect(t, twitterChannel(f.URL, "", tt.token), tt.accounts)
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
			f := twitterFake(t, "")
			var accounts []string
			for i := range n {
				accounts = append(accounts, fmt.Sprintf("gen%d", i))
			}
			accounts[n/2] = "nosuchuser123"
			res, _ := collect(t, twitterChannel(f.URL, "v2", testBearer), accounts)
			if want := (n + TwitterBatch - 1) / TwitterBatch; f.calls() != want {
				t.Errorf("%d users took %d calls, want %d", n, f.calls(), want)
			}
			if len(res.Readings) != 4*(n-1) || len(res.Errors) != 1 {
				t.Errorf("got %d readings and %v", len(res.Readings), res.Errors)
			}
		})
	}
}

// twitterV1Fake answers /1.1/users/lookup.json as v1.1 did.
func twitterV1Fake(t *testing.T, mode string) *fake {
	return newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/1.1/users/lookup.json" || r.Header.Get("Authorization") != "Bearer "+testBearer {
			reply(w, http.StatusUnauthorized, []byte(`{"errors":[{"code":89,"message":"Invalid or expired token."}]}`))
			return
		}
		switch mode {
		case "453":
			reply(w, http.StatusForbidden, testdata(t, "twitter_v1/access_level.json"))
		case "rate":
			reply(w, http.StatusTooManyRequests, testdata(t, "twitter_v1/rate_limited.json"), "x-rate-limit-remaining", "0", "x-rate-limit-reset", "1767225600")
		case "none":
			reply(w, http.StatusNotFound, testdata(t, "twitter_v1/no_user_matches.json"))
		default:
			reply(w, http.StatusOK, testdata(t, "twitter_v1/lookup.json"))
		}
	})
}

func TestTwitterV1(t *testing.T) {
	tests := []struct {
		name         string
		mode, token  string
		wantReadings int
		wantErrors   map[string]Reason
		wantText     string
	}{
		{name: "lookup: found users read, missing ones not found", token: testBearer, wantReadings: 4, wantErrors: map[string]Reason{"nobody": NotFound}},
		{name: "453 says to use v2", mode: "453", token: testBearer, wantErrors: map[string]Reason{"XDevelopers": Version, "nobody": Version}, wantText: "use api: v2"},
		{name: "88 is rate limited", mode: "rate", token: testBearer, wantErrors: map[string]Reason{"XDevelopers": RateLimited, "nobody": RateLimited}},
		{name: "17 is not found", mode: "none", token: testBearer, wantErrors: map[string]Reason{"XDevelopers": NotFound, "nobody": NotFound}},
		{name: "89 is auth", token: "wrong", wantErrors: map[string]Reason{"XDevelopers": Auth, "nobody": Auth}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := twitterV1Fake(t, tt.mode)
			res, _ := collect(t, twitterChannel(f.URL, "v1.1", tt.token), []string{"XDevelopers", "nobody"})
			if len(res.Readings) != tt.wantReadings {
				t.Errorf("got %d readings, want %d", len(res.Readings), tt.wantReadings)
			}
			if got := reasons(res); !reflect.DeepEqual(got, tt.wantErrors) {
				t.Errorf("errors: got %v, want %v (%v)", got, tt.wantErrors, res.Errors)
			}
			if tt.wantText != "" && (len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Error(), tt.wantText)) {
				t.Errorf("error %v does not say %q", res.Errors, tt.wantText)
			}
			if f.calls() != 1 {
				t.Errorf("%d calls, want 1 (the api_url host, not api.twitter.com)", f.calls())
			}
		})
	}
}
