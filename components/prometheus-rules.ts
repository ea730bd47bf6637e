// Recording and alerting rules, written once and loaded by Prometheus on every target.
//
// Counting: every Claude Code session writes its own series (its session_id), and remote write
// carries no start time, so Prometheus stores no zero at a series' start: `increase()` never sees a series' first
// sample: a one-request session contributes nothing to it, and its extrapolation is never exact.
// The recording rules below instead take, per series, the growth since the previous evaluation
// (current value minus the last value before the previous evaluation) and count a series that has
// no earlier value with its whole value. These per-interval increases telescope: summed over any
// window they equal what the clients sent in it. They are summed away from session_id into the
// labels dashboards group by, so long-range panels read few series (`sum_over_time`).
//
// Alerting rules make a silent or failing pipeline visible.
import { stringify } from "yaml";
import { METRICS, ORG_ATTRIBUTES, SERVICE_NAME_REGEX, promLabel } from "./claude/telemetry.js";
import { COLLECTOR_METRICS as M } from "./collector-telemetry.js";
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

/** Label of recorded series that names a person (never `user_id`, which counts installations). */
export const USER_LABEL = "user";
/** Labels a person's identity is taken from, first match wins: OAuth email, org identity, account. */
export const IDENTITY_LABELS = ["user_email", "enduser_id", "user_account_uuid"] as const;

/** Org labels the collector guarantees on every Claude Code series. */
export const ORG_LABELS = ORG_ATTRIBUTES.map(promLabel);
const COMMON_LABELS = [...ORG_LABELS, "service_name", USER_LABEL];

export interface RecordedCounter {
  /** Recorded series: the summed increase over one evaluation interval. */
  readonly record: string;
  /** Raw Prometheus metric it is computed from. */
  readonly source: string;
  /** Labels kept: what dashboards group and filter by. */
  readonly by: readonly string[];
}

/** Every counter the dashboards read, as recorded per-interval increases (names say the production interval). */
export const RECORDED_COUNTERS = {
  cost: { record: "claude_code:cost_usd:increase1m", source: METRICS.cost.prometheus, by: [...COMMON_LABELS, "model"] },
  tokens: { record: "claude_code:tokens:increase1m", source: METRICS.tokens.prometheus, by: [...COMMON_LABELS, "model", "type"] },
  activeTime: { record: "claude_code:active_seconds:increase1m", source: METRICS.activeTime.prometheus, by: [...COMMON_LABELS, "type"] },
  sessions: { record: "claude_code:sessions:increase1m", source: METRICS.session.prometheus, by: COMMON_LABELS },
  linesOfCode: { record: "claude_code:lines_of_code:increase1m", source: METRICS.linesOfCode.prometheus, by: [...COMMON_LABELS, "type"] },
  commits: { record: "claude_code:commits:increase1m", source: METRICS.commit.prometheus, by: COMMON_LABELS },
  pullRequests: { record: "claude_code:pull_requests:increase1m", source: METRICS.pullRequest.prometheus, by: COMMON_LABELS },
  editDecisions: {
    record: "claude_code:edit_decisions:increase1m",
    source: METRICS.editDecision.prometheus,
    by: [...COMMON_LABELS, "decision", "language"],
  },
} as const satisfies Record<string, RecordedCounter>;

/** Presence series: 1 for each person seen in the interval (per minute, and rolled up per hour). */
export const RECORDED_USERS = {
  perMinute: "claude_code:user_active:present1m",
  perHour: "claude_code:user_active:present1h",
} as const;
/** Timestamp of the newest Claude Code sample, kept so "time since last data" survives the 5m lookback. */
export const RECORDED_LAST_SAMPLE = "claude_code:last_sample:timestamp_seconds";

export interface RecordingOptions {
  /** Evaluation interval of the usage group: the window each recorded increase covers. */
  readonly interval: string;
  /** How late a sample may arrive and still be counted in its own interval. */
  readonly queryOffset: string;
  /**
   * How far back a series' previous value is looked for. A series silent for longer (a session
   * resumed after the laptop slept for days) is counted as new, with its whole value again.
   */
  readonly seriesLookback: string;
  /** Interval of the roll-up group (active people per hour). */
  readonly rollupInterval: string;
}

export const DEFAULT_RECORDING_OPTIONS: RecordingOptions = { interval: "1m", queryOffset: "1m", seriesLookback: "1d", rollupInterval: "1h" };

const raw = (metric: string) => `${metric}{${SERVICE_MATCHER}}`;

/** Adds the `user` label from the first identity label present (later label_replace calls win). */
export function withIdentity(expr: string): string {
  return [...IDENTITY_LABELS].reverse().reduce((e, label) => `label_replace(${e}, "${USER_LABEL}", "$1", "${label}", "(.+)")`, expr);
}

/** Per series: growth since the previous evaluation; a series without earlier value counts whole; a reset counts from zero. */
export function increaseSincePrevious(metric: string, opts: RecordingOptions): string {
  const cur = raw(metric);
  const prev = `last_over_time(${raw(metric)}[${opts.seriesLookback}] offset ${opts.interval})`;
  return `((${cur} - ${prev}) > 0) or (${cur} unless ${prev}) or (${cur} < ${prev})`;
}

function counterRule(c: RecordedCounter, opts: RecordingOptions): RecordingRule {
  return { record: c.record, expr: `sum by (${c.by.join(", ")}) (${withIdentity(increaseSincePrevious(c.source, opts))})` };
}

export function recordingGroups(options: Partial<RecordingOptions> = {}): RuleGroup<RecordingRule>[] {
  const o = { ...DEFAULT_RECORDING_OPTIONS, ...options };
  const session = METRICS.session.prometheus;
  return [
    {
      name: "claude_code_usage",
      interval: o.interval,
      queryOffset: o.queryOffset,
      rules: [
        ...Object.values(RECORDED_COUNTERS).map((c) => counterRule(c, o)),
        {
          // Every running session exports its session counter on each export interval.
          record: RECORDED_USERS.perMinute,
          expr: `group by (${[...ORG_LABELS, USER_LABEL].join(", ")}) (${withIdentity(`last_over_time(${raw(session)}[${o.interval}])`)})`,
        },
        { record: RECORDED_LAST_SAMPLE, expr: `max by (service_name) (timestamp(${raw(session)}))` },
      ],
    },
    {
      name: "claude_code_usage_rollup",
      interval: o.rollupInterval,
      // Runs after the usage group has written the interval it reads.
      queryOffset: addDurations(o.queryOffset, o.interval, o.interval),
      rules: [{ record: RECORDED_USERS.perHour, expr: `max_over_time(${RECORDED_USERS.perMinute}[${o.rollupInterval}])` }],
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
        expr: `absent_over_time(${raw(METRICS.session.prometheus)}[${SILENCE_WINDOW}])`,
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
  const groups = [
    ...recordingGroups(options).map((g) => ({
      name: g.name,
      interval: g.interval,
      query_offset: g.queryOffset,
      rules: g.rules.map((r) => ({ record: r.record, expr: r.expr })),
    })),
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
