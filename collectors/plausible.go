package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
)

func init() {
	register("plausible", Spec{
		TypeSpec: config.TypeSpec{
			Metrics:     plausibleMetrics,
			Credentials: []string{"api_key"},
			Options:     []string{"concurrency"},
			Settings:    &plausibleSettings{Window: 28},
			Windowed:    true,
			DataLag:     24 * time.Hour, // the window ends yesterday
			// 600 requests an hour per key: one query a site and run.
			DefaultSchedule:    "@every 1h",
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 2,
			AccountCheck:       checkPlausibleSite,
		},
		Ratios: []string{"bounce_rate", "views_per_visit", "visit_duration"},
		New:    newPlausible,
	})
}

// plausibleMetrics are the aggregate metrics read, in the query's order.
// bounce_rate is a fraction (0.53), as GA4 gives it, not Plausible's percent.
var plausibleMetrics = []string{"visitors", "visits", "pageviews", "events", "bounce_rate", "visit_duration", "views_per_visit"}

// PlausibleMaxWindow bounds a window: ten years.
const PlausibleMaxWindow = 3653

// plausibleSettings are a plausible channel's own keys.
type plausibleSettings struct {
	// Window is the rolling window, ending yesterday.
	Window config.Days `yaml:"window"`
	// Filters narrow the figures, all at once (visit:source is Google).
	Filters []plausibleFilter `yaml:"filters"`
}

type plausibleFilter struct {
	Dimension string   `yaml:"dimension"` // visit:source, event:page, visit:country, …
	Operator  string   `yaml:"operator"`  // is, is_not, contains, contains_not, matches, matches_not
	Values    []string `yaml:"values"`    // any of them matches
}

var (
	plausibleOperators = []string{"is", "is_not", "contains", "contains_not", "matches", "matches_not"}
	plausibleDimension = regexp.MustCompile(`^(event|visit):[a-z_:]+$|^event:props:.+$`)
)

// Validate checks the settings; see config.SettingProblem.
func (s *plausibleSettings) Validate() error {
	var errs []error
	if s.Window <= 0 || s.Window > PlausibleMaxWindow {
		errs = append(errs, config.SettingProblem([]any{"window"}, "window: %s must be 1d to %dd", s.Window, PlausibleMaxWindow))
	}
	for i, f := range s.Filters {
		switch {
		case !plausibleDimension.MatchString(f.Dimension):
			errs = append(errs, config.SettingProblem([]any{"filters", i, "dimension"}, "filters[%d].dimension: %q is not a Plausible dimension (visit:source, event:page, visit:country, …)", i, f.Dimension))
		case !slices.Contains(plausibleOperators, f.Operator):
			errs = append(errs, config.SettingProblem([]any{"filters", i, "operator"}, "filters[%d].operator: %q is not an operator; give one of %s", i, f.Operator, strings.Join(plausibleOperators, ", ")))
		case len(f.Values) == 0:
			errs = append(errs, config.SettingProblem([]any{"filters", i}, "filters[%d].values is missing: what the %s is compared with", i, f.Dimension))
		}
	}
	return errors.Join(errs...)
}

