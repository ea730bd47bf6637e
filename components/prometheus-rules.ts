// Recording and alerting rules, written once and loaded by Prometheus on every target.
//
// Counting needs no recording rule: the collector writes per-person increments
// (components/usage-series.ts), which dashboards sum directly. The rules here only keep, cheaply,
// what a query could not find otherwise: when Claude Code data last arrived (the 5-minute look-back
// would forget it) and who was active in each hour (the history "new people" compares against).
//
// Alerting rules make a silent or failing pipeline visible.
import { stringify } from "yaml";
import { ORG_ATTRIBUTES, SERVICE_NAME_REGEX, promLabel } from "./claude/telemetry.js";
import { COLLECTOR_METRICS as M } from "./collector-telemetry.js";
import { USER_ACTIVITY, USER_ATTRIBUTE } from "./usage-series.js";
import { durationMs } from "../lib/duration.js";

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
  /** Evaluates the group this far in the past, so samples still in flight are in when it runs. */
  readonly queryOffset?: string;
  readonly rules: readonly R[];
}

// ---- durations ---------------------------------------------------------------------------------

/** Sum of Prometheus durations, written back in whole seconds or milliseconds. */
export function addDurations(...ds: string[]): string {
  const ms = ds.reduce((sum, d) => sum + durationMs(d), 0);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Matcher for both Claude Code service names (CLI and desktop app). */
export const SERVICE_MATCHER = `service_name=~"${SERVICE_NAME_REGEX}"`;

/** Label of the usage series that names a person (never `user_id`, which counts installations). */
export const USER_LABEL = USER_ATTRIBUTE;
/** Org labels the collector guarantees on every usage series. */
export const ORG_LABELS = ORG_ATTRIBUTES.map(promLabel);

/** Presence per hour: 1 for each person active in the hour. */
export const RECORDED_USERS = { perHour: "claude_code:user_active:present1h" } as const;
/** Timestamp of the newest Claude Code sample, kept so "time since last data" survives the 5m lookback. */
export const RECORDED_LAST_SAMPLE = "claude_code:last_sample:timestamp_seconds";

export interface RecordingOptions {
  /** Interval of the last-sample rule. */
  readonly interval: string;
  /** Interval of the roll-up group (active people per hour). */
  readonly rollupInterval: string;
  /** How long ago the hour the roll-up reads ended, so samples that arrive a little late are in. */
  readonly rollupOffset: string;
}

// 20 minutes: a sample later than that (a Prometheus outage longer than 20 minutes) is still stored
// and counted, but its person is missing from that hour's roll-up, which only "new people" reads.
export const DEFAULT_RECORDING_OPTIONS: RecordingOptions = { interval: "1m", rollupInterval: "1h", rollupOffset: "20m" };

const activity = `${USER_ACTIVITY.series}{${SERVICE_MATCHER}}`;

export function recordingGroups(options: Partial<RecordingOptions> = {}): RuleGroup<RecordingRule>[] {
  const o = { ...DEFAULT_RECORDING_OPTIONS, ...options };
  return [
    {
      name: "claude_code_last_sample",
      interval: o.interval,
      rules: [{ record: RECORDED_LAST_SAMPLE, expr: `max by (service_name) (timestamp(${activity}))` }],
    },
    {
      name: "claude_code_usage_rollup",
      interval: o.rollupInterval,
      queryOffset: o.rollupOffset,
      rules: [
        { record: RECORDED_USERS.perHour, expr: `group by (${[...ORG_LABELS, USER_LABEL].join(", ")}) (count_over_time(${activity}[${o.rollupInterval}]))` },
      ],
    },
  ];
}

export const RECORDING_GROUPS: readonly RuleGroup<RecordingRule>[] = recordingGroups();

/** Hours without any Claude Code data before the pipeline is considered silent. */
export const SILENCE_WINDOW = "6h";

const COLLECTOR_JOB = "otel-collector";
const rate5m = (metric: string, by: string) => `sum by (${by}) (rate(${metric}[5m]))`;

export const ALERTING_GROUPS: readonly RuleGroup<AlertingRule>[] = [
  {
    name: "claude_code_pipeline",
    rules: [
      {
        alert: "ClaudeCodeTelemetryMissing",
        expr: `absent_over_time(${activity}[${SILENCE_WINDOW}])`,
        for: "10m",
        severity: "warning",
        summary: `No Claude Code telemetry has arrived for ${SILENCE_WINDOW}`,
        description: "Check the client settings (CLAUDE_CODE_ENABLE_TELEMETRY, exporters, endpoint, token) and the collector's refused/failed counters.",
      },
      {
        alert: "TelemetryCollectorDown",
        expr: `up{job="${COLLECTOR_JOB}"} == 0`,
        for: "5m",
        severity: "critical",
        summary: "The OpenTelemetry Collector is not answering scrapes",
        description: "Claude Code clients cannot deliver telemetry while the collector is down; they drop what they cannot send.",
      },
      {
        // Each signal on its own: a sum of both would be empty until both counters exist.
        alert: "TelemetryCollectorRefusing",
        expr: `${rate5m(M.refusedMetricPoints, "receiver")} > 0 or ${rate5m(M.refusedLogRecords, "receiver")} > 0`,
        for: "10m",
        severity: "warning",
        summary: "The collector's {{ $labels.receiver }} receiver refuses incoming telemetry",
        description: "Usually memory_limiter back-pressure or bad requests; look at the collector's log.",
      },
      {
        // Metrics and logs leave through different exporters, so the two rates never share a label set.
        alert: "TelemetryExportFailing",
        expr: `${rate5m(M.sendFailedMetricPoints, "exporter")} > 0 or ${rate5m(M.sendFailedLogRecords, "exporter")} > 0`,
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

/** The rules file Prometheus loads; options shorten the recording intervals (tests). */
export function renderRulesFile(options: Partial<RecordingOptions> = {}): string {
  return rulesYaml(recordingGroups(options), ALERTING_GROUPS);
}

/** Prometheus' rules-file form of recording and alerting groups. */
export function rulesYaml(recording: readonly RuleGroup<RecordingRule>[], alerting: readonly RuleGroup<AlertingRule>[]): string {
  const groups = [
    ...recording.map((g) => ({
      name: g.name,
      interval: g.interval,
      query_offset: g.queryOffset,
      rules: g.rules.map((r) => ({ record: r.record, expr: r.expr })),
    })),
    ...alerting.map((g) => ({
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
