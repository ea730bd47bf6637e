// Waits (bounded) until the marked run is queryable, then compares what arrived with what was sent.
//
// Prometheus: the collector writes per-person increments (components/usage-series.ts) that keep the
// run's marker as a label; summing the marked increments since the run was sent must give exactly
// what was sent (`sum(sum_over_time(…{simulation_run="<run>"}[…]))`). The dashboards sum the same
// series by org labels: the run's team (team="stack-verify") must show the run there too.
// Loki: events carry the marker as structured metadata; counting them by event name and summing
// the cost_usd of api_request events checks the log path the same way.
import { SERVICE_NAME_REGEX, promLabel } from "../components/claude/telemetry.js";
import { RECORDED_LAST_SAMPLE } from "../components/prometheus-rules.js";
import { USAGE_COUNTERS as C } from "../components/usage-series.js";
import { MARKER_ATTRIBUTE } from "../simulator/index.js";
import { VERIFY_ORG, type MarkedRun } from "./burst.js";
import { pollUntil, type ApiEndpoint } from "./http.js";
import { entries, lokiQueryRange, MAX_LINES } from "./loki.js";
import { scalarQuery } from "./prometheus.js";
import { row, type CheckRow } from "./report.js";

export const MARKER_LABEL = promLabel(MARKER_ATTRIBUTE);

/** Equal within floating-point noise of summing many small increments. */
export function close(a: number | undefined, b: number): boolean {
  return a !== undefined && Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
}

const usd = (n: number | undefined) => (n === undefined ? "nothing" : `$${n.toFixed(6)}`);
const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
const sumTokens = (run: MarkedRun) => Object.values(run.expected.tokens).reduce((a, b) => a + b, 0);

/** The marked run's usage series in Prometheus: sessions, cost and tokens, increments summed. */
export async function prometheusArrival(ep: ApiEndpoint, run: MarkedRun, deadlineMs: number): Promise<CheckRow[]> {
  const sel = `{${MARKER_LABEL}="${run.marker}"}`;
  const sumOf = (metric: string) => () => {
    const range = Math.ceil((Date.now() - run.sentAtMs) / 1000) + 600;
    return scalarQuery(ep, `sum(sum_over_time(${metric}${sel}[${range}s]))`);
  };
  const queries = { sessions: sumOf(C.sessions.series), cost: sumOf(C.cost.series), tokens: sumOf(C.tokens.series) };
  const want = { sessions: run.expected.sessions, cost: run.expected.costUsd, tokens: sumTokens(run) };
  const got = await pollUntil(async () => {
    const value = { sessions: await queries.sessions(), cost: await queries.cost(), tokens: await queries.tokens() };
    return { done: close(value.sessions, want.sessions) && close(value.cost, want.cost) && close(value.tokens, want.tokens), value };
  }, deadlineMs);
  const v = got.value;
  const after = seconds(Date.now() - run.sentAtMs);
  const note = got.error ? ` (last error: ${got.error})` : "";
  const judge = (name: string, have: number | undefined, expected: number, fmt: (n: number | undefined) => string, metric: string) =>
    close(have, expected)
      ? row(name, "PASS", `${fmt(have)} = ${fmt(expected)} sent (${metric}, increments summed)`)
      : row(name, "FAIL", `${fmt(have)} after ${after}, ${fmt(expected)} sent (${metric}${sel})${note}`);
  const count = (n: number | undefined) => (n === undefined ? "nothing" : String(n));
  return [
    judge("Prometheus: sessions of the run", v?.sessions, want.sessions, count, C.sessions.series),
    judge("Prometheus: cost of the run", v?.cost, want.cost, usd, C.cost.series),
    judge("Prometheus: tokens of the run", v?.tokens, want.tokens, count, C.tokens.series),
  ];
}

/** Clocks of the collector and of this machine may differ by this much. */
const CLOCK_SKEW_MS = 60_000;

/**
 * The series the dashboards read, by the run's team, must count the run exactly once; the pipeline
 * dashboard's last-sample record (a rule evaluated every minute) must have seen the run.
 */
