package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	analyticsdata "google.golang.org/api/analyticsdata/v1beta"

	"github.com/kpi-collector/kpi-collector/config"
)

func init() {
	register("google_analytics", Spec{
		TypeSpec: config.TypeSpec{
			// Metrics are named by the user: `metrics:` maps a metric name
			// of ours to a GA4 metric (organic_sessions: sessions).
			UserMetrics: true,
			Credentials: []string{googleCredential},
			Options:     []string{"quota", "concurrency"},
			Settings:    &analyticsSettings{Window: 28},
			Windowed:    true,
			DataLag:     24 * time.Hour, // the window ends yesterday
			// Yesterday is the latest whole day; a run a few times a day
			// sees it soon after the property's midnight.
			DefaultSchedule: "@every 6h",
			DefaultTimeout:  2 * time.Minute,
			// 10 concurrent requests per property (standard properties).
			DefaultConcurrency: 4,
			// 200,000 tokens a day per standard property, renewed at
			// midnight Pacific time; most reports cost under 10.
			DefaultQuota:    200000,
			QuotaZone:       "America/Los_Angeles",
			QuotaPerAccount: true,
			UnitsPerCall:    10,
			SpendsReported:  true,
			AccountCheck:    checkAnalyticsProperty,
			OptionCheck:     checkServiceAccount,
		},
		New: newAnalytics,
	})
}

// AnalyticsMaxWindow is the longest window: GA4 keeps 14 months of
// event-level data for most properties.
const AnalyticsMaxWindow = 420

// AnalyticsMaxMetrics is how many metrics one runReport takes.
const AnalyticsMaxMetrics = 10

// analyticsSettings are a google_analytics channel's own keys.
type analyticsSettings struct {
	// Metrics maps each metric of ours to a GA4 metric.
	config.UserMetrics `yaml:",inline"`
	// Window is the rolling window, ending yesterday in the property's
	// time zone.
	Window config.Days `yaml:"window"`
	// Filters narrow the report to matching sessions, all at once
	// (sessionDefaultChannelGroup exact Organic Search).
	Filters []analyticsFilter `yaml:"filters"`
	// TokenURL, where set, replaces the key's token_uri.
	TokenURL string `yaml:"token_url"`
}

type analyticsFilter struct {
	Field string `yaml:"field"` // a GA4 dimension: sessionDefaultChannelGroup, pagePath, country
	// Match is exact, begins_with, ends_with, contains, full_regexp,
	// partial_regexp, or in_list (with values).
	Match  string   `yaml:"match"`
	Value  string   `yaml:"value"`
	Values []string `yaml:"values"`
	// Not keeps what does not match.
	Not bool `yaml:"not"`
}

