// The usage series the collector writes to Prometheus, and how it makes them.
//
// Counting design (README, "Design notes"): Claude Code sends delta counters (its own default, and
// what the managed settings ask for); clients configured by hand to send cumulative counters are
// turned into deltas first. The collector then sums every batch's deltas per person and label set
// (session.id and everything else not listed below dropped) into one point, dated when the batch is
// summed, and writes it as a gauge sample: the amount added since the previous sample. So
//   - Prometheus stores a few long-lived series per person, never one per session;
//   - `sum_over_time(<series>[range])` is exactly what clients sent in the range: a session whose
//     whole usage is in its first export, a session resumed after days, a collector restart, a
//     second collector replica (its own `instance` label) change nothing;
//   - no recording rule has to run every minute, so a minute Prometheus does not evaluate loses
//     nothing; a Prometheus outage is held in the collector's queue and written afterwards.
import { ORG_ATTRIBUTES, promLabel, type EventKey, type MetricKey } from "./claude/telemetry.js";

/** Attribute (and label) naming a person; never `user.id`, which counts installations. */
export const USER_ATTRIBUTE = "user";
/** Attributes a person's identity is taken from, first present wins: OAuth email, org identity, account. */
export const IDENTITY_ATTRIBUTES = ["user.email", "enduser.id", "user.account_uuid"] as const;

/** Attributes every usage series keeps: the org attributes, the client (CLI or desktop) and the person. */
export const COMMON_ATTRIBUTES = [...ORG_ATTRIBUTES, "service.name", USER_ATTRIBUTE] as const;

export interface UsageCounter {
  /** Prometheus name of the series the collector writes: a gauge of amounts added. */
  readonly series: string;
  /** The Claude Code counter it sums. */
  readonly metric: MetricKey;
  /** The counter's own attributes kept on top of COMMON_ATTRIBUTES. */
  readonly own: readonly string[];
  /** Prometheus labels of the series: what dashboards group and filter by. */
  readonly by: readonly string[];
}

function counter(series: string, metric: MetricKey, own: readonly string[] = []): UsageCounter {
  return { series, metric, own, by: [...COMMON_ATTRIBUTES, ...own].map(promLabel) };
}

/** Every Claude Code counter the dashboards read, as per-person increments. */
export const USAGE_COUNTERS = {
  cost: counter("claude_code_cost_usd_increment", "cost", ["model"]),
  tokens: counter("claude_code_tokens_increment", "tokens", ["model", "type"]),
  activeTime: counter("claude_code_active_seconds_increment", "activeTime", ["type"]),
  sessions: counter("claude_code_sessions_increment", "session"),
  linesOfCode: counter("claude_code_lines_of_code_increment", "linesOfCode", ["type"]),
  commits: counter("claude_code_commits_increment", "commit"),
  pullRequests: counter("claude_code_pull_requests_increment", "pullRequest"),
  editDecisions: counter("claude_code_edit_decisions_increment", "editDecision", ["decision", "language"]),
} as const satisfies Record<string, UsageCounter>;

/**
 * Activity: per person and batch, how many non-zero Claude Code data points they sent. A sample
 * means the person used Claude Code then: the people panels count who has samples in a range.
 */
export const USER_ACTIVITY = {
  series: "claude_code_user_activity",
  by: COMMON_ATTRIBUTES.map(promLabel),
} as const;

/** Every usage series name, for matchers that take them all. */
export const USAGE_SERIES: readonly string[] = [...Object.values(USAGE_COUNTERS).map((c) => c.series), USER_ACTIVITY.series];

export interface ApiEventCounter {
  /** Prometheus name of the series: a gauge of events counted per batch. */
  readonly series: string;
  /** The Claude Code event counted. */
  readonly event: EventKey;
  /** The event's own attributes kept as labels. */
  readonly own: readonly string[];
}

/**
 * API requests and errors counted from the events (one event per request, or per request that
 * failed once its retries were exhausted), for the error alerts: per model and org labels, without
 * the person (an error rate is the service's, not a developer's).
 */
export const API_EVENT_COUNTERS = {
  requests: { series: "claude_code_api_requests_increment", event: "apiRequest", own: ["model"] },
  errors: { series: "claude_code_api_errors_increment", event: "apiError", own: ["model", "status_code"] },
} as const satisfies Record<string, ApiEventCounter>;

/** Attributes every API event series keeps besides its own. */
export const API_EVENT_COMMON_ATTRIBUTES = [...ORG_ATTRIBUTES, "service.name"] as const;
