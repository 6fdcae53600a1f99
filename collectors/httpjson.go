package collectors

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/kpi-collector/kpi-collector/config"

	"github.com/tidwall/gjson"
)

func init() {
	register("http_json", Spec{
		TypeSpec: config.TypeSpec{
			UserMetrics:         true,
			Options:             []string{"concurrency"},
			Settings:            &httpJSONSettings{},
			OptionalCredentials: []string{"bearer_token"},
			CredentialMaps:      true,
			// credentials.query and .headers are optional: no Credentials entry.
			DefaultSchedule:    "@every 1h",
			DefaultTimeout:     30 * time.Second,
			DefaultConcurrency: 2,
			AccountCheck:       checkHTTPURL,
		},
		New: newHTTPJSON,
	})
}

// httpJSONSettings are an http_json channel's own keys: metrics maps each
// metric to a GJSON path into the answer.
type httpJSONSettings struct {
	config.UserMetrics `yaml:",inline"`
}

// httpJSON reads numbers out of any JSON API: each account is a URL and each
// metric a GJSON path into its answer.
type httpJSON struct {
	env     Env
	metrics map[string]string // metric -> GJSON path
	header  http.Header
	query   url.Values
}

func newHTTPJSON(env Env) (Collector, error) {
	h := http.Header{}
	c := env.Channel.Credentials
	if c.Get("bearer_token").IsSet() {
		h.Set("Authorization", "Bearer "+c.Get("bearer_token").Reveal())
	}
	for k, v := range c.Headers {
		h.Set(k, v.Reveal())
	}
	q := url.Values{}
	for k, v := range c.Query {
		q.Set(k, v.Reveal())
	}
	return &httpJSON{env: env, metrics: settingsOf[httpJSONSettings](env).Metrics, header: h, query: q}, nil
}

// Collect reads every account; see Collector.
func (j *httpJSON) Collect(ctx context.Context, accounts []string) Result {
	metrics := make([]string, 0, len(j.metrics))
	for m := range j.metrics {
		metrics = append(metrics, m)
	}
	sort.Strings(metrics)
	return EachBatch(ctx, accounts, 1, j.env.Channel.Concurrency, func(ctx context.Context, batch []string) Result {
		var res Result
		account := batch[0]
		body, err := Get(ctx, j.env.Client, withQuery(account, j.query), j.header, nil)
		if err != nil {
			res.fail(err, account)
			return res
		}
		if !gjson.ValidBytes(body) {
			res.fail(Fail(Decode, fmt.Errorf("the answer of %s is not JSON", ScrubURL(account))), account)
			return res
		}
		for _, m := range metrics {
			path := j.metrics[m]
			n, err := jsonNumber(gjson.GetBytes(body, path))
			if err != nil {
				e := Fail(Decode, fmt.Errorf("path %q: %w", path, err), account)
				e.Metric = m
				res.Errors = append(res.Errors, e)
				continue
			}
			res.add(account, m, n)
		}
		return res
	})
}

// withQuery adds the credential query parameters to an account's URL.
func withQuery(account string, q url.Values) string {
	if len(q) == 0 {
		return account
	}
	u, err := url.Parse(account)
	if err != nil {
		return account
	}
	all := u.Query()
	for k, vs := range q {
		all[k] = vs
	}
	u.RawQuery = all.Encode()
	return u.String()
}

// plainDecimal is a number as many APIs write counts, in a JSON string.
var plainDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// jsonNumber reads a finite JSON number, or a string holding a plain decimal
// number ("1927873", as YouTube, GA4 and Matomo write counts). A string such
// as "1.2K" or "45%" is refused: its number is a rounding or another unit.
func jsonNumber(v gjson.Result) (float64, error) {
	switch {
	case v.Type == gjson.Number:
		f := v.Float()
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return 0, fmt.Errorf("found %s, which is beyond what a number can hold", v.Raw)
		}
		return f, nil
	case v.Type == gjson.String && plainDecimal.MatchString(v.Str):
		f, err := strconv.ParseFloat(v.Str, 64)
		if err != nil || math.IsInf(f, 0) {
			return 0, fmt.Errorf("found the string %q, which is beyond what a number can hold", v.Str)
		}
		return f, nil
	case v.Type == gjson.String:
		return 0, fmt.Errorf("found the string %q, not a plain decimal number (a rounded or unit-suffixed figure is not a count)", v.Str)
	default:
		return 0, fmt.Errorf("found %s, not a number", describe(v))
	}
}

func describe(v gjson.Result) string {
	if !v.Exists() {
		return "nothing"
	}
	return v.Type.String()
}
