package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"google.golang.org/api/searchconsole/v1"

	"github.com/kpi-collector/kpi-collector/config"
)

func init() {
	register("search_console", Spec{
		TypeSpec: config.TypeSpec{
			Metrics:     []string{"clicks", "impressions", "ctr", "position"},
			Credentials: []string{googleCredential},
			Options:     []string{"concurrency"},
			Settings:    &searchConsoleSettings{Window: 28, SearchType: "web", DataState: "final"},
			Windowed:    true,
			// Readings are dated at the window's end, at least
			// SearchConsoleLag days back.
			DataLag: (SearchConsoleLag + 1) * 24 * time.Hour,
			// The data lags two to three days and a day's figures are final
			// once: reading twice a day sees each new day soon enough.
			DefaultSchedule: "@every 12h",
			DefaultTimeout:  2 * time.Minute,
			// 1,200 queries a minute per site and per user; a query's "load"
			// grows with its range, so a few at a time.
			DefaultConcurrency: 2,
			AccountCheck:       checkSearchConsoleProperty,
			OptionCheck:        checkServiceAccount,
		},
		Ratios: []string{"ctr", "position"},
		New:    newSearchConsole,
	})
}

// SearchConsoleMaxWindow is the longest window: Search Console keeps about
// 16 months of data, and the window ends a few days back.
const SearchConsoleMaxWindow = 480

// SearchConsoleLag is how many days Search Console's final data usually lags:
// a window ends at the latest day with data, and at least this many days
// before today (Pacific time).
const SearchConsoleLag = 3

// searchConsoleSettings are a search_console channel's own keys.
type searchConsoleSettings struct {
	// Window is the rolling window the figures sum over, ending at the
	// latest day with final data.
	Window config.Days `yaml:"window"`
	// SearchType is web, image, video, news, discover or google_news.
	SearchType string `yaml:"search_type"`
	// DataState is final (the default: figures that no longer change) or
	// all (fresher, still changing).
	DataState string `yaml:"data_state"`
	// Filters narrow the figures, all of them at once (only /blog/ pages).
	Filters []searchConsoleFilter `yaml:"filters"`
	// TokenURL, where set, replaces the key's token_uri.
	TokenURL string `yaml:"token_url"`
}

type searchConsoleFilter struct {
	Dimension  string `yaml:"dimension"`  // page, query, country, device
	Operator   string `yaml:"operator"`   // contains, equals, not_contains, not_equals, including_regex, excluding_regex
	Expression string `yaml:"expression"` // what the dimension is compared with
}

var (
	searchTypes            = []string{"web", "image", "video", "news", "discover", "google_news"}
	searchConsoleDims      = []string{"page", "query", "country", "device"}
	searchConsoleOperators = []string{"contains", "equals", "not_contains", "not_equals", "including_regex", "excluding_regex"}
)

// Validate checks the settings; see config.SettingProblem.
func (s *searchConsoleSettings) Validate() error {
	var errs []error
	if s.Window <= 0 || s.Window > SearchConsoleMaxWindow {
		errs = append(errs, config.SettingProblem([]any{"window"}, "window: %s is not a window Search Console can answer: give 1d to %dd (it keeps about 16 months, and the latest days lag)", s.Window, SearchConsoleMaxWindow))
	}
	if !slices.Contains(searchTypes, s.SearchType) {
		errs = append(errs, config.SettingProblem([]any{"search_type"}, "search_type: %q is not a search type; give one of %s", s.SearchType, strings.Join(searchTypes, ", ")))
	}
	if s.DataState != "final" && s.DataState != "all" {
		errs = append(errs, config.SettingProblem([]any{"data_state"}, "data_state: %q must be final (figures that no longer change) or all (fresher ones that still do)", s.DataState))
	}
	for i, f := range s.Filters {
		if !slices.Contains(searchConsoleDims, f.Dimension) {
			errs = append(errs, config.SettingProblem([]any{"filters", i, "dimension"}, "filters[%d].dimension: %q is not a dimension to filter on; give one of %s", i, f.Dimension, strings.Join(searchConsoleDims, ", ")))
		}
		if !slices.Contains(searchConsoleOperators, f.Operator) {
			errs = append(errs, config.SettingProblem([]any{"filters", i, "operator"}, "filters[%d].operator: %q is not an operator; give one of %s", i, f.Operator, strings.Join(searchConsoleOperators, ", ")))
		}
		if f.Expression == "" {
			errs = append(errs, config.SettingProblem([]any{"filters", i}, "filters[%d].expression is missing: what the %s is compared with", i, f.Dimension))
		}
	}
	if s.TokenURL != "" && !strings.HasPrefix(s.TokenURL, "https://") && !strings.HasPrefix(s.TokenURL, "http://") {
		errs = append(errs, config.SettingProblem([]any{"token_url"}, "token_url: %q is not an http or https URL", s.TokenURL))
	}
	return errors.Join(errs...)
}

