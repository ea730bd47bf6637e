// Loki's HTTP API as verify uses it: readiness and query_range, for log and metric queries.
import { request, requestJson, type ApiEndpoint } from "./http.js";

/** Loki's default cap on the lines one query returns (limits_config.max_entries_limit_per_query). */
export const MAX_LINES = 5000;

export interface LokiStream {
  stream: Record<string, string>;
  values: [string, string][];
}
export interface LokiMatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}
export type LokiResult = { resultType: "streams"; result: LokiStream[] } | { resultType: "matrix"; result: LokiMatrixSeries[] };

interface LokiResponse {
  status: string;
  error?: string;
  data?: LokiResult;
}

export async function lokiReady(ep: ApiEndpoint): Promise<string> {
  return (await request(ep, "/ready", { timeoutMs: 5000 })).trim();
}

export interface RangeParams {
  startMs: number;
  endMs: number;
  /** Metric queries: seconds between points. */
  stepSeconds?: number;
  /** Log queries: most lines returned. */
  limit?: number;
}

export async function lokiQueryRange(ep: ApiEndpoint, logql: string, p: RangeParams): Promise<LokiResult> {
  const params = new URLSearchParams({
    query: logql,
    start: `${BigInt(Math.floor(p.startMs)) * 1_000_000n}`,
    end: `${BigInt(Math.ceil(p.endMs)) * 1_000_000n}`,
    limit: String(p.limit ?? MAX_LINES),
    direction: "forward",
  });
  if (p.stepSeconds) params.set("step", String(p.stepSeconds));
  const body = await requestJson<LokiResponse>(ep, `/loki/api/v1/query_range?${params}`, { timeoutMs: 30_000 });
  if (body.status !== "success" || !body.data) throw new Error(`Loki: ${body.error ?? "query failed"}`);
  return body.data;
}

/** Lines of a log query result with their stream labels (structured metadata included, as Loki merges it in). */
export function entries(result: LokiResult): { labels: Record<string, string>; line: string }[] {
  if (result.resultType !== "streams") return [];
  return result.result.flatMap((s) => s.values.map(([, line]) => ({ labels: s.stream, line })));
}

/** Whether a result holds anything a panel can show: a line, or a finite sample. */
export function hasData(result: LokiResult): boolean {
  if (result.resultType === "streams") return result.result.some((s) => s.values.length > 0);
  return result.result.some((s) => s.values.some(([, v]) => Number.isFinite(Number(v))));
}
