// The collector's configuration: OTLP in (gRPC 4317, HTTP 4318), the stack's privacy policy applied
// before anything is stored, metrics out to Prometheus by remote write, events out to Loki's native
// OTLP endpoint, and counts of what the policy removed. A pure renderer: collector.ts describes the
// service that runs it.
import { stringify } from "yaml";
import type { Settings } from "./settings.js";
import { COLLECTOR_PORTS, INGEST_TOKEN_ENV, PREVIOUS_INGEST_TOKEN_ENV } from "./collector.js";
import { telemetryReader } from "./collector-telemetry.js";
import { STACK_NAME } from "./stack-name.js";
import { OUT_OF_ORDER_WINDOW } from "./late-samples.js";
import { apiEventsConnector, cumulativeToDelta, dropZeroCondition, identityChainStatements, usageConnector, usageOutputStatements } from "./collector-usage.js";
import {
  MARKERS,
  RUN_MARKER_ATTRIBUTE,
  policyOf,
  contentMarkStatements,
  contentStatements,
  identityStatements,
  labelMarkStatements,
  labelStatements,
} from "./privacy.js";

export interface CollectorTargets {
  /** Prometheus' remote-write receiver, e.g. http://prometheus:9090/api/v1/write. */
  prometheusRemoteWrite: string;
  /** Base URL of Loki's OTLP endpoint, without `/v1/logs`. */
  lokiOtlp: string;
  /** Require `Authorization: Bearer <token>` on both OTLP receivers. */
  requireToken: boolean;
  /** Also accept the previous token (during a rotation). */
  acceptPreviousToken?: boolean;
}

/** Component ids, as the pinned release names them (snake_case since about 0.154). */
export const COLLECTOR_COMPONENTS = {
  otlpReceiver: "otlp",
  memoryLimiter: "memory_limiter",
  labels: "transform/labels",
  identity: "transform/identity",
  mark: "transform/governance_mark",
  boundLabels: "transform/bound_labels",
  scrubContent: "transform/scrub_content",
  governanceResource: "transform/governance_resource",
  governanceTime: "transform/governance_time",
  groupResources: "groupbyattrs/governance",
  cumulativeToDelta: "cumulative_to_delta",
  identityChain: "transform/identity_chain",
  usage: "signal_to_metrics/usage",
  eventLabels: "transform/event_labels",
  apiEvents: "signal_to_metrics/api_events",
  usageOutput: "transform/usage_output",
  dropZero: "filter/zero_usage",
  deltaToCumulative: "delta_to_cumulative",
  batch: "batch",
  forwardMetrics: "forward/metrics",
  forwardLogs: "forward/logs",
  forwardGovernance: "forward/governance",
  count: "count/governance",
  prometheus: "prometheus_remote_write",
  loki: "otlp_http/loki",
  debug: "debug",
  health: "health_check",
  auth: "bearertokenauth",
} as const;

/** The counters of what the privacy policy removed (Prometheus names in COLLECTOR_GOVERNANCE_METRICS). */
export const GOVERNANCE_COUNTS = {
  labelsTrimmed: "claude_code_governance.labels_trimmed",
  contentRemoved: "claude_code_governance.content_removed",
} as const;

/** The resource the governance counts are kept under: the collector replica's own. */
const GOVERNANCE_RESOURCE = [
  `keep_keys(resource.attributes, [])`,
  `set(resource.attributes["service.name"], "${STACK_NAME}-collector")`,
  `set(resource.attributes["service.instance.id"], "\${env:HOSTNAME}")`,
];

/** Resource attributes transform/labels copies onto data points: service.name and the org labels. */
export function liftedKeys(labelAttributes: readonly string[]): string[] {
  return ["service.name", ...labelAttributes.filter((k) => k !== "service.name")];
}

/**
 * OTTL that copies a resource attribute onto each data point that lacks it. Paths name their
 * context (`datapoint.`, `resource.`), so the transform processor infers it instead of rewriting
 * unprefixed paths (which it reports at start).
 */
