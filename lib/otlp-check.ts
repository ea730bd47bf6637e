// Reachability and authentication checks of an OTLP ingest, as a Claude Code client would meet it.
// HTTP: POST an empty ExportMetricsServiceRequest / ExportLogsServiceRequest (an empty protobuf body is
// a valid empty message) to /v1/metrics and /v1/logs. gRPC: the same Export calls as real gRPC over
// HTTP/2 (node:http2, one empty length-prefixed message), reading grpc-status from the trailers.
// With a token, a request without it must be refused and one with it accepted.
import * as http from "node:http";
import * as http2 from "node:http2";
import * as https from "node:https";
import * as net from "node:net";
import * as tls from "node:tls";

export interface TlsFiles {
  /** PEM contents, not paths. */
  ca?: string;
  cert?: string;
  key?: string;
}

export interface CheckOptions {
  httpEndpoint?: string;
  grpcEndpoint?: string;
  token?: string;
  tls?: TlsFiles;
  timeoutMs?: number;
}

export type Verdict = "PASS" | "FAIL" | "SKIP";

export interface CheckResult {
  check: string;
  endpoint: string;
  verdict: Verdict;
  detail: string;
}

/** What a server answered: accepted, refused for lack of credentials, something else, or no answer. */
type Outcome = { kind: "accepted" | "refused" | "unexpected"; detail: string } | { kind: "error"; detail: string };

export const HTTP_PATHS = { metrics: "/v1/metrics", logs: "/v1/logs" } as const;
export const GRPC_PATHS = {
  metrics: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
  logs: "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
} as const;

/** gRPC status codes that mean "no or wrong credentials". */
const GRPC_UNAUTHENTICATED = 16;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_STATUS_NAMES: Record<number, string> = {
  0: "OK",
  1: "Cancelled",
  2: "Unknown",
  3: "InvalidArgument",
  4: "DeadlineExceeded",
  5: "NotFound",
  7: "PermissionDenied",
  8: "ResourceExhausted",
  12: "Unimplemented",
  13: "Internal",
  14: "Unavailable",
  16: "Unauthenticated",
};

function parseBase(endpoint: string): URL {
  const u = new URL(endpoint);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`endpoint must be http or https: ${endpoint}`);
  return u;
}

function defaultPort(u: URL): number {
  return u.port ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
}

function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const message = (err.message ?? String(e)).split("\n")[0]!;
  // OpenSSL messages repeat the code with library internals; the code alone says it.
  if (err.code && (err.code.startsWith("ERR_SSL") || message.length > 100)) return err.code;
  return err.code ? `${err.code}: ${message}` : message;
}

/** The URL `make` builds, or the error outcome saying why the endpoint is not one. */
function urlOrError(make: () => URL): URL | Outcome {
  try {
    return make();
  } catch (e) {
    return { kind: "error", detail: errorText(e) };
  }
}

/** Opens a TCP connection (http) or completes a TLS handshake (https). */
export function connectCheck(endpoint: string, files: TlsFiles = {}, timeoutMs = 5000, alpn?: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const u = urlOrError(() => parseBase(endpoint));
    if (!(u instanceof URL)) return resolve(u);
    const port = defaultPort(u);
    const host = u.hostname.replace(/^\[|\]$/g, "");
    const socket =
      u.protocol === "https:"
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ca: files.ca, cert: files.cert, key: files.key, ALPNProtocols: alpn })
        : net.connect({ host, port });
    const done = (o: Outcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => done({ kind: "error", detail: `no connection within ${timeoutMs} ms` }), timeoutMs);
    socket.once("error", (e) => done({ kind: "error", detail: errorText(e) }));
    if (socket instanceof tls.TLSSocket) {
      socket.once("secureConnect", () =>
        done({ kind: "accepted", detail: `TLS handshake ok (${socket.getProtocol() ?? "TLS"}${socket.alpnProtocol ? `, ALPN ${socket.alpnProtocol}` : ""})` }),
      );
    } else {
      socket.once("connect", () => done({ kind: "accepted", detail: "TCP connection opened" }));
    }
  });
}

