import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { IMAGES, imageVersion } from "../components/images.js";
import {
  COLLECTOR_SCHEMA_VERSION,
  SUPPORTED_COMPONENTS,
  validateCollectorConfig,
} from "./support/collector-schema/index.js";

// A realistic gateway config for the pinned collector: OTLP in (token-protected), Claude Code
// metrics to Prometheus' OTLP endpoint and a scrape endpoint, events to Loki, self-monitoring.
const VALID_YAML = `
extensions:
  health_check:
    endpoint: 0.0.0.0:13133
    path: /
    check_collector_pipeline:
      enabled: false
      interval: 5m
      exporter_failure_threshold: 5
  bearertokenauth:
    scheme: Bearer
    token: \${env:OTEL_INGEST_TOKEN}
  pprof:
    endpoint: 127.0.0.1:1777

receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:4317
        max_recv_msg_size_mib: 16
        auth:
          authenticator: bearertokenauth
        keepalive:
          server_parameters:
            max_connection_age: 10m
      http:
        endpoint: 0.0.0.0:4318
        include_metadata: true
        auth:
          authenticator: bearertokenauth
        cors:
          allowed_origins: ["https://*.example.internal"]
          max_age: 600
  prometheus/self:
    config:
      scrape_configs:
        - job_name: otel-collector
          scrape_interval: 30s
          static_configs:
            - targets: ["127.0.0.1:8888"]

processors:
  memory_limiter:
    check_interval: 1s
    limit_mib: 800
    spike_limit_mib: 160
  resource/org:
    attributes:
      - key: deployment.environment
        value: production
        action: upsert
      - key: host.name
        action: delete
  transform/labels:
    error_mode: ignore
    metric_statements:
      - context: datapoint
        statements:
          - set(attributes["service.name"], resource.attributes["service.name"]) where attributes["service.name"] == nil
  transform/events:
    error_mode: ignore
    log_statements:
      - set(log.attributes["team"], resource.attributes["team"]) where log.attributes["team"] == nil
  filter/prompts:
    error_mode: ignore
    logs:
      log_record:
        - attributes["event.name"] == "user_prompt" and attributes["prompt"] != nil
  deltatocumulative:
    max_stale: 10m
    max_streams: 100000
  batch:
    send_batch_size: 8192
    send_batch_max_size: 10000
    timeout: 5s

exporters:
  otlphttp/prometheus:
    endpoint: http://prometheus:9090/api/v1/otlp
    compression: gzip
    timeout: 30s
    retry_on_failure:
      enabled: true
      initial_interval: 5s
      max_elapsed_time: 10m
    sending_queue:
      enabled: true
      num_consumers: 4
      queue_size: 5000
  otlphttp/loki:
    endpoint: http://loki:3100/otlp
    compression: gzip
    encoding: proto
    sending_queue:
      enabled: true
      queue_size: \${env:LOKI_QUEUE_SIZE}
  prometheus:
    endpoint: 0.0.0.0:8889
    send_timestamps: false
    metric_expiration: 15m
    resource_to_telemetry_conversion:
      enabled: false
    add_metric_suffixes: true
  debug:
    verbosity: basic
    sampling_initial: 5
    sampling_thereafter: 200

service:
  extensions: [health_check, bearertokenauth, pprof]
  telemetry:
    resource:
      service.name: otel-collector
    logs:
      level: info
      encoding: json
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: 0.0.0.0
                port: 8888
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [memory_limiter, resource/org, transform/labels, deltatocumulative, batch]
      exporters: [otlphttp/prometheus, prometheus]
    metrics/self:
      receivers: [prometheus/self]
      processors: [memory_limiter, batch]
      exporters: [otlphttp/prometheus]
    logs:
      receivers: [otlp]
      processors: [memory_limiter, resource/org, transform/events, filter/prompts, batch]
      exporters: [otlphttp/loki, debug]
`;

type Config = Record<string, any>;
const valid = (): Config => parse(VALID_YAML) as Config;
const broken = (change: (c: Config) => void): Config => {
  const c = valid();
  change(c);
  return c;
};

