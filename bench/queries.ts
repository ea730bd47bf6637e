// The queries the benchmark times: every Prometheus query of every dashboard panel (they read the
// recorded series), and a few representative panels written twice, once against the recording
// rules and once against the raw per-session series, to show what the rules save.
import { METRICS } from "../components/claude/telemetry.js";
import { RECORDED_COUNTERS as C, SERVICE_MATCHER } from "../components/prometheus-rules.js";
import { DEVELOPER_UID } from "../dashboards/developer.js";
import { allDashboards } from "../dashboards/index.js";
import { activePeople, perInterval, total } from "../dashboards/queries.js";
import { panelQueries, substitute } from "../dashboards/panel-queries.js";
import { recordingGroups } from "./rules.js";

/** Dashboards whose queries use the single-person variable. */
export const SINGLE_USER_DASHBOARDS: readonly string[] = [DEVELOPER_UID];

export type QueryKind = "dashboard" | "recorded" | "raw" | "rule";

export interface BenchQuery {
  /** Short, unique name for the report. */
  readonly name: string;
  readonly kind: QueryKind;
  /** Dashboard UID the query belongs to (dashboard queries only). */
  readonly dashboard?: string;
  /** Grafana-style expression: `$__range`, `$__interval` and dashboard variables still in it. */
  readonly expr: string;
  /** Instant query at the range end (stat, table, bar gauge) or range query (graphs). */
  readonly instant: boolean;
  /** Filters on one person (`$user` is a single developer, not "All"). */
  readonly singleUser: boolean;
}

export interface QueryWindow {
  readonly endMs: number;
  readonly rangeMs: number;
  /** Graph step, what Grafana sends as $__interval. */
  readonly stepMs: number;
}

const NICE_STEPS_S = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/**
 * The interval Grafana would use for a graph of `rangeMs` about `points` pixels wide: range / points
 * rounded to the nearest round step (Grafana rounds at the midpoints), never below the panels'
 * minimum interval (the rules' 1m).
 */
export function graphStepMs(rangeMs: number, points = 1000): number {
  const raw = rangeMs / points / 1000;
  const i = NICE_STEPS_S.findIndex((s, k) => raw < (s + (NICE_STEPS_S[k + 1] ?? Infinity)) / 2);
  return (NICE_STEPS_S[i] ?? (NICE_STEPS_S[NICE_STEPS_S.length - 1] as number)) * 1000;
}

/** A Prometheus duration in whole seconds, or days when it is a whole number of days. */
export function promDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s % 86400 === 0 ? `${s / 86400}d` : `${s}s`;
}

/** The expression with Grafana's built-ins and the dashboard variables replaced. */
export function concreteExpr(q: BenchQuery, w: QueryWindow, vars: Readonly<Record<string, string>>): string {
  const scrape = 15_000;
  return substitute(q.expr, {
    ...vars,
    __range: promDuration(w.rangeMs),
    __interval: promDuration(w.stepMs),
    __rate_interval: promDuration(Math.max(w.stepMs + scrape, 4 * scrape)),
  });
}

/**
 * Every Prometheus panel query; with `distinct`, each expression once (named after its first
 * panel), otherwise every panel's own (what opening each dashboard sends).
 */
export function dashboardQueries(distinct = true): BenchQuery[] {
  const seen = new Set<string>();
  const out: BenchQuery[] = [];
  for (const q of panelQueries(allDashboards())) {
    if (q.datasource?.type !== "prometheus") continue;
    const key = distinct ? `${q.instant}\u0000${q.expr}` : String(seen.size);
    if (seen.has(key)) continue;
    seen.add(key);
    const short = q.dashboard.replace(/^claude-code-/, "");
    out.push({
      name: `${short} / ${q.panel}${q.refId && q.refId !== "A" ? ` (${q.refId})` : ""}`,
      kind: "dashboard",
      dashboard: q.dashboard,
      expr: q.expr,
      instant: q.instant,
      singleUser: SINGLE_USER_DASHBOARDS.includes(q.dashboard),
    });
  }
  return out;
}

const svc = (metric: string, extra = "") => `${metric}{${SERVICE_MATCHER}${extra}}`;

/**
 * The same panels against recorded and raw series. The raw forms are what a dashboard without the
 * rules would run (increase over per-session series; people and sessions counted from the series).
 * The raw person is `user_email`, the identity OAuth sign-ins carry.
 */
export function comparisonQueries(): BenchQuery[] {
  const cost = METRICS.cost.prometheus;
  const tokens = METRICS.tokens.prometheus;
  const sessions = METRICS.session.prometheus;
  // [name, instant, recorded, raw, single user]
  const pairs: [string, boolean, string, string, boolean?][] = [
    ["cost by team", true, total(C.cost, { by: ["team"] }), `sum by (team) (increase(${svc(cost)}[$__range]))`],
    ["tokens by type", true, total(C.tokens, { by: ["type"] }), `sum by (type) (increase(${svc(tokens)}[$__range]))`],
    ["active people", true, activePeople(), `count(count by (user_email) (last_over_time(${svc(sessions, ', user_email!=""')}[$__range])))`],
    ["sessions", true, total(C.sessions), `count(count by (session_id) (last_over_time(${svc(sessions)}[$__range])))`],
    ["top 20 people by cost", true, `topk(20, ${total(C.cost, { by: ["user"] })})`, `topk(20, sum by (user_email) (increase(${svc(cost)}[$__range])))`],
    ["cost by model over time", false, perInterval(C.cost, { by: ["model"] }), `sum by (model) (increase(${svc(cost)}[$__interval]))`],
    [
      "one person's tokens over time",
      false,
      perInterval(C.tokens, { by: ["type"], vars: ["user"] }),
      `sum by (type) (increase(${svc(tokens, ', user_email=~"$user"')}[$__interval]))`,
      true,
    ],
  ];
  return pairs.flatMap(([name, instant, recorded, raw, single]) => [
    { name, kind: "recorded" as const, expr: recorded, instant, singleUser: single === true },
    { name, kind: "raw" as const, expr: raw, instant, singleUser: single === true },
  ]);
}

/**
 * Each recording rule's expression as Prometheus evaluates it every minute (an instant query): the
 * sum over a group is the CPU time the rules cost per evaluation interval.
 */
export function ruleQueries(): BenchQuery[] {
  return recordingGroups().flatMap((g) =>
    g.rules.map((r) => ({ name: `${g.name} / ${r.record}`, kind: "rule" as const, expr: r.expr, instant: true, singleUser: false })),
  );
}