// checkSearchConsoleProperty vets a property as Search Console names it.
func checkSearchConsoleProperty(s string) error {
	if strings.HasPrefix(s, "sc-domain:") && len(s) > len("sc-domain:") && !strings.Contains(s, "/") {
		return nil
	}
	if (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) && strings.HasSuffix(s, "/") {
		return nil
	}
	return errors.New("must be a Search Console property: a URL prefix with its scheme and trailing slash (https://www.example.com/) or a domain (sc-domain:example.com)")
}

// searchConsole reads a property's search performance over a rolling window
// with searchanalytics.query: one query a property and run.
type searchConsole struct {
	env      Env
	settings *searchConsoleSettings
	auth     *googleAuth
	svc      *searchconsole.Service
}

func newSearchConsole(env Env) (Collector, error) {
	settings := settingsOf[searchConsoleSettings](env)
	auth, err := newGoogleAuth(env, settings.TokenURL, searchconsole.WebmastersReadonlyScope)
	if err != nil {
		return nil, err
	}
	svc, err := searchconsole.NewService(context.Background(), auth.options(env, "https://searchconsole.googleapis.com/")...)
	if err != nil {
		return nil, fmt.Errorf("search console client: %w", err)
	}
	return &searchConsole{env: env, settings: settings, auth: auth, svc: svc}, nil
}

// searchConsoleAnswer is searchanalytics.query's answer as sent: the client
// decodes an absent figure as 0.
type searchConsoleAnswer struct {
	Rows []struct {
		Keys        []string        `json:"keys"`
		Clicks      json.RawMessage `json:"clicks"`
		Impressions json.RawMessage `json:"impressions"`
		Position    *float64        `json:"position"`
	} `json:"rows"`
}

// pacific is where Search Console's days begin and end.
var pacific = mustLoadLocation("America/Los_Angeles")