var (
	analyticsMatches = []string{"exact", "begins_with", "ends_with", "contains", "full_regexp", "partial_regexp", "in_list"}
	analyticsName    = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_:]*$`)
	analyticsID      = regexp.MustCompile(`^(properties/)?[0-9]+$`)
)

// Validate checks the settings; see config.SettingProblem.
func (s *analyticsSettings) Validate() error {
	var errs []error
	if s.Window <= 0 || s.Window > AnalyticsMaxWindow {
		errs = append(errs, config.SettingProblem([]any{"window"}, "window: %s is not a window GA4 can answer: give 1d to %dd (it keeps 14 months of data for most properties)", s.Window, AnalyticsMaxWindow))
	}
	if len(s.Metrics) > AnalyticsMaxMetrics {
		errs = append(errs, config.SettingProblem([]any{"metrics"}, "metrics: %d metrics, and one GA4 report takes at most %d; split them over two channels", len(s.Metrics), AnalyticsMaxMetrics))
	}
	for _, name := range slices.Sorted(maps.Keys(s.Metrics)) {
		if !analyticsName.MatchString(s.Metrics[name]) {
			errs = append(errs, config.SettingProblem([]any{"metrics", name}, "metrics: %s: %q is not a GA4 metric name (sessions, activeUsers, screenPageViews, engagementRate, keyEvents, …)", name, s.Metrics[name]))
		}
	}
	for i, f := range s.Filters {
		at := func(key string) []any { return []any{"filters", i, key} }
		switch {
		case !analyticsName.MatchString(f.Field):
			errs = append(errs, config.SettingProblem(at("field"), "filters[%d].field: %q is not a GA4 dimension name (sessionDefaultChannelGroup, pagePath, country, …)", i, f.Field))
		case !slices.Contains(analyticsMatches, f.Match):
			errs = append(errs, config.SettingProblem(at("match"), "filters[%d].match: %q is not a match type; give one of %s", i, f.Match, strings.Join(analyticsMatches, ", ")))
		case f.Match == "in_list" && (len(f.Values) == 0 || f.Value != ""):
			errs = append(errs, config.SettingProblem(at("values"), "filters[%d]: in_list takes values: [...], and no value", i))
		case f.Match != "in_list" && (f.Value == "" || len(f.Values) > 0):
			errs = append(errs, config.SettingProblem(at("value"), "filters[%d]: %s takes one value (values: is for in_list)", i, f.Match))
		}
	}
	if s.TokenURL != "" && !strings.HasPrefix(s.TokenURL, "https://") && !strings.HasPrefix(s.TokenURL, "http://") {
		errs = append(errs, config.SettingProblem([]any{"token_url"}, "token_url: %q is not an http or https URL", s.TokenURL))
	}
	return errors.Join(errs...)
}

func checkAnalyticsProperty(s string) error {
	if !analyticsID.MatchString(s) {
		return errors.New("must be a GA4 property id (123456789, or properties/123456789): Admin, Property settings; not a G- measurement id")
	}
	return nil
}

// analytics reads GA4 properties' metrics over a rolling window with the
// Data API's runReport: one report a property and run, every metric of the
// channel in it.
type analytics struct {
	env      Env
	settings *analyticsSettings
	auth     *googleAuth
	svc      *analyticsdata.Service
	names    []string // our metric names, sorted; the report's order
	request  *analyticsdata.RunReportRequest

	mu sync.Mutex
	// left is each property's daily tokens left after its last report,
	// and the day that was on: a property about to run out is not asked
	// again until the next day.
	left map[string]tokensLeft
}

type tokensLeft struct {
	day        string
	left, last int64
}

func newAnalytics(env Env) (Collector, error) {
	settings := settingsOf[analyticsSettings](env)
	auth, err := newGoogleAuth(env, settings.TokenURL, analyticsdata.AnalyticsReadonlyScope)
	if err != nil {
		return nil, err
	}
	svc, err := analyticsdata.NewService(context.Background(), auth.options(env, "https://analyticsdata.googleapis.com/")...)
	if err != nil {
		return nil, fmt.Errorf("analytics data client: %w", err)
	}
	a := &analytics{env: env, settings: settings, auth: auth, svc: svc, names: slices.Sorted(maps.Keys(settings.Metrics)), left: map[string]tokensLeft{}}
	a.request = &analyticsdata.RunReportRequest{
		DateRanges:          []*analyticsdata.DateRange{{StartDate: fmt.Sprintf("%ddaysAgo", int(settings.Window)), EndDate: "yesterday"}},
		KeepEmptyRows:       true,
		ReturnPropertyQuota: true,
	}
	for _, name := range a.names {
		a.request.Metrics = append(a.request.Metrics, &analyticsdata.Metric{Name: settings.Metrics[name]})
	}
	var exprs []*analyticsdata.FilterExpression
	for _, f := range settings.Filters {
		filter := &analyticsdata.Filter{FieldName: f.Field}
		if f.Match == "in_list" {
			filter.InListFilter = &analyticsdata.InListFilter{Values: f.Values}
		} else {
			filter.StringFilter = &analyticsdata.StringFilter{MatchType: strings.ToUpper(f.Match), Value: f.Value}
		}
		expr := &analyticsdata.FilterExpression{Filter: filter}
		if f.Not {
			expr = &analyticsdata.FilterExpression{NotExpression: expr}
		}
		exprs = append(exprs, expr)
	}
	switch len(exprs) {
	case 0:
	case 1:
		a.request.DimensionFilter = exprs[0]
	default:
		a.request.DimensionFilter = &analyticsdata.FilterExpression{AndGroup: &analyticsdata.FilterExpressionList{Expressions: exprs}}
	}
	return a, nil
}

// analyticsAnswer is runReport's answer as sent.
type analyticsAnswer struct {
	MetricHeaders []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"metricHeaders"`
	Rows []struct {
		MetricValues []struct {
			Value *string `json:"value"`
		} `json:"metricValues"`
	} `json:"rows"`
	Metadata struct {
		TimeZone string `json:"timeZone"`
	} `json:"metadata"`
	PropertyQuota *struct {
		TokensPerDay struct {
			Consumed  json.Number `json:"consumed"`
			Remaining json.Number `json:"remaining"`
		} `json:"tokensPerDay"`
	} `json:"propertyQuota"`
}

