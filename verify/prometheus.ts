// Prometheus' HTTP API as verify uses it: readiness, instant and range queries (POSTed as forms, so
// long dashboard queries never hit URL length limits, also through Grafana's proxy).
import { request, requestJson, type ApiEndpoint } from "./http.js";

export interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

interface PromResponse {
  status: string;
  error?: string;
  data?: { resultType: string; result: unknown };
}

export async function prometheusReady(ep: ApiEndpoint): Promise<string> {
  return (await request(ep, "/-/ready", { timeoutMs: 5000 })).trim();
}

async function promQuery(ep: ApiEndpoint, path: string, form: URLSearchParams): Promise<PromSeries[]> {
  const body = await requestJson<PromResponse>(ep, path, { form, timeoutMs: 30_000 });
  if (body.status !== "success" || !body.data) throw new Error(`Prometheus: ${body.error ?? "query failed"}`);
  const { resultType, result } = body.data;
  if (resultType === "scalar" || resultType === "string") return [{ metric: {}, value: result as [number, string] }];
  return result as PromSeries[];
}

export function instantQuery(ep: ApiEndpoint, promql: string, timeMs = Date.now()): Promise<PromSeries[]> {
  return promQuery(ep, "/api/v1/query", new URLSearchParams({ query: promql, time: String(timeMs / 1000) }));
}

export function rangeQuery(ep: ApiEndpoint, promql: string, startMs: number, endMs: number, stepSeconds: number): Promise<PromSeries[]> {
  const form = new URLSearchParams({ query: promql, start: String(startMs / 1000), end: String(endMs / 1000), step: String(stepSeconds) });
  return promQuery(ep, "/api/v1/query_range", form);
}

/** Finite sample values of a result (NaN and ±Inf, e.g. from 0/0, are not data a panel can show). */
export function sampleValues(series: readonly PromSeries[]): number[] {
  return series
    .flatMap((s) => [...(s.value ? [s.value] : []), ...(s.values ?? [])])
    .map(([, v]) => Number(v))
    .filter(Number.isFinite);
}

/** The single value of an aggregated instant query (`sum(...)`), or undefined when it returned nothing. */
export async function scalarQuery(ep: ApiEndpoint, promql: string): Promise<number | undefined> {
  const values = sampleValues(await instantQuery(ep, promql));
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0);
}
