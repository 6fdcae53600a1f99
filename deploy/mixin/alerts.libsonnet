local kpiLabels = ['kpi', 'channel', 'account', 'metric'];

{
  local c = $._config,
  // A KPI's series joined with another of the same KPI on the same replica.
  local kpiJoin = std.join(', ', c.instanceLabels + kpiLabels),
  // A channel's series joined with another of the same channel on the same
  // replica: with N shards each channel has a series per replica.
  local channelJoin = std.join(', ', c.instanceLabels + ['channel']),
  // A replica's series joined with another of the same replica.
  local instanceJoin = std.join(', ', c.instanceLabels),
  local cfg = c { kpiJoin: kpiJoin, channelJoin: channelJoin, instanceJoin: instanceJoin },
  local detail = '%(grafanaURL)s/d/kpi-detail/kpi-detail?var-kpi={{ $labels.kpi }}' % c,
  local health = '%(grafanaURL)s/d/kpi-health/kpi-collector-health' % c,
  local runbook(name) = '%s#%s' % [c.runbookURL, std.asciiLower(name)],
  // A value of the alert's KPI, for its text.
  local kpiValue(metric) = '{{ with printf `%s{kpi="%%s"}` $labels.kpi | query }}{{ . | first | value | humanize }}{{ end }}' % metric,

  prometheusAlerts+:: {
    groups+: [{
      name: 'kpi-collector.alerts',
      rules: [
        {
          alert: 'KPIBehindPlan',
          // A failing or stale channel raises its own alert, which
          // Alertmanager's inhibitions let speak instead of this one: a failed
          // run in between does not reset this alert's `for:`.
          expr: 'kpi_status{%(selector)s, status="behind"} == 1' % cfg,
          'for': c.behindFor,
          labels: { severity: 'warning' },
          annotations: {
            summary: 'KPI {{ $labels.kpi }} is behind plan',
            description: std.join(' ', [
              '{{ $labels.kpi }} ({{ $labels.metric }} of {{ $labels.account }} on {{ $labels.channel }}) is',
              kpiValue('kpi_value'),
              'where the plan expects',
              kpiValue('kpi_expected_value') + ',',
              'on the way to',
              kpiValue('kpi_target_value') + '.',
              'Look at what changed on this channel, or adjust the plan.',
            ]),
            dashboard: detail,
            runbook_url: runbook('KPIBehindPlan'),
          },
        },
        {
          alert: 'KPIMilestoneMissed',
          expr: 'kpi_status{%(selector)s, status="missed"} == 1' % cfg,
          'for': c.missedFor,
          labels: { severity: 'critical' },
          annotations: {
            summary: 'KPI {{ $labels.kpi }} missed a milestone',
            description: std.join(' ', [
              '{{ $labels.kpi }} ({{ $labels.metric }} of {{ $labels.account }} on {{ $labels.channel }}) missed its milestone: it is',
              kpiValue('kpi_value') + ',',
              'the plan expected',
              kpiValue('kpi_expected_value') + ',',
              'and the target is',
              kpiValue('kpi_target_value') + '.',
              'Decide whether to push this tactic harder or reset the milestone.',
            ]),
            dashboard: detail,
            runbook_url: runbook('KPIMilestoneMissed'),
          },
        },
        {
          alert: 'KPIProjectedToMiss',
          // At the recent pace the next milestone, due within the window, will
          // not be reached: the forecast falls short of the target in the
          // KPI's direction (under it, or above it where lower is better:
          // kpi_direction is -1).
          expr: |||
            (
              kpi_forecast_value{%(selector)s}
              and on (%(kpiJoin)s) (
                (kpi_forecast_value{%(selector)s} - on (%(kpiJoin)s) kpi_target_value{%(selector)s})
                  * on (%(kpiJoin)s) kpi_direction{%(selector)s} < 0
              )
              and on (%(kpiJoin)s) (kpi_target_due_timestamp_seconds{%(selector)s} - time() < %(projectedWithinDays)d * 86400)
              and on (%(kpiJoin)s) (kpi_target_due_timestamp_seconds{%(selector)s} > time())
            )
              unless on (%(kpiJoin)s) (kpi_status{%(selector)s, status=~"met|missed"} == 1)
          ||| % cfg,
          'for': c.projectedFor,
          labels: { severity: 'warning' },
          annotations: {
            summary: 'KPI {{ $labels.kpi }} is projected to miss its next milestone',
            description: std.join(' ', [
              'At the recent pace {{ $labels.kpi }} ({{ $labels.channel }}) will reach {{ $value | humanize }} by the due date, short of',
              kpiValue('kpi_target_value') + ';',
              'it is',
              kpiValue('kpi_value'),
              'now against an expected',
              kpiValue('kpi_expected_value') + '.',
            ]),
            dashboard: detail,
            runbook_url: runbook('KPIProjectedToMiss'),
          },
        },
        {
          alert: 'KPINoData',
          // A KPI never read: its channel fails (see KPICollectionFailing,
          // which silences this one), its account is wrong, or nobody has
          // recorded a manual count yet.
          expr: 'kpi_status{%(selector)s, status="no_data"} == 1' % cfg,
          'for': c.noDataFor,
          labels: { severity: 'warning' },
          annotations: {
            summary: 'KPI {{ $labels.kpi }} has never been read',
            description: '{{ $labels.kpi }} ({{ $labels.metric }} of {{ $labels.account }} on {{ $labels.channel }}) has no value yet: nothing is measured against its plan. For a manual channel, record the first count; otherwise check the account and kpi_collection_errors_total{channel="{{ $labels.channel }}"}.',
            dashboard: detail,
            runbook_url: runbook('KPINoData'),
          },
        },
        {
          alert: 'KPICollectionFailing',
          // Several scheduled runs in a row without success, or never a success.
          expr: |||
            (time() - kpi_collection_last_success_timestamp_seconds{%(selector)s}) > on (%(channelJoin)s) (%(failingRuns)d * kpi_collection_interval_seconds{%(selector)s})
              or (kpi_collection_success{%(selector)s} == 0 unless on (%(channelJoin)s) kpi_collection_last_success_timestamp_seconds{%(selector)s})
          ||| % cfg,
          'for': c.failingFor,
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Channel {{ $labels.channel }} has not been collected successfully for %(failingRuns)d runs' % cfg,
            description: std.join(' ', [
              'The last successful run of {{ $labels.channel }} was',
              '{{ with printf `kpi_collection_last_success_timestamp_seconds{channel="%s",instance="%s"}` $labels.channel $labels.instance | query }}{{ . | first | value | humanizeTimestamp }}{{ else }}never{{ end }}.',
              'kpi_collection_errors_total{channel="{{ $labels.channel }}"} says why (auth: renew the credential; quota or rate_limited: slow the schedule; not_found: check the accounts; server: the API failed; network: the API could not be reached, check DNS, the proxy and TLS; storage: the collector could not write its store, check its disk);',
              "the collector's log has the message.",
            ]),
            dashboard: health,
            runbook_url: runbook('KPICollectionFailing'),
          },
        },
        {
          alert: 'KPIDataStale',
          // A KPI whose last reading is older than a few of its channel's
          // scheduled intervals, beyond the lag of its data (a rolling
          // window dated at its end, days back): its value and status are
          // not current. Counts kept by hand (manual channels) have no
          // schedule and do not age.
          expr: |||
            (time() - kpi_last_observation_timestamp_seconds{%(selector)s})
              > on (%(channelJoin)s) group_left () (
                %(staleRuns)d * kpi_collection_interval_seconds{%(selector)s}
                  + on (%(channelJoin)s) kpi_collection_data_lag_seconds{%(selector)s}
              )
          ||| % cfg,
          'for': c.staleFor,
          labels: { severity: 'warning' },
          annotations: {
            summary: 'KPI {{ $labels.kpi }} has not been read for %(staleRuns)d scheduled runs' % cfg,
            description: 'The last reading of {{ $labels.kpi }} ({{ $labels.channel }}, {{ $labels.account }}) is {{ $value | humanizeDuration }} old; its value and status are not current. See KPICollectionFailing and kpi_collection_errors_total{channel="{{ $labels.channel }}"}.',
            dashboard: detail,
            runbook_url: runbook('KPIDataStale'),
          },
        },
        {
          alert: 'KPICredentialExpiresSoon',
          // The credential a person must renew ends within the window, or
          // has ended: the channel's API says when (debug_token, LinkedIn's
          // introspection, the refresh token's own end), asked at most daily.
          expr: '(kpi_credential_expiry_timestamp_seconds{%(selector)s} - time()) < %(credentialExpiresWithinDays)d * 86400' % cfg,
          'for': c.credentialFor,
          labels: { severity: 'warning' },
          annotations: {
            summary: 'The credential of channel {{ $labels.channel }} expires within %(credentialExpiresWithinDays)d days' % cfg,
            description: std.join(' ', [
              'The credential of {{ $labels.channel }} ends {{ with printf `kpi_credential_expiry_timestamp_seconds{channel="%s",instance="%s"}` $labels.channel $labels.instance | query }}{{ . | first | value | humanizeTimestamp }}{{ end }}',
              '(in {{ $value | humanizeDuration }}; a negative time has passed).',
              'Renew it before then, as the runbook says for its type; the status page and `collector check` name which credential it is.',
            ]),
            dashboard: health,
            runbook_url: runbook('KPICredentialExpiresSoon'),
          },
        },
        {
          alert: 'KPIAPIVersionRetiring',
          // The API version a channel asks for is retired within the
          // window, or was: the vendor's table or rule, or version_end.
          expr: '(kpi_api_version_end_timestamp_seconds{%(selector)s} - time()) < %(versionRetiringWithinDays)d * 86400' % cfg,
          'for': c.versionFor,
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Channel {{ $labels.channel }} asks for API version {{ $labels.version }}, retired within %(versionRetiringWithinDays)d days' % cfg,
            description: std.join(' ', [
              'API version {{ $labels.version }} of {{ $labels.channel }} is retired',
              '{{ with printf `kpi_api_version_end_timestamp_seconds{channel="%s",instance="%s"}` $labels.channel $labels.instance | query }}{{ . | first | value | humanizeTimestamp }}{{ end }}.',
              'Set the channel\'s version: to a current one (check what changed in the vendor\'s changelog) and reload.',
            ]),
            dashboard: health,
            runbook_url: runbook('KPIAPIVersionRetiring'),
          },
        },
        {
          alert: 'KPICollectorDown',
          expr: 'up{%(selector)s} == 0 or absent(up{%(selector)s})' % cfg,
          'for': c.downFor,
          labels: { severity: 'critical' },
          annotations: {
            summary: 'kpi-collector is down or not scraped',
            description: 'Prometheus cannot scrape kpi-collector ({{ $labels.instance }}). No KPI of that replica is measured while it is down. Check the container (`docker compose ps`, `kubectl get pods`) and its log.',
            dashboard: health,
            runbook_url: runbook('KPICollectorDown'),
          },
        },
        {
          alert: 'KPIDigestFailing',
          // The daemon keeps the count in its store, so a restart between
          // two failed digests does not hide them (a weekly digest's
          // counter would rarely show two failures in any window).
          expr: 'kpi_digest_failures_in_a_row{%(selector)s} >= %(digestFailures)d' % cfg,
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Digest {{ $labels.digest }} failed {{ $value }} times in a row',
            description: 'The last {{ $value }} sends of digest {{ $labels.digest }} did not reach every destination, after retries. The collector log says which destination failed and why ("the digest was not sent"); `collector digest --name {{ $labels.digest }}` sends one now.',
            dashboard: health,
            runbook_url: runbook('KPIDigestFailing'),
          },
        },
        {
          alert: 'KPIStoreBackupTooOld',
          // Only where scheduled backups are on (--storage.backup.path): the
          // interval's series is exported only then. A replica with none
          // taken yet exports 0, so a first backup that keeps failing fires.
          expr: |||
            time() - kpi_store_last_backup_timestamp_seconds{%(selector)s}
              > on (%(instanceJoin)s) %(backupIntervals)d * kpi_store_backup_interval_seconds{%(selector)s}
          ||| % cfg,
          'for': c.backupFor,
          labels: { severity: 'warning' },
          annotations: {
            summary: 'The store of kpi-collector has not been backed up for %(backupIntervals)d intervals' % cfg,
            description: 'The last scheduled backup of the store of {{ $labels.instance }} is {{ $value | humanizeDuration }} old (more than %(backupIntervals)d of its --storage.backup.interval). A lost disk now loses the history since. The log says why ("the scheduled backup failed").' % cfg,
            dashboard: health,
            runbook_url: runbook('KPIStoreBackupTooOld'),
          },
        },
      ],
    }],
  },
}
