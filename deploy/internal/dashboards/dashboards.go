// Package dashboards builds the Grafana dashboards from Go with the Grafana
// Foundation SDK, so that every panel's query names the collector's metrics
// and a test can check them (dashboards_test.go).
package dashboards

import (
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
// grafana/provisioning/datasources provisions.
const DatasourceUID = "prometheus"

var datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr(DatasourceUID)}

// All returns every dashboard by file name.
func All() (map[string]dashboard.Dashboard, error) {
	out := map[string]dashboard.Dashboard{}
	for name, b := range map[string]*dashboard.DashboardBuilder{
		"overview.json":   Overview(),
		"kpi-detail.json": Detail(),
		"health.json":     Health(),
	} {
		d, err := b.Build()
		if err != nil {
			return nil, err
		}
		out[name] = d
	}
	return out, nil
}

func query(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Datasource(datasource).Expr(expr).LegendFormat(legend)
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
			WithTarget(instantTable(`kpi_plan_info`, "A")).
			WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
				"excludeByName": map[string]bool{"Time": true, "Value": true, "__name__": true, "instance": true, "job": true},
			}})).
		WithPanel(stat.NewPanelBuilder().Title("Status").Height(8).Span(24).
			Description("Each KPI's status: met, ahead, on track, behind, missed or no data.").
			WithTarget(query(`kpi:status_code`, "{{kpi}}").Instant()).
			Mappings(statusMappings()).
			ColorMode(common.BigValueColorModeBackground).
			TextMode(common.BigValueTextModeValueAndName).
			GraphMode(common.BigValueGraphModeNone)).
		WithPanel(bargauge.NewPanelBuilder().Title("Progress against the plan").Height(8).Span(12).
			Description("The value as a share of where the glide path says it should be now (100% = on plan).").
			WithTarget(query(`kpi_progress_ratio`, "{{kpi}}").Instant()).
			Unit("percentunit").Min(0).Max(1.5).
			Thresholds(thresholds(step(nil, "red"), step(cog.ToPtr(0.95), "blue"), step(cog.ToPtr(1.05), "green")))).
		WithPanel(bargauge.NewPanelBuilder().Title("Days to the next milestone").Height(8).Span(12).
			Description("Days until each KPI's next milestone falls due.").
			WithTarget(query(`kpi:target_due_days`, "{{kpi}}").Instant()).
			Unit("d").Min(0).
			Thresholds(thresholds(step(nil, "orange"), step(cog.ToPtr(7.0), "blue")))).
		WithPanel(table.NewPanelBuilder().Title("KPIs behind or missed").Height(8).Span(24).
			Description("The KPIs to act on, with their value, expected value and target.").
			WithTarget(instantTable(`kpi_status{status=~"behind|missed"} == 1`, "status")).
			WithTarget(instantTable(`kpi_value and on (kpi) (kpi_status{status=~"behind|missed"} == 1)`, "value")).
			WithTarget(instantTable(`kpi_expected_value and on (kpi) (kpi_status{status=~"behind|missed"} == 1)`, "expected")).
			WithTarget(instantTable(`kpi_target_value and on (kpi) (kpi_status{status=~"behind|missed"} == 1)`, "target")).
			WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}})).
		WithPanel(graph().Title("Progress over time").Height(9).Span(24).
			Description("Each KPI's value divided by its expected value.").
			WithTarget(query(`kpi_progress_ratio`, "{{kpi}}")).
			Unit("percentunit"))
}

// Detail is one KPI: its real value, the glide path, the milestone targets and
// the forecast on one panel, and the channel's other metrics.
func Detail() *dashboard.DashboardBuilder {
	v := func(name, q string) *dashboard.QueryVariableBuilder {
		return dashboard.NewQueryVariableBuilder(name).Label(name).Datasource(datasource).
			Query(dashboard.StringOrMap{String: cog.ToPtr(q)}).Definition(q).
			Refresh(dashboard.VariableRefreshOnTimeRangeChanged).Sort(dashboard.VariableSortAlphabeticalAsc)
	}
	sel := `{kpi="$kpi", channel="$channel", account="$account"}`
	return base("kpi-detail", "KPI detail", "One KPI: the real curve against the glide path, the targets and the forecast.").
		WithVariable(v("kpi", `label_values(kpi_status, kpi)`)).
		WithVariable(v("channel", `label_values(kpi_status{kpi="$kpi"}, channel)`)).
		WithVariable(v("account", `label_values(kpi_status{kpi="$kpi", channel="$channel"}, account)`)).
		WithPanel(graph().Title("$kpi: plan against reality").Height(12).Span(24).
			Description("The value read, the glide path (expected), the next milestone's target and the forecast at the recent pace.").
			WithTarget(query(`kpi_value`+sel, "value").RefId("value")).
			WithTarget(query(`kpi_expected_value`+sel, "glide path (expected)").RefId("expected")).
			WithTarget(query(`kpi_target_value`+sel, "next milestone's target").RefId("target")).
			WithTarget(query(`kpi_forecast_value`+sel, "forecast at the recent pace").RefId("forecast")).
			OverrideByName("glide path (expected)", []dashboard.DynamicConfigValue{{Id: "custom.lineStyle", Value: map[string]any{"fill": "dash", "dash": []int{10, 10}}}}).
			OverrideByName("next milestone's target", []dashboard.DynamicConfigValue{{Id: "custom.lineInterpolation", Value: "stepAfter"}})).
		WithPanel(stat.NewPanelBuilder().Title("Status").Height(5).Span(6).
			WithTarget(query(`kpi:status_code`+sel, "").Instant()).
			Mappings(statusMappings()).ColorMode(common.BigValueColorModeBackground).GraphMode(common.BigValueGraphModeNone)).
		WithPanel(stat.NewPanelBuilder().Title("Progress").Height(5).Span(6).
			WithTarget(query(`kpi_progress_ratio`+sel, "").Instant()).Unit("percentunit").
			Thresholds(thresholds(step(nil, "red"), step(cog.ToPtr(0.95), "blue"), step(cog.ToPtr(1.05), "green")))).
		WithPanel(stat.NewPanelBuilder().Title("Pace per day: recent and required").Height(5).Span(6).
			WithTarget(query(`kpi_daily_growth`+sel, "recent")).
			WithTarget(query(`kpi_required_daily_growth`+sel, "required")).
			TextMode(common.BigValueTextModeValueAndName).GraphMode(common.BigValueGraphModeArea)).
		WithPanel(stat.NewPanelBuilder().Title("Days to the next milestone").Height(5).Span(6).
			WithTarget(query(`kpi:target_due_days`+sel, "").Instant()).Unit("d")).
		WithPanel(graph().Title("Every metric of $account on $channel").Height(9).Span(24).
			Description("All values read from this account, KPI or not.").
			WithTarget(query(`kpi_account_value{channel="$channel", account="$account"}`, "{{metric}}")))
}

