// Exporters: otlp, otlphttp and debug (core), prometheus and prometheusremotewrite (contrib).

import {
  grpcClientFields,
  httpClientFields,
  httpServerFields,
  resourceToTelemetry,
  retryOnFailure,
  sendingQueue,
  timeoutFields,
} from "./common.js";
import type { Registry } from "./component.js";
import { SIGNALS } from "./component.js";
import { bool, deprecated, duration, int, mapOf, obj, oneOf, str } from "./shape.js";

// prometheusexporter.Config in this version: no translation_strategy yet (added in a later
// release, which also deprecates add_metric_suffixes) and no sending_queue.
const prometheus = obj(
  {
    ...httpServerFields,
    namespace: str(),
    const_labels: mapOf(str()),
    send_timestamps: bool(),
    metric_expiration: duration(),
    resource_to_telemetry_conversion: resourceToTelemetry,
    enable_open_metrics: bool(),
    add_metric_suffixes: bool(),
  },
  // No default endpoint upstream: without one the exporter listens on a random port.
  { required: ["endpoint"] },
);

const otlphttp = obj(
  {
    ...httpClientFields,
    sending_queue: sendingQueue,
    retry_on_failure: retryOnFailure,
    traces_endpoint: str(),
    metrics_endpoint: str(),
    logs_endpoint: str(),
    encoding: oneOf(["proto", "json"]),
  },
  {
    rules: (v, path, out) => {
      if (!v.endpoint && !v.traces_endpoint && !v.metrics_endpoint && !v.logs_endpoint) {
        out.push(`${path}.endpoint: required (or a per-signal *_endpoint)`);
      }
    },
  },
);

const otlp = obj(
  {
    ...timeoutFields,
    sending_queue: sendingQueue,
    retry_on_failure: retryOnFailure,
    // Still decoded in this version, removed in v0.130.0.
    batcher: deprecated("use sending_queue.batch"),
    ...grpcClientFields,
  },
  { required: ["endpoint"] },
);

const debug = obj({
  verbosity: oneOf(["basic", "normal", "detailed"]),
  sampling_initial: int({ min: 1 }),
  sampling_thereafter: int({ min: 1 }),
  use_internal_logger: bool(),
});

const prometheusremotewrite = obj(
  {
    ...timeoutFields,
    retry_on_failure: retryOnFailure,
    namespace: str(),
    remote_write_queue: obj({ enabled: bool(), queue_size: int({ min: 0 }), num_consumers: int({ min: 0 }) }),
    external_labels: mapOf(str()),
    ...httpClientFields,
    max_batch_size_bytes: int({ min: 0 }),
    max_batch_request_parallelism: int({ min: 1 }),
    resource_to_telemetry_conversion: resourceToTelemetry,
    wal: obj({
      directory: str(),
      buffer_size: int({ min: 0 }),
      truncate_frequency: duration(),
      lag_record_frequency: int({ min: 0 }),
    }),
    target_info: obj({ enabled: bool() }),
    add_metric_suffixes: bool(),
    send_metadata: bool(),
    protobuf_message: oneOf(["prometheus.WriteRequest", "io.prometheus.write.v2.Request"]),
  },
  {
    required: ["endpoint"],
    rules: (v, path, out) => {
      if (v.compression !== undefined && v.compression !== "" && v.compression !== "snappy") {
        out.push(`${path}.compression: must be snappy`);
      }
    },
  },
);

export const EXPORTERS: Registry = {
  prometheus: { schema: prometheus, signals: ["metrics"] },
  otlphttp: { schema: otlphttp, signals: SIGNALS },
  otlp: { schema: otlp, signals: SIGNALS },
  debug: { schema: debug, signals: SIGNALS },
  prometheusremotewrite: { schema: prometheusremotewrite, signals: ["metrics"] },
};
