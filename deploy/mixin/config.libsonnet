// What a platform overrides when it adopts the mixin:
//   (import 'mixin.libsonnet') + { _config+:: { grafanaURL: 'https://grafana.example.com' } }
{
  _config+:: {
    // Selects kpi-collector's series: the job Prometheus scrapes it under.
    selector: 'job="kpi-collector"',
    // The labels that tell one replica (shard) from another: every join of a
    // KPI's series with its channel's is made per replica, so that N shards
    // scraped as separate targets never give duplicate series.
    instanceLabels: ['job', 'instance'],

    // How long each condition must hold before its alert fires.
    behindFor: '1d',
    missedFor: '5m',
    projectedFor: '3d',
    projectedWithinDays: 30,
    failingFor: '10m',
    failingRuns: 3,  // scheduled runs in a row without success
    staleRuns: 3,  // a KPI's reading older than this many intervals is stale
    staleFor: '10m',
    noDataFor: '2d',  // a KPI never read for this long
    downFor: '5m',
    credentialExpiresWithinDays: 7,  // warn this long before a credential ends
    credentialFor: '1h',
    versionRetiringWithinDays: 30,  // warn this long before an API version is retired
    versionFor: '1h',
    digestFailures: 2,  // digests in a row that did not reach every destination
    backupIntervals: 2,  // the last backup older than this many --storage.backup.interval
    backupFor: '15m',

    // Where the alerts link to: Grafana's base URL ('' keeps the links
    // relative, for a Grafana on the same host as the alert's reader).
    grafanaURL: '',
    runbookURL: 'https://github.com/kpi-collector/kpi-collector/blob/main/docs/runbooks.md',
  },
}