function liftStatement(key: string, ctx: "datapoint" | "log" = "datapoint"): string {
  const k = JSON.stringify(key);
  return `set(${ctx}.attributes[${k}], resource.attributes[${k}]) where ${ctx}.attributes[${k}] == nil and resource.attributes[${k}] != nil`;
}

/**
 * Renders the collector configuration.
 *
 * Pipelines (privacy first, before any exporter, so no client setting can store more than the
 * stack's policy allows):
 *   metrics            OTLP → memory_limiter → transform/labels → transform/identity → mark
 *                      → forward/metrics, forward/governance
 *   metrics/store      → cumulative_to_delta → bound labels (allow-list, closed sets, length)
 *                      → identity chain (the `user` attribute) → batch → signal_to_metrics/usage
 *   metrics/usage      one increment per person and label set per batch (collector-usage.ts)
 *                      → replica label, gauge → zero increments dropped → batch → Prometheus
 *   logs               OTLP → memory_limiter → transform/identity → mark → forward/logs, forward/governance
 *   logs/store         → scrub content → identity chain (the same `user` as on the metrics) → batch → Loki
 *   logs/api_events    → org labels lifted, values cut → batch → signal_to_metrics/api_events:
 *                      API requests, errors and refusals, compactions, subagent runs, skills,
 *                      plugins and MCP connections counted per batch, into metrics/usage
 *   governance         the marked items counted (count connector) under one resource per collector
 *                      replica → delta_to_cumulative → Prometheus: what the policy removed is counted.
 *
 * Why each piece is there:
 * - memory_limiter first, batch last: the order the collector documents for back-pressure.
 * - transform/labels: Claude Code copies OTEL_RESOURCE_ATTRIBUTES keys onto data points itself, but a
 *   client may turn that off; lifting the org attributes (and service.name) only where they are
 *   missing makes them labels in every case without ever producing a duplicate label.
 * - privacy statements fail closed (error_mode: propagate): a batch they cannot process is refused,
 *   never stored unprocessed.
 * - usage counting: Prometheus never sees a session. Each batch's increments are summed per person
 *   and label set and stored as one sample of a per-replica series; dashboards sum samples over the
 *   range, so a Prometheus restart, a second replica or a silent day neither loses nor double-counts
 *   an increment (a collector restart loses only what it had not yet written). The generated
 *   settings ask for delta; cumulative clients are converted first (their first value is kept only
 *   for streams that start after the collector did).
 * - prometheus_remote_write: pushes, so any number of collector replicas can sit behind a load
 *   balancer; names follow the catalog (translation strategy set explicitly) with no namespace, and
 *   resource attributes stay in target_info (no resource labels: no duplicate labels). Failed writes
 *   are retried for as long as Prometheus still accepts late samples (its out-of-order window), so a
 *   Prometheus outage that short loses nothing the queue holds.
 */
