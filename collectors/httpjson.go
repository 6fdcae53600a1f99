package collectors

import (
	"context"
	"fmt"
	"net/http"
	"sort"

	"github.com/tidwall/gjson"
)

// httpJSON reads numbers out of any JSON API: each account is a URL and each
// metric a GJSON path into its answer.
type httpJSON struct {
	env    Env
	header http.Header
}

func newHTTPJSON(env Env) (Collector, error) {
	h := http.Header{}
	c := env.Channel.Credentials
	if c.BearerToken.IsSet() {
		h.Set("Authorization", "Bearer "+c.BearerToken.Reveal())
	}
	for k, v := range c.Headers {
		h.Set(k, v.Reveal())
	}
	return &httpJSON{env: env, header: h}, nil
}

// Collect reads every account; see Collector.
func (j *httpJSON) Collect(ctx context.Context, accounts []string) Result {
	var res Result
	metrics := make([]string, 0, len(j.env.Channel.Metrics))
	for m := range j.env.Channel.Metrics {
		metrics = append(metrics, m)
	}
	sort.Strings(metrics)
	for _, account := range accounts {
		body, err := Get(ctx, j.env.Client, account, j.header, nil)
		if err != nil {
			res.fail(err, account)
			continue
		}
		if !gjson.ValidBytes(body) {
			res.fail(Fail(Decode, fmt.Errorf("the answer of %s is not JSON", ScrubURL(account))), account)
			continue
		}
		for _, m := range metrics {
			path := j.env.Channel.Metrics[m]
			v := gjson.GetBytes(body, path)
			if !v.Exists() || v.Type != gjson.Number {
				e := Fail(Decode, fmt.Errorf("path %q found %s, not a number", path, describe(v)), account)
				e.Metric = m
				res.Errors = append(res.Errors, e)
				continue
			}
			res.add(account, m, v.Float())
		}
	}
	return res
}

func describe(v gjson.Result) string {
	if !v.Exists() {
		return "nothing"
	}
	return v.Type.String()
}
