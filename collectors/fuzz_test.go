package collectors

import (
	"context"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

// fuzzBase is where the plan of every type points; the fuzzer points each
// channel at its own server instead.
const fuzzBase = "http://fuzz.invalid"

type fuzzType struct {
	ch       config.Channel
	accounts []string
}

// fuzzTypes are the channels of the plan of every registered type (each
// type's fake registers them) that are collected, each with the accounts its
// decoder will look for in an answer.
func fuzzTypes(tb testing.TB) []fuzzType {
	cfg, err := config.Load("every-channel.yml", []byte(fakeapi.Plan(fuzzBase)), Types())
	if err != nil {
		tb.Fatal(err)
	}
	var out []fuzzType
	for _, name := range slices.Sorted(maps.Keys(cfg.Channels)) {
		ch := cfg.Channels[name]
		if registry[ch.Type].New == nil {
			continue
		}
		out = append(out, fuzzType{ch: *ch, accounts: ch.Accounts})
	}
	return out
}

// FuzzDecoders answers every channel's requests with arbitrary bodies and
// status codes: a collector may fail, but must not panic, and must never
// return a reading that is not a finite number.
func FuzzDecoders(f *testing.F) {
	attempts := RetryAttempts
	RetryAttempts = 1
	f.Cleanup(func() { RetryAttempts = attempts })
	types := fuzzTypes(f)
	seeds, _ := fs.Glob(fakeapi.Files(), "testdata/*/*")
	for _, name := range seeds {
		body := fakeapi.File(strings.TrimPrefix(name, "testdata/"))
		for i := range types {
			f.Add(uint8(i), uint16(200), body)
		}
		f.Add(uint8(0), uint16(403), body)
		f.Add(uint8(3), uint16(400), body)
	}
	f.Fuzz(func(t *testing.T, which uint8, code uint16, body []byte) {
		ft := types[int(which)%len(types)]
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
		ch.Settings = pointedAt(ch.Settings, srv.URL)
		accounts := append([]string(nil), ft.accounts...)
		for i, a := range accounts {
			accounts[i] = strings.Replace(a, fuzzBase, srv.URL, 1)
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

// pointedAt is a copy of a channel's settings whose URLs (a token
// endpoint) lead to url instead of fuzzBase.
func pointedAt(settings any, url string) any {
	if settings == nil {
		return nil
	}
	v := reflect.New(reflect.TypeOf(settings).Elem())
	v.Elem().Set(reflect.ValueOf(settings).Elem())
	for i := range v.Elem().NumField() {
		if f := v.Elem().Field(i); f.Kind() == reflect.String {
			f.SetString(strings.Replace(f.String(), fuzzBase, url, 1))
		}
	}
	return v.Interface()
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