/** POSTs an empty OTLP/protobuf export request. */
export function httpExport(endpoint: string, path: string, token: string | undefined, files: TlsFiles = {}, timeoutMs = 5000): Promise<Outcome> {
  return new Promise((resolve) => {
    const u = urlOrError(() => new URL(path, parseBase(endpoint)));
    if (!(u instanceof URL)) return resolve(u);
    const headers: Record<string, string> = { "content-type": "application/x-protobuf", "content-length": "0" };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const options: https.RequestOptions = { method: "POST", headers, timeout: timeoutMs, ca: files.ca, cert: files.cert, key: files.key, agent: false };
    const req = (u.protocol === "https:" ? https : http).request(u, options, (res) => {
      res.resume();
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        const detail = `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ""}`;
        if (status >= 200 && status < 300) resolve({ kind: "accepted", detail });
        else if (status === 401 || status === 403) resolve({ kind: "refused", detail });
        else resolve({ kind: "unexpected", detail });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (e) => resolve({ kind: "error", detail: errorText(e) }));
    req.end();
  });
}

/** Calls a gRPC Export method with one empty message (5-byte frame: not compressed, length 0). */
export function grpcExport(endpoint: string, path: string, token: string | undefined, files: TlsFiles = {}, timeoutMs = 5000): Promise<Outcome> {
  return new Promise((resolve) => {
    const u = urlOrError(() => parseBase(endpoint));
    if (!(u instanceof URL)) return resolve(u);
    let settled = false;
    const session = http2.connect(u.origin, { ca: files.ca, cert: files.cert, key: files.key });
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ kind: "error", detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
    session.on("error", (e) => finish({ kind: "error", detail: errorText(e) }));
    const headers: http2.OutgoingHttpHeaders = { ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const req = session.request(headers);
    let httpStatus = 0;
    let grpcStatus: number | undefined;
    let grpcMessage = "";
    const read = (h: http2.IncomingHttpHeaders) => {
      if (h["grpc-status"] !== undefined) grpcStatus = Number(h["grpc-status"]);
      if (typeof h["grpc-message"] === "string") grpcMessage = decodeURIComponent(h["grpc-message"]);
    };
    req.on("response", (h) => {
      httpStatus = Number(h[":status"]);
      read(h); // a trailers-only answer carries the status in the headers
    });
    req.on("trailers", read);
    req.on("data", () => undefined);
    req.on("error", (e) => finish({ kind: "error", detail: errorText(e) }));
    req.on("close", () => {
      if (grpcStatus === undefined) {
        // Proxies in front of the collector may answer with a plain HTTP status.
        const detail = `HTTP ${httpStatus || "(none)"}, no grpc-status`;
        if (httpStatus === 401 || httpStatus === 403) return finish({ kind: "refused", detail });
        return finish({ kind: "unexpected", detail });
      }
      const detail = `grpc-status ${grpcStatus} (${GRPC_STATUS_NAMES[grpcStatus] ?? "?"})${grpcMessage ? `: ${grpcMessage.slice(0, 120)}` : ""}`;
      if (grpcStatus === 0) finish({ kind: "accepted", detail });
      else if (grpcStatus === GRPC_UNAUTHENTICATED || grpcStatus === GRPC_PERMISSION_DENIED) finish({ kind: "refused", detail });
      else finish({ kind: "unexpected", detail });
    });
    req.end(Buffer.alloc(5));
  });
}

type Exporter = typeof httpExport;

async function endpointChecks(
  label: "HTTP" | "gRPC",
  endpoint: string,
  call: Exporter,
  paths: Record<"metrics" | "logs", string>,
  opts: CheckOptions,
): Promise<CheckResult[]> {
  const files = opts.tls ?? {};
  const timeout = opts.timeoutMs ?? 5000;
  const results: CheckResult[] = [];
  const add = (check: string, verdict: Verdict, detail: string) => results.push({ check: `${label} ${check}`, endpoint, verdict, detail });

  const conn = await connectCheck(endpoint, files, timeout, label === "gRPC" ? ["h2"] : undefined);
  add("connect", conn.kind === "accepted" ? "PASS" : "FAIL", conn.detail);
  if (conn.kind !== "accepted") return results;

  for (const [signal, path] of Object.entries(paths)) {
    const name = label === "HTTP" ? path : `${signal} Export`;
    if (opts.token !== undefined) {
      const without = await call(endpoint, path, undefined, files, timeout);
      add(
        `${name} without token is refused`,
        without.kind === "refused" ? "PASS" : "FAIL",
        without.kind === "accepted" ? `${without.detail}: the ingest accepts data without a token` : without.detail,
      );
    }
    const withCreds = await call(endpoint, path, opts.token, files, timeout);
    const hint = withCreds.kind === "refused" ? (opts.token === undefined ? ": the ingest needs a token (--token-file)" : ": the token was not accepted") : "";
    add(`${name} ${opts.token !== undefined ? "with token " : ""}is accepted`, withCreds.kind === "accepted" ? "PASS" : "FAIL", `${withCreds.detail}${hint}`);
  }

  if (files.cert && files.key) {
    const noCert = { ...files, cert: undefined, key: undefined };
    const path = paths.metrics;
    const o = await call(endpoint, path, opts.token, noCert, timeout);
    // mTLS refuses either in the handshake (an error here) or with a status from a proxy.
    const refused = o.kind === "error" || o.kind === "refused" || /HTTP 400/.test(o.detail);
    add("without client certificate is refused", refused ? "PASS" : "FAIL", o.detail);
  }
  return results;
}

/** Runs every check for the endpoints given; a missing endpoint is reported as skipped. */
export async function runChecks(opts: CheckOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  if (opts.httpEndpoint) results.push(...(await endpointChecks("HTTP", opts.httpEndpoint, httpExport, HTTP_PATHS, opts)));
  else results.push({ check: "HTTP", endpoint: "-", verdict: "SKIP", detail: "no HTTP endpoint given" });
  if (opts.grpcEndpoint) results.push(...(await endpointChecks("gRPC", opts.grpcEndpoint, grpcExport, GRPC_PATHS, opts)));
  else results.push({ check: "gRPC", endpoint: "-", verdict: "SKIP", detail: "no gRPC endpoint given" });
  return results;
}

/** The verdict table; every secret given is masked wherever it might appear. */
export function formatResults(results: readonly CheckResult[], secrets: readonly string[] = []): string {
  const mask = (s: string) => secrets.filter((x) => x.length > 0).reduce((acc, x) => acc.split(x).join("****"), s);
  const rows = [["CHECK", "ENDPOINT", "VERDICT", "DETAIL"], ...results.map((r) => [r.check, r.endpoint, r.verdict, r.detail].map(mask))];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r
      .map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c))
      .join("  ")
      .trimEnd(),
  );
  const failed = results.filter((r) => r.verdict === "FAIL").length;
  const passed = results.filter((r) => r.verdict === "PASS").length;
  lines.push("", failed === 0 ? `OK: ${passed} checks passed` : `FAILED: ${failed} of ${passed + failed} checks failed`);
  return lines.join("\n");
}

export function hasFailures(results: readonly CheckResult[]): boolean {
  return results.some((r) => r.verdict === "FAIL") || results.every((r) => r.verdict === "SKIP");
}
