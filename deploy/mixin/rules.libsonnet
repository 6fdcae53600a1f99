{
  prometheusRules+:: {
    groups+: [{
      name: 'kpi-collector.records',
      rules: [
        {
          // Days until the next milestone falls due (negative once it has).
          record: 'kpi:target_due_days',
          expr: '(kpi_target_due_timestamp_seconds{%(selector)s} - time()) / 86400' % $._config,
        },
        {
          // Seconds since the KPI's value was last read.
          record: 'kpi:observation_age_seconds',
          expr: 'time() - kpi_last_observation_timestamp_seconds{%(selector)s}' % $._config,
        },
        {
          // Seconds since the channel's last fully successful run.
          record: 'kpi:collection_success_age_seconds',
          expr: 'time() - kpi_collection_last_success_timestamp_seconds{%(selector)s}' % $._config,
        },
        {
          // The current status as one series per KPI, for tables.
          record: 'kpi:status',
          expr: 'kpi_status{%(selector)s} == 1' % $._config,
        },
        {
          // The status as a number, for colored panels:
          // 0 no_data, 1 missed, 2 behind, 3 on_track, 4 ahead, 5 met.
          record: 'kpi:status_code',
          expr: |||
            sum without (status) (kpi_status{%(selector)s, status="missed"}) * 1
            + sum without (status) (kpi_status{%(selector)s, status="behind"}) * 2
            + sum without (status) (kpi_status{%(selector)s, status="on_track"}) * 3
            + sum without (status) (kpi_status{%(selector)s, status="ahead"}) * 4
            + sum without (status) (kpi_status{%(selector)s, status="met"}) * 5
          ||| % $._config,
        },
      ],
    }],
  },
}