export function renderCollectorConfig(settings: Settings, targets: CollectorTargets): string {
  const c = settings.collector;
  const id = COLLECTOR_COMPONENTS;
  const auth = targets.requireToken ? { auth: { authenticator: id.auth } } : {};
  const policy = policyOf(settings);

  const extensions: Record<string, unknown> = {
    [id.health]: { endpoint: `0.0.0.0:${COLLECTOR_PORTS.health}` },
  };
  if (targets.requireToken) {
    extensions[id.auth] = targets.acceptPreviousToken
      ? { scheme: "Bearer", tokens: [`\${env:${INGEST_TOKEN_ENV}}`, `\${env:${PREVIOUS_INGEST_TOKEN_ENV}}`] }
      : { scheme: "Bearer", token: `\${env:${INGEST_TOKEN_ENV}}` };
  }

  const metricsExporters: string[] = [id.prometheus];
  const logsExporters: string[] = [id.loki];
  const exporters: Record<string, unknown> = {
    [id.prometheus]: {
      http: { endpoint: targets.prometheusRemoteWrite },
      translation_strategy: "UnderscoreEscapingWithSuffixes",
      // The usage series are the connector's, not a client meter's: no scope labels to carry.
      disable_scope_info: true,
      // This exporter retries inside one export, which `timeout` bounds (5 s by default): both span
      // the window in which Prometheus still takes the retried, possibly reordered, samples.
      timeout: OUT_OF_ORDER_WINDOW,
      retry_on_failure: { enabled: true, max_elapsed_time: OUT_OF_ORDER_WINDOW },
      remote_write_queue: { enabled: true, queue_size: 10000 },
      max_batch_request_parallelism: 4,
    },
    [id.loki]: {
      endpoint: targets.lokiOtlp,
      compression: "gzip",
      // As long as Prometheus' writes are retried: one outage of the stack loses neither signal.
      retry_on_failure: { enabled: true, max_elapsed_time: OUT_OF_ORDER_WINDOW },
      sending_queue: { enabled: true, queue_size: 5000 },
    },
  };
  if (c.debugExporter) {
    exporters[id.debug] = { verbosity: "basic" };
    metricsExporters.push(id.debug);
    logsExporters.push(id.debug);
  }

  const identity = (ctx: "datapoint" | "log") => [...identityStatements("resource", settings.privacy), ...identityStatements(ctx, settings.privacy)];
  const failClosed = { error_mode: "propagate" };
  const processors: Record<string, unknown> = {
    [id.memoryLimiter]: {
      check_interval: "1s",
      limit_mib: c.memoryLimitMiB,
      spike_limit_mib: Math.max(16, Math.floor(c.memoryLimitMiB / 5)),
    },
    [id.labels]: { error_mode: "ignore", metric_statements: liftedKeys(c.labelAttributes).map((k) => liftStatement(k)) },
    // The event counts' labels are cut like every metric label (this pipeline's copy only: Loki keeps the event as scrubbed).
    [id.eventLabels]: {
      error_mode: "ignore",
      log_statements: [
        ...liftedKeys(c.labelAttributes).map((k) => liftStatement(k, "log")),
        `truncate_all(log.attributes, ${settings.privacy.maxLabelValueLength})`,
      ],
    },
    [id.mark]: { ...failClosed, metric_statements: labelMarkStatements(policy), log_statements: contentMarkStatements(policy) },
    [id.boundLabels]: { ...failClosed, metric_statements: labelStatements(policy) },
    [id.scrubContent]: { ...failClosed, log_statements: contentStatements(policy) },
    // Counted under one resource per collector replica, whatever the clients' resources were, so
    // each count is one stream (two points of one stream at one time would be refused downstream).
    [id.governanceResource]: { ...failClosed, metric_statements: GOVERNANCE_RESOURCE, log_statements: GOVERNANCE_RESOURCE },
    [id.groupResources]: {},
    // The count connector dates a count by the items it counted, which need not grow from one count
    // to the next; delta_to_cumulative refuses a point that is not newer. Counted now, dated now.
    [id.governanceTime]: { ...failClosed, metric_statements: ["set(datapoint.start_time, Now())", "set(datapoint.time, Now())"] },
    [id.cumulativeToDelta]: cumulativeToDelta(),
    [id.identityChain]: {
      ...failClosed,
      metric_statements: identityChainStatements("datapoint", settings.privacy.identityChain),
      log_statements: identityChainStatements("log", settings.privacy.identityChain),
    },
    [id.usageOutput]: { ...failClosed, metric_statements: usageOutputStatements() },
    [id.dropZero]: { error_mode: "propagate", metric_conditions: [dropZeroCondition()] },
    [id.deltaToCumulative]: { max_stale: c.deltaMaxStale },
    [id.batch]: { send_batch_size: c.batchSize, timeout: c.batchTimeout },
  };
  const identityStatementsMetrics = identity("datapoint");
  const identityStatementsLogs = identity("log");
  const withIdentity: string[] = [];
  if (identityStatementsMetrics.length > 0) {
    processors[id.identity] = { ...failClosed, metric_statements: identityStatementsMetrics, log_statements: identityStatementsLogs };
    withIdentity.push(id.identity);
  }

  const connectors = {
    [id.forwardMetrics]: {},
    [id.forwardLogs]: {},
    [id.forwardGovernance]: {},
    [id.count]: {
      datapoints: {
        [GOVERNANCE_COUNTS.labelsTrimmed]: {
          description: "Claude Code data points that carried attributes the label allow-list removed",
          conditions: [`datapoint.attributes[${JSON.stringify(MARKERS.labelsTrimmed)}] == true`],
        },
      },
      logs: {
        [GOVERNANCE_COUNTS.contentRemoved]: {
          description: "Claude Code events whose content attributes the privacy policy removed",
          conditions: [`log.attributes[${JSON.stringify(MARKERS.contentRemoved)}] == true`],
        },
      },
    },
    [id.usage]: usageConnector({ labelAttributes: c.labelAttributes, optional: [...settings.privacy.extraMetricLabels, RUN_MARKER_ATTRIBUTE] }),
    [id.apiEvents]: apiEventsConnector([...c.labelAttributes, RUN_MARKER_ATTRIBUTE]),
  };

  const config = {
    extensions,
    receivers: {
      [id.otlpReceiver]: {
        protocols: {
          grpc: { endpoint: `0.0.0.0:${COLLECTOR_PORTS.otlpGrpc}`, ...auth },
          http: { endpoint: `0.0.0.0:${COLLECTOR_PORTS.otlpHttp}`, ...auth },
        },
      },
    },
    processors,
    connectors,
    exporters,
    service: {
      extensions: Object.keys(extensions),
      telemetry: {
        logs: { level: "info" },
        metrics: { level: "normal", readers: [telemetryReader("0.0.0.0", COLLECTOR_PORTS.telemetry)] },
      },
      pipelines: {
        metrics: {
          receivers: [id.otlpReceiver],
          processors: [id.memoryLimiter, id.labels, ...withIdentity, id.mark],
          exporters: [id.forwardMetrics, id.forwardGovernance],
        },
        "metrics/store": {
          receivers: [id.forwardMetrics],
          // Converted before the labels are bounded: bounding can merge two streams of one session
          // (two unknown values both "other"), whose cumulative values would then look like resets.
          processors: [id.cumulativeToDelta, id.boundLabels, id.identityChain, id.batch],
          exporters: [id.usage],
        },
        // One call of the connector per batch: one point per person and label set per batch.
        "metrics/usage": {
          receivers: [id.usage, id.apiEvents],
          processors: [id.usageOutput, id.dropZero, id.batch],
          exporters: metricsExporters,
        },
        logs: {
          receivers: [id.otlpReceiver],
          processors: [id.memoryLimiter, ...withIdentity, id.mark],
          exporters: [id.forwardLogs, id.forwardGovernance],
        },
        "logs/store": {
          receivers: [id.forwardLogs],
          processors: [id.scrubContent, id.identityChain, id.batch],
          exporters: logsExporters,
        },
        // API requests and errors counted per batch, for the error alerts (the events stay in Loki).
        "logs/api_events": {
          receivers: [id.forwardLogs],
          processors: [id.eventLabels, id.batch],
          exporters: [id.apiEvents],
        },
        // Batched, then the batch's (identical) resources merged into one before counting: one
        // count per batch. Several points of one series in one write would share a timestamp, and
        // Prometheus keeps only one of them.
        "metrics/governance_in": {
          receivers: [id.forwardGovernance],
          processors: [id.governanceResource, id.batch, id.groupResources],
          exporters: [id.count],
        },
        "logs/governance_in": {
          receivers: [id.forwardGovernance],
          processors: [id.governanceResource, id.batch, id.groupResources],
          exporters: [id.count],
        },
        "metrics/governance": {
          receivers: [id.count],
          processors: [id.governanceTime, id.deltaToCumulative, id.batch],
          exporters: [id.prometheus],
        },
      },
    },
  };
  return stringify(config, { lineWidth: 0, aliasDuplicateObjects: false });
}