// Collect reads every property; see Collector.
//
// One query a property asks for its figures by day from a few days before
// the window up to today. Only final days come back (unless data_state is
// all), so the latest date is the latest day Search Console has; the window
// is the Window days ending there (or SearchConsoleLag days ago, if later:
// days without any impression are left out of the answer). Clicks and
// impressions are the days' sums, ctr their quotient and position the
// impression-weighted mean of the days' positions, which is what Search
// Console shows for the same range. The reading is dated at the window's
// end, 24:00 Pacific time of its last day.
func (s *searchConsole) Collect(ctx context.Context, accounts []string) Result {
	today := s.env.now().In(pacific)
	nominalEnd := civilDay(today).AddDate(0, 0, -SearchConsoleLag)
	from := nominalEnd.AddDate(0, 0, -int(s.settings.Window)-SearchConsoleLag)
	req := &searchconsole.SearchAnalyticsQueryRequest{
		StartDate:  from.Format(time.DateOnly),
		EndDate:    civilDay(today).Format(time.DateOnly),
		Dimensions: []string{"DATE"},
		Type:       strings.ToUpper(s.settings.SearchType),
		DataState:  strings.ToUpper(s.settings.DataState),
		RowLimit:   25000,
	}
	if len(s.settings.Filters) > 0 {
		group := &searchconsole.ApiDimensionFilterGroup{GroupType: "AND"}
		for _, f := range s.settings.Filters {
			group.Filters = append(group.Filters, &searchconsole.ApiDimensionFilter{
				Dimension: strings.ToUpper(f.Dimension), Operator: strings.ToUpper(f.Operator), Expression: f.Expression,
			})
		}
		req.DimensionFilterGroups = []*searchconsole.ApiDimensionFilterGroup{group}
	}
	return EachBatch(ctx, accounts, 1, s.env.Channel.Concurrency, func(ctx context.Context, batch []string) Result {
		var res Result
		site := batch[0]
		var answer searchConsoleAnswer
		err := s.auth.call(ctx, "search console", "searchanalytics.query", site, &answer, func(ctx context.Context) error {
			_, err := s.svc.Searchanalytics.Query(site, req).Context(ctx).Do()
			return err
		})
		if err != nil {
			res.fail(err, site)
			return res
		}
		type dayFigures struct{ clicks, impressions, position float64 }
		days := map[time.Time]dayFigures{}
		end := nominalEnd
		for _, row := range answer.Rows {
			if len(row.Keys) != 1 {
				res.fail(Fail(Decode, fmt.Errorf("search console: a row has keys %q, want one date", row.Keys)), site)
				return res
			}
			d, err := time.ParseInLocation(time.DateOnly, row.Keys[0], pacific)
			clicks, okC, errC := countOf(row.Clicks)
			impressions, okI, errI := countOf(row.Impressions)
			switch {
			case err != nil:
				res.fail(Fail(Decode, fmt.Errorf("search console: %q is not a date", row.Keys[0])), site)
				return res
			case errC != nil || errI != nil || !okC || !okI:
				res.fail(Fail(Decode, fmt.Errorf("search console: the row of %s has no clicks or impressions count (clicks %s, impressions %s)", row.Keys[0], row.Clicks, row.Impressions)), site)
				return res
			case impressions > 0 && (row.Position == nil || *row.Position < 1 || math.IsNaN(*row.Position) || math.IsInf(*row.Position, 0)):
				res.fail(Fail(Decode, fmt.Errorf("search console: the row of %s has impressions but no position of 1 or more", row.Keys[0])), site)
				return res
			}
			pos := 0.0
			if row.Position != nil {
				pos = *row.Position
			}
			days[d] = dayFigures{float64(clicks), float64(impressions), pos}
			if d.After(end) {
				end = d
			}
		}
		start := end.AddDate(0, 0, -int(s.settings.Window)+1)
		var clicks, impressions, weighted float64
		// In date order: a sum of floats depends on its order, and the same
		// answer must give the same figures.
		for _, d := range slices.SortedFunc(maps.Keys(days), time.Time.Compare) {
			f := days[d]
			if d.Before(start) || d.After(end) {
				continue
			}
			clicks += f.clicks
			impressions += f.impressions
			weighted += f.position * f.impressions
		}
		at := end.AddDate(0, 0, 1) // 24:00 of the window's last day
		res.Readings = append(res.Readings,
			Reading{Account: site, Metric: "clicks", Value: clicks, Time: at},
			Reading{Account: site, Metric: "impressions", Value: impressions, Time: at})
		// Without impressions there is no click-through rate and no position:
		// unknown, not 0.
		if impressions > 0 {
			res.Readings = append(res.Readings,
				Reading{Account: site, Metric: "ctr", Value: clicks / impressions, Time: at},
				Reading{Account: site, Metric: "position", Value: weighted / impressions, Time: at})
		}
		return res
	})
}

// civilDay is 00:00 of t's day in t's zone.
func civilDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}