// Collect reads every property; see Collector. A property whose daily
// tokens would not cover another report is skipped (quota) until GA4's day
// ends at midnight Pacific time, so that the channel never exhausts them.
func (a *analytics) Collect(ctx context.Context, accounts []string) Result {
	day := a.env.now().In(pacific).Format(time.DateOnly)
	return EachBatch(ctx, accounts, 1, a.env.Channel.Concurrency, func(ctx context.Context, batch []string) Result {
		var res Result
		account := batch[0]
		property := account
		if !strings.HasPrefix(property, "properties/") {
			property = "properties/" + property
		}
		a.mu.Lock()
		left, known := a.left[account]
		a.mu.Unlock()
		if known && left.day == day && left.left < 2*max(left.last, 10) {
			res.fail(Fail(Quota, fmt.Errorf("google analytics: %d of the property's daily tokens are left, and a report costs about %d: it is read again after midnight Pacific time", left.left, max(left.last, 10))), account)
			return res
		}
		var answer analyticsAnswer
		err := a.auth.call(ctx, "google analytics", "runReport", account, &answer, func(ctx context.Context) error {
			_, err := a.svc.Properties.RunReport(property, a.request).Context(ctx).Do()
			return err
		})
		if err != nil {
			res.fail(err, account)
			return res
		}
		if q := answer.PropertyQuota; q != nil {
			consumed, _ := q.TokensPerDay.Consumed.Int64()
			remaining, _ := q.TokensPerDay.Remaining.Int64()
			res.Spent += int(consumed)
			a.mu.Lock()
			a.left[account] = tokensLeft{day: day, left: remaining, last: consumed}
			a.mu.Unlock()
		}
		zone := time.UTC
		if loc, err := time.LoadLocation(answer.Metadata.TimeZone); err == nil && answer.Metadata.TimeZone != "" {
			zone = loc
		}
		// The window ends yesterday: the reading stands for 24:00 of it,
		// the property's midnight.
		at := civilDay(a.env.now().In(zone))
		if len(answer.MetricHeaders) != len(a.names) {
			res.fail(Fail(Decode, fmt.Errorf("google analytics: the report has %d metric columns, %d were asked", len(answer.MetricHeaders), len(a.names))), account)
			return res
		}
		if len(answer.Rows) == 0 {
			// No row even with keepEmptyRows: nothing happened in the
			// window. Counts are 0; rates and averages are unknown.
			for i, h := range answer.MetricHeaders {
				if h.Type == "TYPE_INTEGER" {
					res.Readings = append(res.Readings, Reading{Account: account, Metric: a.names[i], Value: 0, Time: at})
				}
			}
			return res
		}
		row := answer.Rows[0]
		for i, h := range answer.MetricHeaders {
			metric := a.names[i]
			if i >= len(row.MetricValues) || row.MetricValues[i].Value == nil {
				e := Fail(Decode, fmt.Errorf("google analytics: %s has no value in the report", h.Name), account)
				e.Metric = metric
				res.Errors = append(res.Errors, e)
				continue
			}
			v, err := analyticsValue(*row.MetricValues[i].Value, h.Type)
			if err != nil {
				e := Fail(Decode, fmt.Errorf("google analytics: %s: %w", h.Name, err), account)
				e.Metric = metric
				res.Errors = append(res.Errors, e)
				continue
			}
			res.Readings = append(res.Readings, Reading{Account: account, Metric: metric, Value: v, Time: at})
		}
		return res
	})
}

// analyticsValue reads a metric value, a string, by its column's type: an
// integer must be a whole number; every value must be finite and not
// negative (GA4 has no negative metric but revenue refunds, which a KPI
// does not target).
func analyticsValue(s, typ string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil || math.IsInf(v, 0) || math.IsNaN(v):
		return 0, fmt.Errorf("%q is not a number", s)
	case v < 0:
		return 0, fmt.Errorf("%q is negative", s)
	case typ == "TYPE_INTEGER" && !IsCount(v):
		return 0, fmt.Errorf("%q is not a whole number, and the column is %s", s, typ)
	}
	return v, nil
}
