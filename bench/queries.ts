// The queries the benchmark times: every Prometheus query of every dashboard panel (they read the
// usage series the collector writes; for the legacy design the same queries on the recorded series
// of the per-session design's rules), and each recording and alerting rule as Prometheus evaluates it.
import { USAGE_COUNTERS, USER_ACTIVITY } from "../components/usage-series.js";
import { DEVELOPER_UID } from "../dashboards/developer.js";
import { allDashboards } from "../dashboards/index.js";
import { panelQueries, substitute } from "../dashboards/panel-queries.js";
import { durationMs } from "../lib/duration.js";
import type { Design } from "./backfill.js";
import { RECORDED_COUNTERS as LEGACY_COUNTERS, RECORDED_USERS as LEGACY_USERS } from "./legacy-rules.js";
import { alertingRules, designRulesFile, recordingGroups } from "./rules.js";
import { prometheusSchema } from "../components/settings-services.js";

/** Dashboards whose queries use the single-person variable. */
export const SINGLE_USER_DASHBOARDS: readonly string[] = [DEVELOPER_UID];

export type QueryKind = "dashboard" | "rule";

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
  /** Rules: how often Prometheus evaluates it. */
  readonly everyMs?: number;
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

/** The new design's series and the legacy recorded series the same panels read before (same labels). */
export const LEGACY_NAMES: ReadonlyMap<string, string> = new Map([
  ...Object.entries(USAGE_COUNTERS).map(([k, c]) => [c.series, LEGACY_COUNTERS[k as keyof typeof USAGE_COUNTERS].record] as const),
  [USER_ACTIVITY.series, LEGACY_USERS.perMinute],
]);

/** A dashboard expression as it read before: the usage series' names replaced by the legacy recorded ones. */
export function legacyExpr(expr: string): string {
  return expr.replace(/(?<![A-Za-z0-9_:])[a-zA-Z_:][A-Za-z0-9_:]*(?![A-Za-z0-9_:])/g, (name) => LEGACY_NAMES.get(name) ?? name);
}

/** The panel queries of a design: today's dashboards, or the same with the legacy recorded series. */
export function designDashboardQueries(design: Design, distinct = true): BenchQuery[] {
  const qs = dashboardQueries(distinct);
  return design === "new" ? qs : qs.map((q) => ({ ...q, expr: legacyExpr(q.expr) }));
}

/**
 * Each recording rule's expression as Prometheus evaluates it at its group's interval (an instant query): the
 * sum over a group is the CPU time the rules cost per evaluation interval.
 */
export function ruleQueries(design: Design): BenchQuery[] {
  const file = designRulesFile(design);
  const recording = recordingGroups(file).flatMap((g) =>
    g.rules.map((r) => ({
      name: `${g.name} / ${r.record}`,
      kind: "rule" as const,
      expr: r.expr,
      instant: true,
      singleUser: false,
      everyMs: durationMs(g.interval ?? "1m"),
    })),
  );
  // The alerts too (a group without an interval runs at the stack's default evaluation interval).
  const evaluation = prometheusSchema.parse({}).evaluationInterval;
  const alerting = alertingRules(file).map((r, i) => ({
    name: `${r.group} / ${r.alert} #${i + 1}`,
    kind: "rule" as const,
    expr: r.expr,
    instant: true,
    singleUser: false,
    everyMs: durationMs(r.interval ?? evaluation),
  }));
  return [...recording, ...alerting];
}