// Health is the collector itself: success and age per channel, errors by
// reason, API calls, quota.
func Health() *dashboard.DashboardBuilder {
	return base("kpi-health", "kpi-collector health", "Is every channel collected, and what do the APIs say?").
		WithPanel(stat.NewPanelBuilder().Title("Collector up").Height(4).Span(6).
			WithTarget(query(`up{job="kpi-collector"}`, "{{instance}}").Instant()).
			Mappings([]dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: map[string]dashboard.ValueMappingResult{
				"0": {Text: cog.ToPtr("down"), Color: cog.ToPtr("red")}, "1": {Text: cog.ToPtr("up"), Color: cog.ToPtr("green")},
			}}}}).ColorMode(common.BigValueColorModeBackground)).
		WithPanel(stat.NewPanelBuilder().Title("Last run read every account").Height(4).Span(18).
			WithTarget(query(`kpi_collection_success`, "{{channel}}").Instant()).
			Mappings([]dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: map[string]dashboard.ValueMappingResult{
				"0": {Text: cog.ToPtr("failing"), Color: cog.ToPtr("red")}, "1": {Text: cog.ToPtr("ok"), Color: cog.ToPtr("green")},
			}}}}).ColorMode(common.BigValueColorModeBackground).TextMode(common.BigValueTextModeValueAndName)).
		WithPanel(bargauge.NewPanelBuilder().Title("Age of the last success, in scheduled runs").Height(8).Span(12).
			Description("Time since each channel's last full success, divided by its schedule's interval: 3 or more raises KPICollectionFailing.").
			WithTarget(query(`kpi:collection_success_age_seconds / on (channel) kpi_collection_interval_seconds`, "{{channel}}").Instant()).
			Min(0).Thresholds(thresholds(step(nil, "green"), step(cog.ToPtr(1.5), "orange"), step(cog.ToPtr(3.0), "red")))).
		WithPanel(graph().Title("Errors by reason").Height(8).Span(12).
			Description("server: the API answered with a failure; network: it could not be reached (DNS, connection, TLS); storage: the collector could not write its store (a full disk); auth, quota, rate_limited, payment, not_found, timeout, decode, version as the README's failure modes say.").
			WithTarget(query(`sum by (channel, reason) (increase(kpi_collection_errors_total[$__rate_interval])) > 0`, "{{channel}}: {{reason}}"))).
		WithPanel(graph().Title("API calls per second").Height(8).Span(12).
			WithTarget(query(`sum by (channel, code) (rate(kpi_api_requests_total[$__rate_interval]))`, "{{channel}} {{code}}")).Unit("reqps")).
		WithPanel(bargauge.NewPanelBuilder().Title("Daily API quota used").Height(8).Span(12).
			WithTarget(query(`kpi_api_quota_used / on (channel) kpi_api_quota_limit`, "{{channel}}").Instant()).
			Unit("percentunit").Min(0).Max(1).
			Thresholds(thresholds(step(nil, "green"), step(cog.ToPtr(0.8), "orange"), step(cog.ToPtr(0.95), "red")))).
		WithPanel(graph().Title("Collection duration").Height(8).Span(12).
			WithTarget(query(`kpi_collection_duration_seconds`, "{{channel}}")).Unit("s")).
		WithPanel(stat.NewPanelBuilder().Title("Config reload").Height(8).Span(12).
			WithTarget(query(`kpi_config_last_reload_successful`, "last reload ok").Instant()).
			WithTarget(query(`kpi_collector_build_info`, "{{version}}").Instant()).
			TextMode(common.BigValueTextModeValueAndName))
}
