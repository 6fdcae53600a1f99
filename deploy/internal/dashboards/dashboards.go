// Package dashboards builds the Grafana dashboards from Go with the Grafana
// Foundation SDK, so that every panel's query names the collector's metrics
// and a test can check them (dashboards_test.go).
package dashboards

import (
	"encoding/json"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// DatasourceUID is the uid of the Prometheus data source that
// grafana/provisioning/datasources provisions: the datasource variable's
// default. Every query uses the variable, so a Grafana with another data
// source picks it in the variable instead of editing the JSON.
const DatasourceUID = "prometheus"

var datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}

// replica selects the series of the replicas (shards) the job and instance
// variables choose; every query carries it.
const replica = `job=~"$job", instance=~"$instance"`

// sel is a metric's selector for the chosen replicas, with more matchers.
func sel(metric string, matchers ...string) string {
	m := replica
	for _, x := range matchers {
		m += ", " + x
	}
	return metric + "{" + m + "}"
}

// byReplica joins series of one channel or KPI on the same replica: with N
// shards scraped as separate targets, a join on the channel alone would find
// one series per shard.
func byReplica(labels ...string) string {
	return "on (job, instance, " + joinLabels(labels) + ")"
}

func joinLabels(ls []string) string {
	out := ""
	for i, l := range ls {
		if i > 0 {
			out += ", "
		}
		out += l
	}
	return out
}

// All returns every dashboard by file name.
func All() (map[string]dashboard.Dashboard, error) {
	out := map[string]dashboard.Dashboard{}
	for name, b := range map[string]*dashboard.DashboardBuilder{
		"overview.json":   Overview(),
		"kpi-detail.json": Detail(),
		"health.json":     Health(),
		"engagement.json": Engagement(),
	} {
		d, err := b.Build()
		if err != nil {
			return nil, err
		}
		out[name] = d
	}
	return out, nil
}

func query(ref, expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Datasource(datasource).Expr(expr).LegendFormat(legend).RefId(ref)
}

// variable is a query variable over the data source.
func variable(name, label, q string) *dashboard.QueryVariableBuilder {
	return dashboard.NewQueryVariableBuilder(name).Label(label).Datasource(datasource).
		Query(dashboard.StringOrMap{String: cog.ToPtr(q)}).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).Sort(dashboard.VariableSortAlphabeticalAsc)
}

// graph is a time series panel with its legend and a shared tooltip.
func graph() *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderNone))
}

func instantTable(expr, ref string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Datasource(datasource).Expr(expr).Instant().
		Format(prometheus.PromQueryFormatTable).RefId(ref)
}

// tableFooter is a hidden footer, written whole (the schema requires its
// reducer list).
func tableFooter() *common.TableFooterOptionsBuilder {
	return common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{}).CountRows(false)
}

// statusMappings color kpi:status_code: 0 no_data … 5 met.
func statusMappings() []dashboard.ValueMapping {
	m := dashboard.NewValueMap()
	for code, r := range map[string][2]string{
		"0": {"no data", "text"}, "1": {"missed", "red"}, "2": {"behind", "orange"},
		"3": {"on track", "blue"}, "4": {"ahead", "green"}, "5": {"met", "dark-green"},
	} {
		m.Options[code] = dashboard.ValueMappingResult{Text: cog.ToPtr(r[0]), Color: cog.ToPtr(r[1])}
	}
	return []dashboard.ValueMapping{{ValueMap: m}}
}

func thresholds(steps ...dashboard.Threshold) *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(steps)
}

func step(v *float64, color string) dashboard.Threshold {
	return dashboard.Threshold{Value: v, Color: color}
}

func base(uid, title, description string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").Label("Data source").Type("prometheus").
			Current(dashboard.VariableOption{Text: dashboard.StringOrArrayOfString{String: cog.ToPtr(DatasourceUID)}, Value: dashboard.StringOrArrayOfString{String: cog.ToPtr(DatasourceUID)}})).
		WithVariable(variable("job", "Job", `label_values(kpi_collection_success, job)`)).
		WithVariable(variable("instance", "Replica", `label_values(kpi_collection_success{job=~"$job"}, instance)`).
			Multi(true).IncludeAll(true).AllValue(".+")).
		Uid(uid).
		Description(description).
		Tags([]string{"kpi-collector"}).
		Refresh("1m").
		Time("now-30d", "now").
		Timezone(common.TimeZoneBrowser).
		Link(dashboard.NewDashboardLinkBuilder("kpi-collector").Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"kpi-collector"}).AsDropdown(true))
}

