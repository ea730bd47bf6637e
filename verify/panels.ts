// Runs every query of every dashboard panel the way Grafana would over the last hour (template
// variables on "All"): PromQL against Prometheus, LogQL against Loki's query_range API. One row per
// panel: PASS with data, FAIL on a query error or when a query that must show the run (see
// panel-expectations.ts) is empty, WARN when a panel is empty but may legitimately be so.
import { DATASOURCE_UIDS } from "../components/grafana-provisioning.js";
import { allDashboards } from "../dashboards/index.js";
import { panelQueries, substitute, type PanelQuery } from "../dashboards/panel-queries.js";
import type { ApiEndpoint } from "./http.js";
import { hasData, lokiQueryRange } from "./loki.js";
import { logqlExpectation, promqlExpectation, type Expectation, type RunFacts } from "./panel-expectations.js";
import { instantQuery, rangeQuery, sampleValues } from "./prometheus.js";
import { row, type CheckRow } from "./report.js";

/** The time range panels are evaluated over, and Grafana's interval variables for it. */
export const PANEL_RANGE = { ms: 3_600_000, stepSeconds: 60 } as const;
const INTERVALS = { __range: "1h", __interval: "1m", __rate_interval: "2m", __auto: "1m" };

type Kind = "prometheus" | "loki";

export function queryKind(q: PanelQuery): Kind {
  const ds = q.datasource ?? q.panelDatasource;
  return ds?.type === "loki" || ds?.uid === DATASOURCE_UIDS.loki ? "loki" : "prometheus";
}

interface Outcome {
  query: PanelQuery;
  expr: string;
  data?: boolean;
  error?: string;
  expectation: Expectation;
}

async function runQuery(q: PanelQuery, ep: ApiEndpoint, kind: Kind, facts: RunFacts, nowMs: number): Promise<Outcome> {
  const expr = substitute(q.expr, INTERVALS);
  const expectation = kind === "loki" ? logqlExpectation(expr, facts) : promqlExpectation(expr, facts);
  const startMs = nowMs - PANEL_RANGE.ms;
  try {
    let data: boolean;
    if (kind === "loki") {
      data = hasData(await lokiQueryRange(ep, expr, { startMs, endMs: nowMs, stepSeconds: PANEL_RANGE.stepSeconds, limit: 100 }));
    } else {
      const result = q.instant ? await instantQuery(ep, expr, nowMs) : await rangeQuery(ep, expr, startMs, nowMs, PANEL_RANGE.stepSeconds);
      data = sampleValues(result).length > 0;
    }
    return { query: q, expr, data, expectation };
  } catch (e) {
    return { query: q, expr, error: (e as Error).message, expectation };
  }
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const shortDashboard = (uid: string) => uid.replace(/^claude-code-/, "");

/** One row for a panel from the outcomes of its queries. */
export function panelRow(name: string, outcomes: readonly Outcome[]): CheckRow {
  const failed = outcomes.filter((o) => o.error !== undefined);
  if (failed.length > 0) return row(name, "FAIL", `query error: ${failed[0]?.error} in ${failed[0]?.expr}`);
  const missing = outcomes.filter((o) => !o.data && o.expectation.mustHaveData);
  if (missing.length > 0) return row(name, "FAIL", `no data although the run's data arrived: ${missing[0]?.expr}`);
  const withData = outcomes.filter((o) => o.data).length;
  if (withData === outcomes.length) return row(name, "PASS", `${withData} of ${outcomes.length} queries returned data`);
  if (withData > 0)
    return row(
      name,
      "PASS",
      `${withData} of ${outcomes.length} queries returned data (the others may be empty: ${outcomes.find((o) => !o.data)?.expectation.why})`,
    );
  return row(name, "WARN", `no data; may be empty on a fresh stack: ${outcomes[0]?.expectation.why}`);
}

export interface PanelBackends {
  prometheus?: ApiEndpoint;
  loki?: ApiEndpoint;
}

/** Every panel of every dashboard; a backend that is not ready gives one SKIP row for its panels. */
export async function panelChecks(backends: PanelBackends, facts: RunFacts, nowMs = Date.now()): Promise<CheckRow[]> {
  const queries = panelQueries(allDashboards());
  const rows: CheckRow[] = [];
  for (const kind of ["prometheus", "loki"] as const) {
    const n = queries.filter((q) => queryKind(q) === kind).length;
    if (!backends[kind] && n > 0)
      rows.push(
        row(`Panels on ${kind === "loki" ? "Loki" : "Prometheus"}`, "SKIP", `${n} queries not run: ${kind === "loki" ? "Loki" : "Prometheus"} is not ready`),
      );
  }
  const runnable = queries.filter((q) => backends[queryKind(q)] !== undefined);
  const outcomes = await mapLimited(runnable, 4, (q) => runQuery(q, backends[queryKind(q)] as ApiEndpoint, queryKind(q), facts, nowMs));
  const byPanel = new Map<string, Outcome[]>();
  for (const o of outcomes) {
    const key = `Panel ${shortDashboard(o.query.dashboard)}: ${o.query.panel} [${o.query.panelType}]`;
    byPanel.set(key, [...(byPanel.get(key) ?? []), o]);
  }
  for (const [name, list] of byPanel) rows.push(panelRow(name, list));
  return rows;
}
