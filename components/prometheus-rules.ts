// Recording and alerting rules, written once and loaded by Prometheus on every target.
// Recording rules aggregate `session_id` away so long-range panels stay fast with thousands of users;
// alerting rules make a silent pipeline visible (nothing alerts otherwise when telemetry stops).
import { stringify } from "yaml";
import { METRICS } from "./claude/telemetry.js";

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
}

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly severity: "warning" | "critical";
  readonly summary: string;
  readonly description: string;
}

export interface RuleGroup<R> {
  readonly name: string;
  readonly interval?: string;
  readonly rules: readonly R[];
}

/** Labels kept by the per-minute recording rules: everything a dashboard groups or filters by. */
export const RECORDED_LABELS = ["team", "department", "cost_center", "environment", "user_email", "model", "service_name"] as const;
const BY = `by (${RECORDED_LABELS.join(", ")})`;

/** Evaluation interval of the recording group: the window of every recorded increase. */
export const RECORDING_INTERVAL = "1m";

export const RECORDING_GROUPS: readonly RuleGroup<RecordingRule>[] = [
  {
    name: "claude_code_usage_1m",
    interval: RECORDING_INTERVAL,
    rules: [
      { record: "claude_code:cost_usd:increase1m", expr: `sum ${BY} (increase(${METRICS.cost.prometheus}[2m])) / 2` },
      { record: "claude_code:tokens:increase1m", expr: `sum by (${RECORDED_LABELS.join(", ")}, type) (increase(${METRICS.tokens.prometheus}[2m])) / 2` },
      { record: "claude_code:active_seconds:increase1m", expr: `sum by (team, department, cost_center, environment, user_email, service_name, type) (increase(${METRICS.activeTime.prometheus}[2m])) / 2` },
      // Sessions and people are counted from the series themselves: a session's first sample never shows in increase().
      { record: "claude_code:sessions:active", expr: `count by (team, department, cost_center, environment, service_name) (count by (session_id, team, department, cost_center, environment, service_name) (${METRICS.session.prometheus}))` },
      { record: "claude_code:users:active", expr: `count by (team, department, cost_center, environment) (count by (user_email, team, department, cost_center, environment) (${METRICS.session.prometheus}{user_email!=""}))` },
    ],
  },
];

/** Minutes without any Claude Code data before the pipeline is considered silent. */
export const SILENCE_WINDOW = "6h";

export const ALERTING_GROUPS: readonly RuleGroup<AlertingRule>[] = [
  {
    name: "claude_code_pipeline",
    rules: [
      {
        alert: "ClaudeCodeTelemetryMissing",
        expr: `absent_over_time(${METRICS.session.prometheus}[${SILENCE_WINDOW}])`,
        for: "10m",
        severity: "warning",
        summary: "No Claude Code telemetry has arrived for 6 hours",
        description: "Check the client settings (CLAUDE_CODE_ENABLE_TELEMETRY, exporters, endpoint, token) and the collector's refused/failed counters.",
      },
      {
        alert: "TelemetryCollectorDown",
        expr: `up{job="otel-collector"} == 0`,
        for: "5m",
        severity: "critical",
        summary: "The OpenTelemetry Collector is not answering scrapes",
        description: "Claude Code clients cannot deliver telemetry while the collector is down; they drop what they cannot send.",
      },
      {
        alert: "TelemetryCollectorRefusing",
        expr: "sum(rate(otelcol_receiver_refused_metric_points_total[5m])) + sum(rate(otelcol_receiver_refused_log_records_total[5m])) > 0",
        for: "10m",
        severity: "warning",
        summary: "The collector refuses incoming telemetry",
        description: "Usually memory_limiter back-pressure or bad requests; look at the collector's log.",
      },
      {
        alert: "TelemetryExportFailing",
        expr: "sum by (exporter) (rate(otelcol_exporter_send_failed_metric_points_total[5m]) + rate(otelcol_exporter_send_failed_log_records_total[5m])) > 0",
        for: "10m",
        severity: "critical",
        summary: "The collector fails to deliver telemetry to {{ $labels.exporter }}",
        description: "Data is queued and retried, then dropped. Check that Prometheus and Loki are up and accept OTLP.",
      },
      {
        alert: "TelemetryBackendDown",
        expr: `up{job=~"loki|grafana"} == 0`,
        for: "5m",
        severity: "critical",
        summary: "{{ $labels.job }} is not answering scrapes",
        description: "The stack's storage or dashboards are unavailable.",
      },
    ],
  },
];

/** The rules file Prometheus loads. */
export function renderRulesFile(): string {
  const groups = [
    ...RECORDING_GROUPS.map((g) => ({ name: g.name, interval: g.interval, rules: g.rules.map((r) => ({ record: r.record, expr: r.expr })) })),
    ...ALERTING_GROUPS.map((g) => ({
      name: g.name,
      rules: g.rules.map((r) => ({
        alert: r.alert,
        expr: r.expr,
        for: r.for,
        labels: { severity: r.severity },
        annotations: { summary: r.summary, description: r.description },
      })),
    })),
  ];
  return stringify({ groups }, { lineWidth: 0 });
}
