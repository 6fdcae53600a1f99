package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
)

func init() {
	register("matomo", Spec{
		TypeSpec: config.TypeSpec{
			Metrics:     []string{"visits", "unique_visitors", "actions", "bounce_rate", "avg_visit_duration", "conversions", "conversion_rate"},
			Credentials: []string{"token_auth"},
			Options:     []string{"concurrency"},
			Settings:    &matomoSettings{Window: 28},
			Windowed:    true,
			DataLag:     24 * time.Hour, // the window ends yesterday
			// No rate limit of its own, but a range is archived on demand and
			// can take a minute on a large site: hourly, one site at a time.
			DefaultSchedule:    "@every 1h",
			DefaultTimeout:     3 * time.Minute,
			DefaultConcurrency: 1,
			AccountCheck:       checkMatomoSite,
			OptionCheck:        checkMatomoURL,
		},
		Ratios: []string{"bounce_rate", "avg_visit_duration", "conversion_rate"},
		New:    newMatomo,
	})
}

// matomoGoalMetrics are the metrics Goals.get gives: without a KPI on one,
// the call is not made.
var matomoGoalMetrics = []string{"conversions", "conversion_rate"}

// MatomoMaxWindow bounds a window: ten years.
const MatomoMaxWindow = 3653

// matomoSettings are a matomo channel's own keys.
type matomoSettings struct {
	// Window is the rolling window, ending yesterday in the site's zone.
	Window config.Days `yaml:"window"`
	// Segment, where set, is a Matomo segment the figures are limited to
	// (referrerType==search).
	Segment string `yaml:"segment"`
	// Goal, where set, is the goal id conversions count (all goals if 0).
	Goal int `yaml:"goal"`
}

// Validate checks the settings; see config.SettingProblem.
func (s *matomoSettings) Validate() error {
	var errs []error
	if s.Window <= 0 || s.Window > MatomoMaxWindow {
		errs = append(errs, config.SettingProblem([]any{"window"}, "window: %s must be 1d to %dd", s.Window, MatomoMaxWindow))
	}
	if s.Goal < 0 {
		errs = append(errs, config.SettingProblem([]any{"goal"}, "goal: %d is not a goal id (Goals, Manage goals)", s.Goal))
	}
	return errors.Join(errs...)
}

var matomoSiteID = regexp.MustCompile(`^[1-9][0-9]*$`)

func checkMatomoSite(s string) error {
	if !matomoSiteID.MatchString(s) {
		return errors.New("must be a Matomo site id (idSite: 1, 3, …): Administration, Websites, Manage")
	}
	return nil
}

// checkMatomoURL wants the server's address, and no token in it: Matomo 5
// refuses secure-only tokens in URLs, and a URL ends up in logs.
func checkMatomoURL(ch *config.Channel) error {
	if ch.APIURL == "" {
		return errors.New("api_url: a matomo channel needs the address of its Matomo server (https://matomo.example.org/)")
	}
	u, err := url.Parse(ch.APIURL)
	if err == nil && (u.Query().Has("token_auth") || strings.Contains(strings.ToLower(u.RawQuery), "token_auth")) {
		return errors.New("api_url: it carries token_auth; put the token under credentials.token_auth, which is sent in the POST body, never in a URL")
	}
	return nil
}

// matomo reads sites' visit and goal figures over a rolling window with
// the Reporting API: VisitsSummary.get, and Goals.get where a KPI reads
// conversions, each one POST a site and run, the token in the body.
type matomo struct {
	env      Env
	settings *matomoSettings
	url      string
	token    string
}

func newMatomo(env Env) (Collector, error) {
	settings := settingsOf[matomoSettings](env)
	u := strings.TrimSuffix(env.Channel.APIURL, "/")
	if !strings.HasSuffix(u, "/index.php") {
		u += "/index.php"
	}
	return &matomo{env: env, settings: settings, url: u, token: env.Channel.Credentials.Get("token_auth").Reveal()}, nil
}

