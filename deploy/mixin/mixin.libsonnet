// kpi-collector's monitoring mixin: recording rules, alerts and dashboards,
// with what a platform tunes in config.libsonnet.
(import 'config.libsonnet') +
(import 'rules.libsonnet') +
(import 'alerts.libsonnet') +
(import 'dashboards.libsonnet')