describe("collector schema version", () => {
  it("targets the collector image pinned in components/images.ts", () => {
    expect(COLLECTOR_SCHEMA_VERSION).toBe(imageVersion(IMAGES.collector));
  });

  it("knows the component types the stack uses", () => {
    expect(SUPPORTED_COMPONENTS.exporters).toEqual(
      expect.arrayContaining(["otlphttp", "prometheus", "debug", "otlp", "prometheusremotewrite"]),
    );
  });
});

describe("validateCollectorConfig: a valid config", () => {
  it("reports no problem for the realistic config", () => {
    expect(validateCollectorConfig(valid())).toEqual([]);
  });

  it("accepts empty protocol blocks, flat OTTL statements and env references in typed fields", () => {
    const c = broken((c) => {
      c.receivers.otlp.protocols.grpc = null;
      c.processors.batch.send_batch_size = "${env:BATCH_SIZE}";
      c.processors["transform/labels"].metric_statements = ['set(datapoint.attributes["a"], "b")'];
    });
    expect(validateCollectorConfig(c)).toEqual([]);
  });
});

// Each mutation breaks one thing; the validator must report exactly that problem.
const cases: Array<[string, (c: Config) => void, string[]]> = [
  ["unknown key on a component", (c) => (c.exporters.prometheus.namespce = "claude"),
    ["exporters.prometheus.namespce: unknown key"]],
  ["unknown key three levels down", (c) => (c.receivers.otlp.protocols.http.cors.allowed_origin = ["*"]),
    ["receivers.otlp.protocols.http.cors.allowed_origin: unknown key"]],
  ["unknown key inside a telemetry reader", (c) => {
    c.service.telemetry.metrics.readers[0].pull.exporter.prometheus.hostname = "0.0.0.0";
  }, ["service.telemetry.metrics.readers[0].pull.exporter.prometheus.hostname: unknown key"]],
  ["an option from a later release (prometheus translation_strategy)",
    (c) => (c.exporters.prometheus.translation_strategy = "UnderscoreEscapingWithSuffixes"),
    ["exporters.prometheus.translation_strategy: unknown key"]],
  ["a queue option removed in this release (sending_queue.blocking)",
    (c) => (c.exporters["otlphttp/loki"].sending_queue.blocking = true),
    ["exporters.otlphttp/loki.sending_queue.blocking: unknown key"]],
  ["wrong type", (c) => (c.processors.memory_limiter.limit_mib = "800"),
    ["processors.memory_limiter.limit_mib: expected an integer"]],
  ["bad duration", (c) => (c.processors.batch.timeout = "5 seconds"),
    ["processors.batch.timeout: expected a Go duration string (e.g. 500ms, 30s, 5m)"]],
  ["duration given as a bare number", (c) => (c.exporters["otlphttp/prometheus"].retry_on_failure.max_elapsed_time = 600),
    ["exporters.otlphttp/prometheus.retry_on_failure.max_elapsed_time: expected a Go duration string (e.g. 500ms, 30s, 5m)"]],
  ["enum value out of range", (c) => (c.exporters.debug.verbosity = "verbose"),
    ['exporters.debug.verbosity: expected one of "basic", "normal", "detailed"']],
  ["unknown component type", (c) => {
    c.exporters.loki = { endpoint: "http://loki:3100/loki/api/v1/push" };
    c.service.pipelines.logs.exporters.push("loki");
  }, ['exporters.loki: unknown exporter type "loki"']],
  ["pipeline references an undefined component", (c) => c.service.pipelines.logs.exporters.push("otlphttp/tempo"),
    ['service.pipelines.logs.exporters[2]: "otlphttp/tempo" is not defined under exporters']],
  ["defined component used by no pipeline", (c) => (c.exporters["debug/unused"] = { verbosity: "detailed" }),
    ["exporters.debug/unused: defined but not used in any pipeline"]],
  ["service lists an undefined extension", (c) => c.service.extensions.push("zpages"),
    ['service.extensions[3]: "zpages" is not defined under extensions']],
  ["defined extension not listed in service", (c) => {
    c.service.extensions = c.service.extensions.filter((e: string) => e !== "pprof");
  }, ["extensions.pprof: defined but not listed in service.extensions"]],
  ["authenticator names an undefined extension", (c) => {
    c.receivers.otlp.protocols.grpc.auth.authenticator = "oidc";
  }, ['receivers.otlp.protocols.grpc.auth.authenticator: "oidc" is not defined under extensions']],
  ["authenticator names a defined but disabled extension", (c) => {
    c.service.extensions = ["health_check", "pprof"];
  }, [
    "extensions.bearertokenauth: defined but not listed in service.extensions",
    'receivers.otlp.protocols.grpc.auth.authenticator: "bearertokenauth" is not enabled in service.extensions',
    'receivers.otlp.protocols.http.auth.authenticator: "bearertokenauth" is not enabled in service.extensions',
  ]],
  ["authenticator names a non-auth extension", (c) => (c.receivers.otlp.protocols.http.auth.authenticator = "health_check"),
    ['receivers.otlp.protocols.http.auth.authenticator: "health_check" is not an authenticator extension']],
  ["prometheus exporter in a logs pipeline", (c) => c.service.pipelines.logs.exporters.push("prometheus"),
    ['service.pipelines.logs.exporters[2]: "prometheus" does not support logs (only metrics)']],
  ["deltatocumulative in a logs pipeline", (c) => c.service.pipelines.logs.processors.splice(1, 0, "deltatocumulative"),
    ['service.pipelines.logs.processors[1]: "deltatocumulative" does not support logs (only metrics)']],
  ["memory_limiter not first", (c) => (c.service.pipelines["metrics/self"].processors = ["batch", "memory_limiter"]), [
    "service.pipelines.metrics/self.processors: memory_limiter must be the first processor",
    'service.pipelines.metrics/self.processors[0]: "batch" must come after memory_limiter',
  ]],
  ["component listed twice in a pipeline", (c) => c.service.pipelines.logs.processors.push("batch"),
    ['service.pipelines.logs.processors[5]: "batch" is listed more than once']],
  ["unknown pipeline type", (c) => (c.service.pipelines.events = c.service.pipelines.logs),
    ["service.pipelines.events: unknown pipeline type (expected traces, metrics or logs, optionally with /name)"]],
  ["deprecated internal metrics address", (c) => (c.service.telemetry.metrics.address = "0.0.0.0:8888"),
    ["service.telemetry.metrics.address: deprecated, ignored since v0.123.0; use readers with a pull prometheus exporter"]],
  ["OTTL statement group with a context of another signal", (c) => {
    c.processors["transform/labels"].metric_statements[0].context = "log";
  }, ['processors.transform/labels.metric_statements[0].context: expected one of "resource", "scope", "metric", "datapoint"']],
  ["flat statements mixed with statement groups", (c) => {
    c.processors["transform/labels"].metric_statements.push('set(attributes["x"], "y")');
  }, ["processors.transform/labels.metric_statements: mixes flat statements and statement groups; use one style"]],
  ["spike limit not below the limit", (c) => (c.processors.memory_limiter.spike_limit_mib = 800),
    ["processors.memory_limiter.spike_limit_mib: must be smaller than limit_mib"]],
  ["resource action without a value source", (c) => delete c.processors["resource/org"].attributes[0].value,
    ["processors.resource/org.attributes[0]: action upsert needs exactly one of value, from_attribute or from_context"]],
  ["literal bearer token", (c) => (c.extensions.bearertokenauth.token = "s3cr3t-token"),
    ["extensions.bearertokenauth.token: literal secret; use ${env:NAME} or filename"]],
  ["unknown top-level section", (c) => (c.pipelines = {}), ["pipelines: unknown key"]],
];

describe("validateCollectorConfig: broken variants", () => {
  it.each(cases)("%s", (_name, change, expected) => {
    expect(validateCollectorConfig(broken(change))).toEqual(expected);
  });

  it("rejects a config that is not a mapping", () => {
    expect(validateCollectorConfig("receivers: {}")).toEqual(["config: expected a mapping"]);
  });
});
