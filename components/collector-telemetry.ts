// The collector's own metrics, as the pinned release exposes them on its telemetry port and as the
// pipeline dashboard and the alert rules query them. Since about 0.150 the collector's Prometheus
// reader adds neither type nor unit suffixes by default (`otelcol_receiver_accepted_metric_points`,
// not `…_total`); the rendered config asks for exactly that naming, so a change of default in a
// later release cannot rename them silently. A test checks every name here against the real binary.

export const COLLECTOR_METRICS = {
  acceptedMetricPoints: "otelcol_receiver_accepted_metric_points",
  acceptedLogRecords: "otelcol_receiver_accepted_log_records",
  refusedMetricPoints: "otelcol_receiver_refused_metric_points",
  refusedLogRecords: "otelcol_receiver_refused_log_records",
  failedMetricPoints: "otelcol_receiver_failed_metric_points",
  failedLogRecords: "otelcol_receiver_failed_log_records",
  sentMetricPoints: "otelcol_exporter_sent_metric_points",
  sentLogRecords: "otelcol_exporter_sent_log_records",
  sendFailedMetricPoints: "otelcol_exporter_send_failed_metric_points",
  sendFailedLogRecords: "otelcol_exporter_send_failed_log_records",
  /** Dropped because the exporter's queue was full. */
  enqueueFailedMetricPoints: "otelcol_exporter_enqueue_failed_metric_points",
  enqueueFailedLogRecords: "otelcol_exporter_enqueue_failed_log_records",
  queueSize: "otelcol_exporter_queue_size",
  queueCapacity: "otelcol_exporter_queue_capacity",
} as const;

/** The `prometheus` pull reader of the collector's own telemetry, with the naming above. */
export function telemetryReader(host: string, port: number): Record<string, unknown> {
  return {
    pull: {
      exporter: {
        prometheus: { host, port, without_type_suffix: true, without_units: true, without_scope_info: true },
      },
    },
  };
}
