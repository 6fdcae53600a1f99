// The dashboards are generated in Go (deploy/internal/dashboards, `make
// generate`) and read here as they are shipped, so that the mixin and
// deploy/grafana carry the same ones.
{
  grafanaDashboards+:: {
    'kpi-overview.json': import '../grafana/dashboards/overview.json',
    'kpi-detail.json': import '../grafana/dashboards/kpi-detail.json',
    'kpi-collector-health.json': import '../grafana/dashboards/health.json',
    'kpi-engagement.json': import '../grafana/dashboards/engagement.json',
  },
}