// Overview is the plan at a glance: its goal and dates, every KPI's status
// and progress, the days to each next milestone and the KPIs behind.
func Overview() *dashboard.DashboardBuilder {
	return base("kpi-overview", "KPI plan overview", "The plan against reality: every KPI's status and progress.").
		WithPanel(table.NewPanelBuilder().Title("Plan").Height(4).Span(24).
			Description("The plan in force: its name, goal and dates.").
			WithTarget(instantTable(sel(`kpi_plan_info`), "A")).
			Footer(tableFooter()).
			WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
				"excludeByName": map[string]bool{"Time": true, "Value": true, "__name__": true, "instance": true, "job": true},
			}})).
		WithPanel(stat.NewPanelBuilder().Title("Status").Height(8).Span(24).
			Description("Each KPI's status: met, ahead, on track, behind, missed or no data.").
			WithTarget(query("A", sel(`kpi:status_code`), "{{kpi}}").Instant()).
			Mappings(statusMappings()).
			Orientation(common.VizOrientationAuto).
			ColorMode(common.BigValueColorModeBackground).
			TextMode(common.BigValueTextModeValueAndName).
			GraphMode(common.BigValueGraphModeNone)).
		WithPanel(bargauge.NewPanelBuilder().Title("Progress against the plan").Height(8).Span(12).
			Description("The value as a share of where the glide path says it should be now (100% = on plan).").
			WithTarget(query("A", sel(`kpi_progress_ratio`), "{{kpi}}").Instant()).
			Orientation(common.VizOrientationAuto).
			Unit("percentunit").Min(0).Max(1.5).
			Thresholds(thresholds(step(nil, "red"), step(cog.ToPtr(0.95), "blue"), step(cog.ToPtr(1.05), "green")))).
		WithPanel(bargauge.NewPanelBuilder().Title("Days to the next milestone").Height(8).Span(12).
			Description("Days until each KPI's next milestone falls due.").
			WithTarget(query("A", sel(`kpi:target_due_days`), "{{kpi}}").Instant()).
			Orientation(common.VizOrientationAuto).
			Unit("d").Min(0).
			Thresholds(thresholds(step(nil, "orange"), step(cog.ToPtr(7.0), "blue")))).
		WithPanel(table.NewPanelBuilder().Title("KPIs behind or missed").Height(8).Span(24).
			Description("The KPIs to act on, with their value, expected value and target.").
			WithTarget(instantTable(sel(`kpi_status`, `status=~"behind|missed"`)+` == 1`, "status")).
			WithTarget(instantTable(sel(`kpi_value`)+` and `+byReplica("kpi")+` (`+sel(`kpi_status`, `status=~"behind|missed"`)+` == 1)`, "value")).
			WithTarget(instantTable(sel(`kpi_expected_value`)+` and `+byReplica("kpi")+` (`+sel(`kpi_status`, `status=~"behind|missed"`)+` == 1)`, "expected")).
			WithTarget(instantTable(sel(`kpi_target_value`)+` and `+byReplica("kpi")+` (`+sel(`kpi_status`, `status=~"behind|missed"`)+` == 1)`, "target")).
			Footer(tableFooter()).
			WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}})).
		WithPanel(graph().Title("Progress over time").Height(9).Span(24).
			Description("Each KPI's value divided by its expected value.").
			WithTarget(query("A", sel(`kpi_progress_ratio`), "{{kpi}}")).
			Unit("percentunit"))
}

