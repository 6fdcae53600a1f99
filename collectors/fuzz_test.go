package collectors

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

// fuzzTypes are the channel types whose decoders the fuzzer feeds, each with
// accounts that its decoder will look for in the answer.
var fuzzTypes = []struct {
	ch       config.Channel
	accounts []string
}{
	{config.Channel{Type: "youtube", Credentials: config.NewCredentials("api_key", "k")}, []string{"UC_x5XG1OV2P6uZZ5FSM9Ttw", "UCHiddenSubs000000000000"}},
	{config.Channel{Type: "twitter", Credentials: config.NewCredentials("bearer_token", "t")}, []string{"XDevelopers", "nosuchuser123"}},
	{config.Channel{Type: "twitter", API: "v1.1", Credentials: config.NewCredentials("bearer_token", "t")}, []string{"XDevelopers"}},
	{config.Channel{Type: "facebook", Credentials: config.NewCredentials("access_token", "t")}, []string{"20531316728", "104958162837"}},
	{config.Channel{Type: "instagram", Credentials: config.NewCredentials("access_token", "t")}, []string{"17841405309211844"}},
	{config.Channel{Type: "linkedin", Credentials: config.NewCredentials("access_token", "t")}, []string{"1234567"}},
	{config.Channel{Type: "mastodon"}, []string{"Gargron@mastodon.social"}},
	{config.Channel{Type: "bluesky"}, []string{"bsky.app", "did:plc:z72i7hdynmk6r22z27h6tvur"}},
	{config.Channel{Type: "feed"}, []string{"/feed.xml"}},
	{config.Channel{Type: "http_json", Metrics: map[string]string{"a": "stats.member_count", "b": "data.#.n"}}, []string{"/data.json"}},
}

// FuzzDecoders answers every channel's requests with arbitrary bodies and
// status codes: a collector may fail, but must not panic, and must never
// return a reading that is not a finite number.
func FuzzDecoders(f *testing.F) {
	attempts := RetryAttempts
	RetryAttempts = 1
	f.Cleanup(func() { RetryAttempts = attempts })
	seeds, _ := fs.Glob(fakeapi.Files(), "testdata/*/*")
	for _, name := range seeds {
		body := fakeapi.File(strings.TrimPrefix(name, "testdata/"))
		for i := range fuzzTypes {
			f.Add(uint8(i), uint16(200), body)
		}
		f.Add(uint8(0), uint16(403), body)
		f.Add(uint8(3), uint16(400), body)
	}
	f.Fuzz(func(t *testing.T, which uint8, code uint16, body []byte) {
		ft := fuzzTypes[int(which)%len(fuzzTypes)]
		if code < 200 || code > 599 {
			code = 200
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", string(body[:min(len(body), 8)]))
			w.WriteHeader(int(code))
			_, _ = w.Write(body)
		}))
		defer srv.Close()
		ch := ft.ch
		ch.Name, ch.APIURL, ch.Timeout = ch.Type, srv.URL, 5*time.Second
		accounts := append([]string(nil), ft.accounts...)
		for i, a := range accounts {
			if strings.HasPrefix(a, "/") {
				accounts[i] = srv.URL + a
			}
		}
		c, err := New(Env{Channel: &ch, Client: NewHTTPClient(ch.Timeout, nil, NewLimiter())})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res := c.Collect(ctx, accounts)
		for _, r := range res.Readings {
			if r.Value != r.Value || r.Value > 1e300 || r.Value < -1e300 {
				t.Errorf("%s gave a reading that is not a finite number: %+v", ch.Type, r)
			}
		}
	})
}

// FuzzResetTime feeds arbitrary rate-limit headers to their parser.
func FuzzResetTime(f *testing.F) {
	f.Add("120", "0", "1767225600", `{"call_count":100}`, `{"1":[{"estimated_time_to_regain_access":5}]}`)
	f.Add("Mon, 02 Mar 2026 10:05:00 GMT", "0", "2026-03-02T10:05:00.123456Z", "", "")
	f.Fuzz(func(_ *testing.T, retryAfter, remaining, reset, appUsage, buc string) {
		h := http.Header{}
		h.Set("Retry-After", retryAfter)
		h.Set("X-Rate-Limit-Remaining", remaining)
		h.Set("X-Rate-Limit-Reset", reset)
		h.Set("RateLimit-Reset", reset)
		h.Set("X-App-Usage", appUsage)
		h.Set("X-Business-Use-Case-Usage", buc)
		ResetTime(429, h, time.Now())
	})
}
