// Recording and alerting rules, written once and loaded by Prometheus on every target.
//
// Counting needs no recording rule: the collector writes per-person increments
// (components/usage-series.ts), which dashboards sum directly. The rules here only keep, cheaply,
// what a query could not find otherwise: when Claude Code data last arrived (the 5-minute look-back
// would forget it), who was active in each hour (the history "new people" compares against), and
// spend per hour (per person, and per team and month: the alerts' baselines and month to date).
//
// The alerting rules (components/alerts.ts, components/alerts-pipeline.ts) share this file's types
// and go into the same rules file (components/rules-file.ts).
import { stringify } from "yaml";
import { ORG_ATTRIBUTES, SERVICE_NAME_REGEX, promLabel } from "./claude/telemetry.js";
import { USAGE_COUNTERS, USER_ACTIVITY, USER_ATTRIBUTE } from "./usage-series.js";
import { durationMs } from "../lib/duration.js";
import type { Severity } from "./settings-alerting.js";

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
}

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly severity: Severity;
  /** Labels besides severity (e.g. the team a budget belongs to). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly summary: string;
  /** With the values that matter (Prometheus templates: $value, $labels). */
  readonly description: string;
  /** What to do first, for the person who receives it. */
  readonly runbook: string;
  /**
   * What the rule does when the series it reads do not exist: `fires` (silence, adoption: no data
   * is the problem) or `quiet` (spend, errors: no data is no spend). Each expression is written so,
   * and a promtool test per rule holds it.
   */
  readonly noData: "fires" | "quiet";
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
/**
 * Spend per hour: per person (the runaway alert's baseline), and per team with the calendar month
 * (UTC) the hour ended in as a `month` label (month-to-date spend for the budget forecast).
 */
export const RECORDED_COST = { perPersonHour: "claude_code:cost_usd:user_sum1h", perTeamHour: "claude_code:cost_usd:team_month_sum1h" } as const;
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
// and counted by every dashboard, but missing from that hour's roll-ups, which only "new people" and
// the alerts' baselines and month-to-date spend read.
export const DEFAULT_RECORDING_OPTIONS: RecordingOptions = { interval: "1m", rollupInterval: "1h", rollupOffset: "20m" };

const activity = `${USER_ACTIVITY.series}{${SERVICE_MATCHER}}`;
const cost = `${USAGE_COUNTERS.cost.series}{${SERVICE_MATCHER}}`;
/** The current month's number (1–12) as a `month` label, at the rule's evaluation time. */
export const CURRENT_MONTH = `count_values ("month", month())`;

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
        { record: RECORDED_COST.perPersonHour, expr: `sum by (${[...ORG_LABELS, USER_LABEL].join(", ")}) (sum_over_time(${cost}[${o.rollupInterval}]))` },
        {
          record: RECORDED_COST.perTeamHour,
          expr: `sum by (team) (sum_over_time(${cost}[${o.rollupInterval}])) * on () group_left (month) ${CURRENT_MONTH}`,
        },
      ],
    },
  ];
}

export const RECORDING_GROUPS: readonly RuleGroup<RecordingRule>[] = recordingGroups();

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
      interval: g.interval,
      rules: g.rules.map((r) => ({
        alert: r.alert,
        expr: r.expr,
        for: r.for,
        labels: { severity: r.severity, ...r.labels },
        annotations: { summary: r.summary, description: r.description, runbook: r.runbook },
      })),
    })),
  ];
  return stringify({ groups }, { lineWidth: 0 });
}
