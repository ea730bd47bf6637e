// The recording rules of the previous counting design (per-session cumulative series), kept for
// the benchmark's legacy measurement (`npm run bench -- --design legacy`).
//
// Counting: every Claude Code session writes its own series (its session_id), and remote write
// carries no start time, so Prometheus stores no zero at a series' start: `increase()` never sees a series' first
// sample: a one-request session contributes nothing to it, and its extrapolation is never exact.
// The recording rules below instead take, per series, the growth since the previous evaluation
// (current value minus the last value before the previous evaluation) and count a series that has
// no earlier value with its whole value. These per-interval increases telescope: summed over any
// window they equal what the clients sent in it. They are summed away from session_id into the
// labels dashboards group by, so long-range panels read few series (`sum_over_time`).
import { METRICS } from "../components/claude/telemetry.js";
import { alertingGroups } from "../components/rules-file.js";
import {
  ORG_LABELS,
  RECORDED_LAST_SAMPLE,
  RECORDED_USERS as CURRENT_USERS,
  USER_LABEL,
  SERVICE_MATCHER,
  addDurations,
  rulesYaml,
  type RecordingRule,
  type RuleGroup,
} from "../components/prometheus-rules.js";

/** Labels a person's identity is taken from, first match wins: OAuth email, org identity, account. */
export const IDENTITY_LABELS = ["user_email", "enduser_id", "user_account_uuid"] as const;

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
  perHour: CURRENT_USERS.perHour,
} as const;
export { RECORDED_LAST_SAMPLE };

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

/** The legacy recording rules with today's alerting rules (their cost is the same in both designs). */
export function renderRulesFile(options: Partial<RecordingOptions> = {}): string {
  return rulesYaml(recordingGroups(options), alertingGroups());
}