// Collect reads every site; see Collector. The window is the Window days
// ending yesterday; Matomo counts them in the site's zone, and the reading
// is dated at the end of yesterday in UTC.
func (m *matomo) Collect(ctx context.Context, accounts []string) Result {
	today := civilDay(m.env.now().UTC())
	yesterday := today.AddDate(0, 0, -1)
	from := yesterday.AddDate(0, 0, -int(m.settings.Window)+1)
	dates := from.Format(time.DateOnly) + "," + yesterday.Format(time.DateOnly)
	return EachBatch(ctx, accounts, 1, m.env.Channel.Concurrency, func(ctx context.Context, batch []string) Result {
		var res Result
		site := batch[0]
		visits, err := m.call(ctx, "VisitsSummary.get", site, dates)
		if err != nil {
			res.fail(err, site)
			return res
		}
		// A window without visits is [] rather than zeros: 0 visits and
		// actions, no rates.
		if visits == nil {
			visits = map[string]json.RawMessage{"nb_visits": json.RawMessage("0"), "nb_actions": json.RawMessage("0")}
		}
		if _, ok := visits["nb_visits"]; !ok {
			res.fail(Fail(Decode, errors.New("matomo: VisitsSummary.get gave no nb_visits")), site)
			return res
		}
		// Goals.get is asked only for a KPI on conversions, and its failure
		// costs only them: the visits read above stay.
		var goals map[string]json.RawMessage
		readGoals := m.env.wants(matomoGoalMetrics...)
		if readGoals {
			goalArgs := url.Values{}
			if m.settings.Goal > 0 {
				goalArgs.Set("idGoal", strconv.Itoa(m.settings.Goal))
			}
			goals, err = m.call(ctx, "Goals.get", site, dates, goalArgs)
			switch {
			case err != nil:
				e := *Classify(err, site)
				e.Metric = "conversions"
				e.Err = fmt.Errorf("conversions and conversion_rate not read: %w", e.Err)
				res.Errors = append(res.Errors, &e)
				readGoals = false
			case goals == nil:
				goals = map[string]json.RawMessage{"nb_conversions": json.RawMessage("0")}
			}
		}
		add := func(metric string, raw json.RawMessage, ratio bool) {
			v, ok, err := matomoNumber(raw)
			switch {
			case err != nil:
				e := Fail(Decode, fmt.Errorf("matomo: %s: %w", metric, err), site)
				e.Metric = metric
				res.Errors = append(res.Errors, e)
			case ok && (ratio || IsCount(v)):
				res.Readings = append(res.Readings, Reading{Account: site, Metric: metric, Value: v, Time: today})
			case ok:
				e := Fail(Decode, fmt.Errorf("matomo: %s is %v, not a count", metric, v), site)
				e.Metric = metric
				res.Errors = append(res.Errors, e)
			}
		}
		add("visits", visits["nb_visits"], false)
		add("actions", visits["nb_actions"], false)
		if raw, ok := visits["nb_uniq_visitors"]; ok {
			add("unique_visitors", raw, false)
		} else {
			res.hide(site, "unique_visitors", "Matomo does not count unique visitors over a date range unless the server sets enable_processing_unique_visitors_range = 1")
		}
		if visitsN, _, _ := matomoNumber(visits["nb_visits"]); visitsN > 0 {
			add("bounce_rate", visits["bounce_rate"], true)
			add("avg_visit_duration", visits["avg_time_on_site"], true)
			if readGoals {
				add("conversion_rate", goals["conversion_rate"], true)
			}
		}
		if readGoals {
			add("conversions", goals["nb_conversions"], false)
		}
		return res
	})
}

// call POSTs one Reporting API method for a site over dates; the token is in
// the body. It returns the single period's figures, or nil for Matomo's []
// (no data in the period).
func (m *matomo) call(ctx context.Context, method, site, dates string, extra ...url.Values) (map[string]json.RawMessage, error) {
	form := url.Values{
		"module": {"API"}, "method": {method}, "idSite": {site}, "period": {"range"}, "date": {dates},
		"format": {"JSON"}, "format_metrics": {"0"}, "token_auth": {m.token},
	}
	if m.settings.Segment != "" {
		form.Set("segment", m.settings.Segment)
	}
	for _, e := range extra {
		for k, v := range e {
			form[k] = v
		}
	}
	header := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	body, err := Post(ctx, m.env.Client, m.url, header, []byte(form.Encode()), classifyMatomo)
	if err != nil {
		return nil, err
	}
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "[]" {
		return nil, nil
	}
	var figures map[string]json.RawMessage
	if err := json.Unmarshal(body, &figures); err != nil {
		return nil, Fail(Decode, fmt.Errorf("matomo: %s answered with something that is not its JSON (%.80q)", method, trimmed))
	}
	if string(figures["result"]) == `"error"` {
		var e struct{ Message string }
		_ = json.Unmarshal(body, &e)
		return nil, Fail(matomoReason(http.StatusOK, e.Message), fmt.Errorf("matomo: %s: %s", method, e.Message))
	}
	return figures, nil
}

// classifyMatomo reads Matomo 5's error statuses by their message as well.
func classifyMatomo(se *StatusError) Reason {
	var e struct{ Message string }
	_ = json.Unmarshal(se.Body, &e)
	return matomoReason(se.Code, e.Message)
}

// matomoReason classifies a Matomo error: up to Matomo 4 every error is a
// 200, so the message decides. A bad token is never retried: Matomo counts
// it as a failed login and locks the address out after a few.
func matomoReason(code int, message string) Reason {
	switch {
	case strings.Contains(message, "Too many failed logins"):
		return RateLimited
	case code == http.StatusUnauthorized || strings.Contains(message, "authenticate") || strings.Contains(message, "'view' access"):
		return Auth
	case code >= 500:
		return Server
	default:
		return Decode // an unknown method, a metric not processed: our request
	}
}

// matomoNumber reads a figure as Matomo writes it: a number, a string of
// one, or a percent ("67%", which format_metrics=0 should have avoided) as
// a fraction. ok is false for an absent figure.
func matomoNumber(raw json.RawMessage) (float64, bool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		percent := strings.HasSuffix(s, "%")
		v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil || v < 0 {
			return 0, false, fmt.Errorf("%q is not a number", s)
		}
		if percent {
			v /= 100
		}
		return v, true, nil
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil || v < 0 {
		return 0, false, fmt.Errorf("%s is not a number of 0 or more", raw)
	}
	return v, true, nil
}
