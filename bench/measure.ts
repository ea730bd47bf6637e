// Query timing against a running Prometheus: each query once to warm up, then timed runs one after
// another (an idle server, like one person opening a dashboard), plus whole dashboards with every
// panel query at once (what Grafana sends when a dashboard opens).
import { concreteExpr, type BenchQuery, type QueryWindow } from "./queries.js";

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile must be within 0..100 (got ${p})`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export interface Timing {
  readonly runs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

export function summarize(ms: readonly number[]): Timing {
  return { runs: ms.length, p50Ms: percentile(ms, 50), p95Ms: percentile(ms, 95), maxMs: ms.length ? Math.max(...ms) : Number.NaN };
}

export interface QueryResult extends Timing {
  readonly name: string;
  readonly kind: BenchQuery["kind"];
  readonly range: string;
  readonly instant: boolean;
  /** Series in the answer (0 = no data). */
  readonly series: number;
  /** Samples the engine read (Prometheus' own count, from stats=all). */
  readonly samplesRead?: number;
  readonly error?: string;
  readonly expr: string;
  /** Rules: how often Prometheus evaluates it. */
  readonly everyMs?: number;
}

interface Answer {
  readonly ms: number;
  readonly series: number;
  readonly samplesRead?: number;
  readonly error?: string;
}

/** One query over HTTP, timed from request to parsed answer. */
export async function runQuery(url: string, q: BenchQuery, w: QueryWindow, vars: Readonly<Record<string, string>>, timeoutMs = 150_000): Promise<Answer> {
  const expr = concreteExpr(q, w, vars);
  const end = w.endMs / 1000;
  const params = q.instant
    ? new URLSearchParams({ query: expr, time: String(end), stats: "all" })
    : new URLSearchParams({ query: expr, start: String(end - w.rangeMs / 1000), end: String(end), step: String(w.stepMs / 1000), stats: "all" });
  const started = performance.now();
  try {
    const res = await fetch(`${url}/api/v1/${q.instant ? "query" : "query_range"}`, {
      method: "POST",
      body: params,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { result?: unknown[]; stats?: { samples?: { totalQueryableSamples?: number } } };
    };
    const ms = performance.now() - started;
    if (body.status !== "success") return { ms, series: 0, error: body.error ?? `HTTP ${res.status}` };
    const result = Array.isArray(body.data?.result) ? body.data.result : [];
    return { ms, series: result.length, samplesRead: body.data?.stats?.samples?.totalQueryableSamples };
  } catch (e) {
    return { ms: performance.now() - started, series: 0, error: (e as Error).message };
  }
}

export interface MeasureOptions {
  readonly reps: number;
  /** Stop repeating a query once its timed runs add up to this much (at least one run stays). */
  readonly budgetMs: number;
  readonly vars: (q: BenchQuery) => Readonly<Record<string, string>>;
  readonly onResult?: (r: QueryResult) => void;
}

/** A first run slower than this is timed too: caches matter little next to the work it does. */
const SLOW_WARMUP_MS = 2000;

export async function measureQueries(url: string, queries: readonly BenchQuery[], w: QueryWindow, range: string, o: MeasureOptions): Promise<QueryResult[]> {
  const results: QueryResult[] = [];
  for (const q of queries) {
    const vars = o.vars(q);
    const warm = await runQuery(url, q, w, vars);
    const times: number[] = [];
    let last = warm;
    if (!warm.error) {
      if (warm.ms > SLOW_WARMUP_MS) times.push(warm.ms);
      let spent = times.reduce((a, b) => a + b, 0);
      while (times.length < o.reps && spent < o.budgetMs) {
        last = await runQuery(url, q, w, vars);
        if (last.error) break;
        times.push(last.ms);
        spent += last.ms;
      }
    }
    const r: QueryResult = {
      name: q.name,
      kind: q.kind,
      range,
      instant: q.instant,
      ...summarize(times),
      series: last.series,
      ...(last.samplesRead !== undefined ? { samplesRead: last.samplesRead } : {}),
      ...(last.error ? { error: last.error } : {}),
      expr: concreteExpr(q, w, vars),
      ...(q.everyMs ? { everyMs: q.everyMs } : {}),
    };
    results.push(r);
    o.onResult?.(r);
  }
  return results;
}

export interface DashboardLoad extends Timing {
  readonly dashboard: string;
  readonly range: string;
  readonly queries: number;
  readonly errors: number;
}

/** Every query of a dashboard sent at once; the time until the last answer. */
export async function measureDashboardLoads(
  url: string,
  queries: readonly BenchQuery[],
  w: QueryWindow,
  range: string,
  o: Pick<MeasureOptions, "reps" | "vars">,
): Promise<DashboardLoad[]> {
  const byDashboard = new Map<string, BenchQuery[]>();
  for (const q of queries) if (q.dashboard) byDashboard.set(q.dashboard, [...(byDashboard.get(q.dashboard) ?? []), q]);
  const out: DashboardLoad[] = [];
  for (const [dashboard, qs] of byDashboard) {
    const times: number[] = [];
    let errors = 0;
    // Every query already ran (and warmed up) on its own: no warm-up load.
    for (let i = 0; i < o.reps; i++) {
      const started = performance.now();
      const answers = await Promise.all(qs.map((q) => runQuery(url, q, w, o.vars(q))));
      times.push(performance.now() - started);
      errors = answers.filter((a) => a.error).length;
    }
    out.push({ dashboard, range, queries: qs.length, errors, ...summarize(times) });
  }
  return out;
}