// Detail is one KPI: its real value, the glide path, the milestone targets and
// the forecast on one panel, and the channel's other metrics.
func Detail() *dashboard.DashboardBuilder {
	k := func(metric string) string {
		return sel(metric, `kpi="$kpi"`, `channel="$channel"`, `account="$account"`)
	}
	return base("kpi-detail", "KPI detail", "One KPI: the real curve against the glide path, the targets and the forecast.").
		WithVariable(variable("kpi", "kpi", `label_values(kpi_status{`+replica+`}, kpi)`)).
		WithVariable(variable("channel", "channel", `label_values(kpi_status{`+replica+`, kpi="$kpi"}, channel)`)).
		WithVariable(variable("account", "account", `label_values(kpi_status{`+replica+`, kpi="$kpi", channel="$channel"}, account)`)).
		WithPanel(graph().Title("$kpi: plan against reality").Height(12).Span(24).
			Description("The value read, the glide path (expected), the next milestone's target and the forecast at the recent pace.").
			WithTarget(query("value", k(`kpi_value`), "value")).
			WithTarget(query("expected", k(`kpi_expected_value`), "glide path (expected)")).
			WithTarget(query("target", k(`kpi_target_value`), "next milestone's target")).
			WithTarget(query("forecast", k(`kpi_forecast_value`), "forecast at the recent pace")).
			OverrideByName("glide path (expected)", []dashboard.DynamicConfigValue{{Id: "custom.lineStyle", Value: map[string]any{"fill": "dash", "dash": []int{10, 10}}}}).
			OverrideByName("next milestone's target", []dashboard.DynamicConfigValue{{Id: "custom.lineInterpolation", Value: "stepAfter"}})).
		WithPanel(stat.NewPanelBuilder().Title("Status").Height(5).Span(6).
			WithTarget(query("A", k(`kpi:status_code`), "").Instant()).Orientation(common.VizOrientationAuto).
			Mappings(statusMappings()).ColorMode(common.BigValueColorModeBackground).GraphMode(common.BigValueGraphModeNone)).
		WithPanel(stat.NewPanelBuilder().Title("Progress").Height(5).Span(6).
			WithTarget(query("A", k(`kpi_progress_ratio`), "").Instant()).Unit("percentunit").Orientation(common.VizOrientationAuto).
			Thresholds(thresholds(step(nil, "red"), step(cog.ToPtr(0.95), "blue"), step(cog.ToPtr(1.05), "green")))).
		WithPanel(stat.NewPanelBuilder().Title("Pace per day: recent and required").Height(5).Span(6).
			WithTarget(query("recent", k(`kpi_daily_growth`), "recent")).
			WithTarget(query("required", k(`kpi_required_daily_growth`), "required")).
			Orientation(common.VizOrientationAuto).
			TextMode(common.BigValueTextModeValueAndName).GraphMode(common.BigValueGraphModeArea)).
		WithPanel(stat.NewPanelBuilder().Title("Days to the next milestone").Height(5).Span(6).
			WithTarget(query("A", k(`kpi:target_due_days`), "").Instant()).Unit("d").Orientation(common.VizOrientationAuto)).
		WithPanel(graph().Title("Every metric of $account on $channel").Height(9).Span(24).
			Description("All values read from this account, KPI or not.").
			WithTarget(query("A", sel(`kpi_account_value`, `channel="$channel"`, `account="$account"`), "{{metric}}")))
}

// Health is the collector itself: success and age per channel, errors by
// reason, API calls, quota.
func Health() *dashboard.DashboardBuilder {
	return base("kpi-health", "kpi-collector health", "Is every channel collected, and what do the APIs say?").
		WithPanel(stat.NewPanelBuilder().Title("Collector up").Height(4).Span(6).
			WithTarget(query("A", sel(`up`), "{{instance}}").Instant()).Orientation(common.VizOrientationAuto).
			Mappings([]dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: map[string]dashboard.ValueMappingResult{
				"0": {Text: cog.ToPtr("down"), Color: cog.ToPtr("red")}, "1": {Text: cog.ToPtr("up"), Color: cog.ToPtr("green")},
			}}}}).ColorMode(common.BigValueColorModeBackground)).
		WithPanel(stat.NewPanelBuilder().Title("Last run read every account").Height(4).Span(18).
			WithTarget(query("A", sel(`kpi_collection_success`), "{{channel}} ({{instance}})").Instant()).Orientation(common.VizOrientationAuto).
			Mappings([]dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: map[string]dashboard.ValueMappingResult{
				"0": {Text: cog.ToPtr("failing"), Color: cog.ToPtr("red")}, "1": {Text: cog.ToPtr("ok"), Color: cog.ToPtr("green")},
			}}}}).ColorMode(common.BigValueColorModeBackground).TextMode(common.BigValueTextModeValueAndName)).
		WithPanel(bargauge.NewPanelBuilder().Title("Age of the last success, in scheduled runs").Height(8).Span(12).
			Description("Time since each channel's last full success, divided by its schedule's interval: 3 or more raises KPICollectionFailing.").
			WithTarget(query("A", sel(`kpi:collection_success_age_seconds`)+` / `+byReplica("channel")+` `+sel(`kpi_collection_interval_seconds`), "{{channel}} ({{instance}})").Instant()).
			Orientation(common.VizOrientationAuto).
			Min(0).Thresholds(thresholds(step(nil, "green"), step(cog.ToPtr(1.5), "orange"), step(cog.ToPtr(3.0), "red")))).
		WithPanel(graph().Title("Errors by reason").Height(8).Span(12).
			Description("server: the API answered with a failure; network: it could not be reached (DNS, connection, TLS); storage: the collector could not write its store (a full disk); auth, quota, rate_limited, payment, not_found, timeout, decode, version as the README's failure modes say.").
			WithTarget(query("A", `sum by (channel, reason) (increase(`+sel(`kpi_collection_errors_total`)+`[$__rate_interval])) > 0`, "{{channel}}: {{reason}}"))).
		WithPanel(graph().Title("API calls per second").Height(8).Span(12).
			WithTarget(query("A", `sum by (channel, code) (rate(`+sel(`kpi_api_requests_total`)+`[$__rate_interval]))`, "{{channel}} {{code}}")).Unit("reqps")).
		WithPanel(bargauge.NewPanelBuilder().Title("Daily API quota used").Height(8).Span(12).
			WithTarget(query("A", sel(`kpi_api_quota_used`)+` / `+byReplica("channel")+` `+sel(`kpi_api_quota_limit`), "{{channel}} ({{instance}})").Instant()).
			Orientation(common.VizOrientationAuto).
			Unit("percentunit").Min(0).Max(1).
			Thresholds(thresholds(step(nil, "green"), step(cog.ToPtr(0.8), "orange"), step(cog.ToPtr(0.95), "red")))).
		WithPanel(graph().Title("Collection duration").Height(8).Span(12).
			WithTarget(query("A", sel(`kpi_collection_duration_seconds`), "{{channel}} ({{instance}})")).Unit("s")).
		WithPanel(stat.NewPanelBuilder().Title("Config reload").Height(8).Span(12).
			WithTarget(query("reload", sel(`kpi_config_last_reload_successful`), "last reload ok ({{instance}})").Instant()).
			WithTarget(query("build", sel(`kpi_collector_build_info`), "{{version}} ({{instance}})").Instant()).
			Orientation(common.VizOrientationAuto).
			TextMode(common.BigValueTextModeValueAndName))
}