var plausibleSite = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(/[^\s]*)?$`)

func checkPlausibleSite(s string) error {
	if !plausibleSite.MatchString(s) {
		return errors.New("must be a Plausible site id, the domain as added to Plausible (example.com)")
	}
	return nil
}

// plausible reads sites' aggregate figures over a rolling window with the
// Stats API v2: one query a site and run, every metric in it.
type plausible struct {
	env      Env
	settings *plausibleSettings
	url      string
	header   http.Header
}

func newPlausible(env Env) (Collector, error) {
	settings := settingsOf[plausibleSettings](env)
	base := env.Channel.APIURL
	if base == "" {
		base = "https://plausible.io"
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+env.Channel.Credentials.Get("api_key").Reveal())
	h.Set("Content-Type", "application/json")
	return &plausible{env: env, settings: settings, url: strings.TrimSuffix(base, "/") + "/api/v2/query", header: h}, nil
}

// plausibleAnswer is /api/v2/query's answer: metrics by position, and the
// query as Plausible resolved it (the absolute range, in the site's zone).
type plausibleAnswer struct {
	Results []struct {
		Metrics []json.RawMessage `json:"metrics"`
	} `json:"results"`
	Query struct {
		DateRange []string `json:"date_range"`
	} `json:"query"`
}

// Collect reads every site; see Collector. The window is the Window days
// ending yesterday; the reading is dated at the end of the range Plausible
// says it used, in the site's time zone.
func (p *plausible) Collect(ctx context.Context, accounts []string) Result {
	yesterday := civilDay(p.env.now().UTC()).AddDate(0, 0, -1)
	from := yesterday.AddDate(0, 0, -int(p.settings.Window)+1)
	filters := []any{}
	for _, f := range p.settings.Filters {
		filters = append(filters, []any{f.Operator, f.Dimension, f.Values})
	}
	return EachBatch(ctx, accounts, 1, p.env.Channel.Concurrency, func(ctx context.Context, batch []string) Result {
		var res Result
		site := batch[0]
		query, _ := json.Marshal(map[string]any{
			"site_id": site, "metrics": plausibleMetrics, "filters": filters,
			"date_range": []string{from.Format(time.DateOnly), yesterday.Format(time.DateOnly)},
		})
		body, err := Post(ctx, p.env.Client, p.url, p.header, query, classifyPlausible)
		if err != nil {
			res.fail(err, site)
			return res
		}
		var answer plausibleAnswer
		if err := json.Unmarshal(body, &answer); err != nil {
			res.fail(Fail(Decode, fmt.Errorf("plausible: reading the answer: %w", err)), site)
			return res
		}
		if len(answer.Results) != 1 || len(answer.Results[0].Metrics) != len(plausibleMetrics) {
			res.fail(Fail(Decode, fmt.Errorf("plausible: the answer has %d result rows, want one with %d metrics", len(answer.Results), len(plausibleMetrics))), site)
			return res
		}
		var at time.Time
		if n := len(answer.Query.DateRange); n == 2 {
			if end, err := time.Parse(time.RFC3339, answer.Query.DateRange[1]); err == nil {
				at = end.Add(time.Second).Truncate(time.Second) // 23:59:59 is the day's last second: the reading stands for 24:00
			}
		}
		if at.IsZero() {
			res.fail(Fail(Decode, fmt.Errorf("plausible: the answer does not say the range it used (query.date_range %q)", answer.Query.DateRange)), site)
			return res
		}
		for i, metric := range plausibleMetrics {
			raw := answer.Results[0].Metrics[i]
			if metric == "bounce_rate" || metric == "views_per_visit" || metric == "visit_duration" {
				var v *float64
				if err := json.Unmarshal(raw, &v); err != nil || (v != nil && (*v < 0 || math.IsInf(*v, 0))) {
					e := Fail(Decode, fmt.Errorf("plausible: %s is %s, not a number", metric, raw), site)
					e.Metric = metric
					res.Errors = append(res.Errors, e)
					continue
				}
				if v == nil {
					continue // no visits, no rate: unknown
				}
				value := *v
				if metric == "bounce_rate" {
					value /= 100 // a percent, 53.0, as a fraction
				}
				res.Readings = append(res.Readings, Reading{Account: site, Metric: metric, Value: value, Time: at})
				continue
			}
			n, ok, err := countOf(raw)
			if err != nil || !ok {
				e := Fail(Decode, fmt.Errorf("plausible: %s is %s, not a count", metric, raw), site)
				e.Metric = metric
				res.Errors = append(res.Errors, e)
				continue
			}
			res.Readings = append(res.Readings, Reading{Account: site, Metric: metric, Value: float64(n), Time: at})
		}
		return res
	})
}

// classifyPlausible reads {"error": "..."}: 401 is a bad key or an unknown
// site (Plausible does not tell them apart), 402 a plan without the Stats
// API, 400 a query this collector got wrong.
func classifyPlausible(se *StatusError) Reason {
	if se.Code == http.StatusBadRequest {
		return Decode
	}
	return ReasonForStatus(se.Code)
}
