// HTTP access to the stack's query APIs: straight to a service, or through Grafana's datasource
// proxy with the admin credentials. Errors come back as short, secret-free text.
import { lastMiss, poll } from "../lib/poll.js";

/** Where a service's HTTP API is reached: a base URL and the headers every request carries. */
export interface ApiEndpoint {
  /** Base URL without trailing slash; paths such as `/api/v1/query` are appended. */
  readonly base: string;
  readonly headers: Readonly<Record<string, string>>;
  /** How it is reached, for the report. */
  readonly via: string;
}

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export function basicAuth(c: Credentials): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${c.user}:${c.password}`).toString("base64")}` };
}

export function directEndpoint(url: string): ApiEndpoint {
  return { base: url.replace(/\/+$/, ""), headers: {}, via: url.replace(/\/+$/, "") };
}

/** A datasource behind Grafana: `/api/datasources/proxy/uid/<uid>` forwards any path to the datasource URL. */
export function grafanaProxyEndpoint(grafanaUrl: string, uid: string, credentials: Credentials): ApiEndpoint {
  const grafana = grafanaUrl.replace(/\/+$/, "");
  return {
    base: `${grafana}/api/datasources/proxy/uid/${encodeURIComponent(uid)}`,
    headers: basicAuth(credentials),
    via: `Grafana datasource proxy (uid ${uid})`,
  };
}

export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

function errorText(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError" || err.name === "AbortError") return "no answer in time";
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message}: ${cause}` : err.message;
}

/** GET (or form POST) `path` and return the body; throws HttpError with status and a short body excerpt. */
export async function request(ep: ApiEndpoint, path: string, opts: { form?: URLSearchParams; timeoutMs?: number } = {}): Promise<string> {
  let res: Response;
  try {
    res = await fetch(ep.base + path, {
      method: opts.form ? "POST" : "GET",
      headers: { ...ep.headers, ...(opts.form ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
      body: opts.form?.toString(),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
  } catch (e) {
    throw new HttpError(errorText(e));
  }
  const text = await res.text().catch(() => "");
  if (!res.ok) throw new HttpError(`HTTP ${res.status}${text ? `: ${text.trim().slice(0, 160)}` : ""}`, res.status);
  return text;
}

export async function requestJson<T>(ep: ApiEndpoint, path: string, opts: { form?: URLSearchParams; timeoutMs?: number } = {}): Promise<T> {
  const text = await request(ep, path, opts);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new HttpError(`not JSON: ${text.slice(0, 80)}`);
  }
}

/**
 * Polls `probe` until it returns `done: true` or the deadline passes; returns the last result.
 * Errors count as "not yet" and are returned as the last result when time runs out.
 */
export async function pollUntil<T>(
  probe: () => Promise<{ done: boolean; value: T }>,
  deadlineMs: number,
  intervalMs = 2000,
): Promise<{ done: boolean; value?: T; error?: string }> {
  const result = await poll<T, T>(
    async () => {
      const { done, value } = await probe();
      return done ? { done, value } : { done, seen: value };
    },
    { deadlineMs, intervalMs },
  );
  if (result.done) return result;
  return "error" in result ? { done: false, error: lastMiss(result) } : { done: false, value: result.seen };
}