// JSON is a dashboard as shipped: the SDK's JSON, less the interval-only
// fields (auto, auto_min, auto_count) its builders write on every variable,
// which Grafana's schema knows for interval variables only.
func JSON(d dashboard.Dashboard) ([]byte, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	if tpl, ok := doc["templating"].(map[string]any); ok {
		list, _ := tpl["list"].([]any)
		for _, v := range list {
			if m, ok := v.(map[string]any); ok && m["type"] != "interval" {
				delete(m, "auto")
				delete(m, "auto_min")
				delete(m, "auto_count")
			}
		}
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Engagement is a channel's accounts side by side, its own and its rivals':
// a metric and its pace over time, and the engagement their recent posts
// get.
func Engagement() *dashboard.DashboardBuilder {
	v := func(metric string) string {
		return sel(`kpi_account_value`, `channel="$channel"`, `metric="`+metric+`"`)
	}
	return base("kpi-engagement", "Engagement and rivals", "A channel's own accounts beside its rivals: a metric and its pace, and the engagement of their recent posts.").
		WithVariable(variable("channel", "channel", `label_values(kpi_account_value{`+replica+`}, channel)`)).
		WithVariable(variable("metric", "metric", `label_values(kpi_account_value{`+replica+`, channel="$channel"}, metric)`)).
		WithPanel(graph().Title("$metric: own accounts and rivals").Height(10).Span(12).
			Description("Every account of the channel, the rivals (rivals: in the plan) among them, under their own account label.").
			WithTarget(query("A", v("$metric"), "{{account}}"))).
		WithPanel(graph().Title("$metric: pace per day").Height(10).Span(12).
			Description("The recent pace of each account (kpi_account_daily_growth): who grows faster. Channels with rivals only.").
			WithTarget(query("A", sel(`kpi_account_daily_growth`, `channel="$channel"`, `metric="$metric"`), "{{account}}"))).
		WithPanel(graph().Title("Engagement per post").Height(9).Span(12).
			Description("Likes, replies and shares of the posts in the window, divided by the posts.").
			WithTarget(query("A", v("engagement_per_post"), "{{account}}"))).
		WithPanel(graph().Title("Engagement rate").Height(9).Span(12).Unit("percentunit").
			Description("Engagement per post divided by the followers: the share of the audience that engages with a post.").
			WithTarget(query("A", v("engagement_rate"), "{{account}}"))).
		WithPanel(bargauge.NewPanelBuilder().Title("Posts in the window").Height(7).Span(24).
			Description("How many posts the engagement figures are over, per account.").
			WithTarget(query("A", v("posts_in_window"), "{{account}}").Instant()).
			Orientation(common.VizOrientationHorizontal))
}