export async function recordedArrival(ep: ApiEndpoint, run: MarkedRun, deadlineMs: number): Promise<CheckRow> {
  /** The last-sample record (seconds) is no older than the run. */
  const seesRun = (last: number | undefined) => last !== undefined && last * 1000 >= run.sentAtMs - CLOCK_SKEW_MS;
  const name = "Prometheus: the dashboards' series count the run";
  const sel = `{team="${VERIFY_ORG.team}"}`;
  const since = () => `${Math.ceil((Date.now() - run.sentAtMs) / 1000) + 30}s`;
  const total = (record: string) => scalarQuery(ep, `sum(sum_over_time(${record}${sel}[${since()}]))`);
  const got = await pollUntil(
    async () => {
      const value = { sessions: await total(C.sessions.series), cost: await total(C.cost.series), last: await scalarQuery(ep, `max(${RECORDED_LAST_SAMPLE})`) };
      return { done: seesRun(value.last) && (value.sessions ?? 0) >= run.expected.sessions && (value.cost ?? 0) >= run.expected.costUsd * (1 - 1e-6), value };
    },
    deadlineMs,
    5000,
  );
  const s = got.value?.sessions;
  const c = got.value?.cost;
  const last = got.value?.last;
  const detail = `sessions ${s ?? "nothing"} (${run.expected.sessions} sent), cost ${usd(c)} (${usd(run.expected.costUsd)} sent) in ${C.sessions.series}${sel}`;
  if (!seesRun(last))
    return row(name, "FAIL", `${detail}; ${RECORDED_LAST_SAMPLE} ${last === undefined ? "missing" : "older than the run"}: do the stack's rules run?`);
  if (s === run.expected.sessions && close(c, run.expected.costUsd)) return row(name, "PASS", detail);
  if ((s ?? 0) > run.expected.sessions) return row(name, "WARN", `${detail}: more than sent, another verify run overlapped?`);
  const why = got.error ? `; last error: ${got.error}` : "; does the collector run the stack's config?";
  return row(name, "FAIL", `${detail} after ${seconds(Date.now() - run.sentAtMs)}${why}`);
}

/** The run's events in Loki, by event name, and the cost their api_request events carry. */
export async function lokiArrival(ep: ApiEndpoint, run: MarkedRun, deadlineMs: number): Promise<CheckRow[]> {
  const query = `{service_name=~"${SERVICE_NAME_REGEX}"} | ${MARKER_LABEL}="${run.marker}"`;
  const wantTotal = Object.values(run.expected.events).reduce((a, b) => a + b, 0);
  const got = await pollUntil(async () => {
    const result = await lokiQueryRange(ep, query, { startMs: run.windowStartMs - 60_000, endMs: Date.now() + 60_000, limit: MAX_LINES });
    const lines = entries(result);
    return { done: lines.length >= wantTotal, value: lines };
  }, deadlineMs);
  const lines = got.value ?? [];
  const byEvent: Record<string, number> = {};
  let cost = 0;
  for (const l of lines) {
    const event = l.labels.event_name ?? "(no event_name)";
    byEvent[event] = (byEvent[event] ?? 0) + 1;
    if (event === "api_request") cost += Number(l.labels.cost_usd ?? Number.NaN);
  }
  const wrong = Object.entries(run.expected.events)
    .filter(([event, n]) => (byEvent[event] ?? 0) !== n)
    .map(([event, n]) => `${event} ${byEvent[event] ?? 0}/${n}`);
  const counts = Object.entries(byEvent)
    .map(([e, n]) => `${e} ${n}`)
    .join(", ");
  const note = got.error ? ` (last error: ${got.error})` : "";
  const eventsRow =
    lines.length === wantTotal && wrong.length === 0
      ? row("Loki: events of the run", "PASS", `${lines.length} = ${wantTotal} sent (${counts})`)
      : row(
          "Loki: events of the run",
          "FAIL",
          `${lines.length} of ${wantTotal} after ${seconds(Date.now() - run.sentAtMs)}${wrong.length ? `; differ: ${wrong.join(", ")}` : ""}; query ${query}${note}`,
        );
  const costRow = close(cost, run.expected.costUsd)
    ? row("Loki: cost of the run", "PASS", `${usd(cost)} = ${usd(run.expected.costUsd)} sent (cost_usd of api_request events)`)
    : row("Loki: cost of the run", "FAIL", `${Number.isNaN(cost) ? "api_request events without cost_usd" : usd(cost)}, ${usd(run.expected.costUsd)} sent`);
  return [eventsRow, costRow];
}
