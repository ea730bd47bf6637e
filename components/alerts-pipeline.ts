// Alerts on the stack's own plumbing: data that stops arriving, a collector that is down, refuses,
// fails to deliver or drops, a backend that is down, rules that fail to evaluate and notifications
// that fail to leave. The collector's metric names are checked against the real binary
// (components/collector-telemetry.ts).
import { COLLECTOR_METRICS as M } from "./collector-telemetry.js";
import { USER_ACTIVITY } from "./usage-series.js";
import { SERVICE_MATCHER, type AlertingRule, type RuleGroup } from "./prometheus-rules.js";

/** Hours without any Claude Code data, at any time of day, before the pipeline is considered silent. */
export const SILENCE_WINDOW = "6h";

export const COLLECTOR_JOB = "otel-collector";
/** Scrape jobs of the stack's backends (Prometheus config). */
export const BACKEND_JOBS = ["loki", "grafana", "alertmanager"] as const;

const rate5m = (metric: string, by: string) => `sum by (${by}) (rate(${metric}[5m]))`;
const activity = `${USER_ACTIVITY.series}{${SERVICE_MATCHER}}`;
const quietWithoutData = { noData: "quiet" } as const;

const RULES: AlertingRule[] = [
  {
    alert: "ClaudeCodeTelemetryMissing",
    expr: `absent_over_time(${activity}[${SILENCE_WINDOW}])`,
    for: "10m",
    severity: "warning",
    summary: `No Claude Code telemetry has arrived for ${SILENCE_WINDOW}`,
    description: "Check the client settings (CLAUDE_CODE_ENABLE_TELEMETRY, exporters, endpoint, token) and the collector's refused/failed counters.",
    runbook:
      "Run `npm run check-endpoint` against the OTLP endpoint from a developer machine; check that the managed settings reached the machines (the rollout guide says where) and read the collector's log.",
    noData: "fires",
  },
  {
    alert: "TelemetryCollectorDown",
    expr: `up{job="${COLLECTOR_JOB}"} == 0`,
    for: "5m",
    severity: "critical",
    summary: "The OpenTelemetry Collector is not answering scrapes",
    description: "Claude Code clients cannot deliver telemetry while the collector is down; they drop what they cannot send.",
    runbook: "Look at the collector container or pods (restarts, OOM kills, config errors in its log); `otelcol validate` the rendered config.",
    ...quietWithoutData,
  },
  {
    // Each signal on its own: a sum of both would be empty until both counters exist.
    alert: "TelemetryCollectorRefusing",
    expr: `${rate5m(M.refusedMetricPoints, "receiver")} > 0 or ${rate5m(M.refusedLogRecords, "receiver")} > 0`,
    for: "10m",
    severity: "warning",
    summary: "The collector's {{ $labels.receiver }} receiver refuses incoming telemetry",
    description: "Usually memory_limiter back-pressure or bad requests; look at the collector's log.",
    runbook: "If memory_limiter refuses, raise collector.memoryLimitMiB or collector.replicas; otherwise the log names the bad requests.",
    ...quietWithoutData,
  },
  {
    // Metrics and logs leave through different exporters, so the two rates never share a label set.
    alert: "TelemetryExportFailing",
    expr: `${rate5m(M.sendFailedMetricPoints, "exporter")} > 0 or ${rate5m(M.sendFailedLogRecords, "exporter")} > 0`,
    for: "10m",
    severity: "critical",
    summary: "The collector fails to deliver telemetry to {{ $labels.exporter }}",
    description: "Data is queued and retried, then dropped. Check that Prometheus and Loki are up and accept OTLP.",
    runbook: "Check the backend the exporter writes to (TelemetryBackendDown, its log); writes are retried for 30 minutes, then lost.",
    ...quietWithoutData,
  },
  {
    alert: "TelemetryDropped",
    expr: `${rate5m(M.enqueueFailedMetricPoints, "exporter")} > 0 or ${rate5m(M.enqueueFailedLogRecords, "exporter")} > 0`,
    for: "0s",
    severity: "critical",
    summary: "The collector drops telemetry for {{ $labels.exporter }}: its queue is full",
    description: "{{ $value | humanize }} items per second are lost for good.",
    runbook: "The backend is too slow or down while clients keep sending: fix the backend first, then consider more collector replicas.",
    ...quietWithoutData,
  },
  {
    alert: "TelemetryBackendDown",
    expr: `up{job=~"${BACKEND_JOBS.join("|")}"} == 0`,
    for: "5m",
    severity: "critical",
    summary: "{{ $labels.job }} is not answering scrapes",
    description: "The stack's storage, dashboards or notifications are unavailable.",
    runbook: "Look at the service's container or pod and its log; Loki and Grafana keep their data on their volumes.",
    ...quietWithoutData,
  },
  {
    alert: "PrometheusRuleEvaluationFailing",
    expr: `sum by (rule_group) (rate(prometheus_rule_evaluation_failures_total[5m])) > 0`,
    for: "10m",
    severity: "warning",
    summary: "Rules of {{ $labels.rule_group }} fail to evaluate",
    description: "An alert of that group cannot fire while its rule fails.",
    runbook: "Prometheus' log names the rule and the error (usually a query over too many samples: raise its memory or shorten the range).",
    ...quietWithoutData,
  },
  {
    alert: "AlertNotificationsFailing",
    expr: `sum by (integration) (rate(alertmanager_notifications_failed_total[5m])) > 0`,
    for: "10m",
    severity: "warning",
    summary: "Alertmanager fails to send notifications through {{ $labels.integration }}",
    description: "Alerts still show in Grafana and Alertmanager, but do not reach people.",
    runbook: "Alertmanager's log says why (a revoked webhook, a wrong key, an SMTP error); fix the contact point's secret in the stack settings.",
    ...quietWithoutData,
  },
];

export const PIPELINE_ALERT_GROUPS: readonly RuleGroup<AlertingRule>[] = [{ name: "claude_code_pipeline", rules: RULES }];
