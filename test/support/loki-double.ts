// A test double of Loki's HTTP API, because no Loki binary is available on this machine. It is NOT
// Loki: it implements just enough for tests of verify and similar tools.
//
//   POST /otlp/v1/logs                 OTLP/HTTP logs (protobuf, decoded with the generated OTLP
//                                      classes of @opentelemetry/otlp-transformer, or JSON; gzip ok).
//                                      Like Loki 3's native OTLP: resource attributes become index
//                                      labels where Loki's defaults or the Loki config it is given
//                                      (the project's rendered one) say so, every other attribute
//                                      structured metadata, names with dots become underscores, the
//                                      body is the line.
//   GET  /ready                        "ready"
//   GET  /metrics                      one metric of the double's own (so a scrape of it succeeds)
//   GET|POST /loki/api/v1/query_range  LogQL (loki-logql.ts) parsed with @grafana/lezer-logql:
//     log queries      stream selector, label filters (=, !=, =~, !~, and/or, parentheses) and
//                      line filters; streams split by labels plus structured metadata, as Loki
//                      returns them without the categorize-labels flag.
//     metric queries   evaluated at every step over the stored entries, with Loki's semantics for
//                      the forms the dashboards use: count_over_time, rate, and (after `unwrap`)
//                      sum/avg/min/max/quantile_over_time, with `by (…)`; sum/avg/min/max/count
//                      by (…) over them; `/ * + -` between two of them, matched on equal labels.
//                      A series' labels are its stream labels plus structured metadata.
//   Anything else (parsers, number filters, …) gets HTTP 400, as a query Loki cannot run would.
// It also runs inside a container of the Docker test (test/docker/stand-ins/loki-main.ts), with
// the rendered Loki config's port and data folder.
import { appendFileSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import otlpRoot from "@opentelemetry/otlp-transformer/build/src/generated/root.js";
import { parse } from "yaml";
import { promLabel } from "../../components/claude/telemetry.js";
import { renderLokiConfig } from "../../components/loki.js";
import { parseSettings } from "../../components/settings.js";
import { LOOPBACK } from "../../lib/loopback.js";
import { queryRange, Unsupported, type StoredEntry } from "./loki-logql.js";

export { quantile, type StoredEntry } from "./loki-logql.js";

export interface LokiDouble {
  url: string;
  /** Everything pushed so far. */
  entries(): readonly StoredEntry[];
  stop(): Promise<void>;
}

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean; arrayValue?: unknown; kvlistValue?: unknown };
type KeyValue = { key: string; value?: AnyValue };
interface LogsRequest {
  resourceLogs?: {
    resource?: { attributes?: KeyValue[] };
    scopeLogs?: {
      scope?: { name?: string };
      logRecords?: { timeUnixNano?: string | number; observedTimeUnixNano?: string | number; body?: AnyValue; attributes?: KeyValue[] }[];
    }[];
  }[];
}
type Decoder = { decode(b: Uint8Array): unknown; toObject(m: unknown, o: object): LogsRequest };
const REQUEST = (otlpRoot as unknown as { opentelemetry: { proto: { collector: { logs: { v1: { ExportLogsServiceRequest: Decoder } } } } } }).opentelemetry
  .proto.collector.logs.v1.ExportLogsServiceRequest;

function decodeLogs(body: Buffer, contentType: string): LogsRequest {
  if (body.length === 0) return {};
  if (contentType.includes("json")) return JSON.parse(body.toString("utf8")) as LogsRequest;
  return REQUEST.toObject(REQUEST.decode(body), { longs: String, bytes: String, defaults: false });
}

function valueText(v: AnyValue | undefined): string {
  if (!v) return "";
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return String(v.intValue);
  if (v.doubleValue !== undefined) return String(v.doubleValue);
  if (v.boolValue !== undefined) return String(v.boolValue);
  return JSON.stringify(v.arrayValue ?? v.kvlistValue ?? "");
}

function toEntries(req: LogsRequest, indexAttributes: ReadonlySet<string>): StoredEntry[] {
  const out: StoredEntry[] = [];
  for (const rl of req.resourceLogs ?? []) {
    const stream: Record<string, string> = {};
    const resourceMeta: Record<string, string> = {};
    for (const kv of rl.resource?.attributes ?? []) (indexAttributes.has(kv.key) ? stream : resourceMeta)[promLabel(kv.key)] = valueText(kv.value);
    for (const sl of rl.scopeLogs ?? []) {
      for (const lr of sl.logRecords ?? []) {
        const metadata: Record<string, string> = { ...resourceMeta, ...(sl.scope?.name ? { scope_name: sl.scope.name } : {}) };
        for (const kv of lr.attributes ?? []) metadata[promLabel(kv.key)] = valueText(kv.value);
        const ts = BigInt(lr.timeUnixNano && String(lr.timeUnixNano) !== "0" ? String(lr.timeUnixNano) : String(lr.observedTimeUnixNano ?? Date.now() * 1e6));
        out.push({ tsNs: ts, line: valueText(lr.body), stream, structuredMetadata: metadata });
      }
    }
  }
  return out;
}

// ---- server --------------------------------------------------------------------------------------

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks);
  return req.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body;
}

/** Resource attributes Loki 3.7 indexes from OTLP unless its config says `ignore_defaults`. */
const LOKI_DEFAULT_INDEX_ATTRIBUTES = [
  "cloud.availability_zone",
  "cloud.region",
  "container.name",
  "deployment.environment",
  "k8s.cluster.name",
  "k8s.container.name",
  "k8s.cronjob.name",
  "k8s.daemonset.name",
  "k8s.deployment.name",
  "k8s.job.name",
  "k8s.namespace.name",
  "k8s.pod.name",
  "k8s.replicaset.name",
  "k8s.statefulset.name",
  "service.instance.id",
  "service.name",
  "service.namespace",
];

interface OtlpConfig {
  resource_attributes?: { ignore_defaults?: boolean; attributes_config?: { action: string; attributes?: string[] }[] };
}

/** The resource attributes a Loki config makes index labels. */
export function indexAttributesOf(lokiConfigYaml: string): Set<string> {
  const otlp = (parse(lokiConfigYaml) as { limits_config?: { otlp_config?: OtlpConfig } }).limits_config?.otlp_config?.resource_attributes;
  const index = new Set(otlp?.ignore_defaults ? [] : LOKI_DEFAULT_INDEX_ATTRIBUTES);
  for (const rule of otlp?.attributes_config ?? [])
    for (const a of rule.attributes ?? []) {
      if (rule.action === "index_label") index.add(a);
      else index.delete(a);
    }
  return index;
}

export interface LokiDoubleOptions {
  /** The Loki config whose OTLP rules it follows (default: the project's rendered local one). */
  config?: string;
  /** Default 127.0.0.1 and a free port. */
  host?: string;
  port?: number;
  /**
   * Keep the entries in this folder too (one JSON line each), and read back what is there at
   * start, as Loki keeps its chunks on its volume: a folder it cannot write fails the start.
   */
  dataDir?: string;
}

const ENTRIES_FILE = "stand-in-entries.jsonl";

function loadEntries(dataDir: string): StoredEntry[] {
  const file = path.join(dataDir, ENTRIES_FILE);
  appendFileSync(file, ""); // fails at once when the folder is not writable
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const e = JSON.parse(l) as Omit<StoredEntry, "tsNs"> & { tsNs: string };
      return { ...e, tsNs: BigInt(e.tsNs) };
    });
}

export async function startLokiDouble(opts: LokiDoubleOptions = {}): Promise<LokiDouble> {
  const index = indexAttributesOf(opts.config ?? renderLokiConfig(parseSettings({ target: "docker" }, "loki-double")));
  const stored: StoredEntry[] = opts.dataDir ? loadEntries(opts.dataDir) : [];
  const keep = (entries: StoredEntry[]) => {
    stored.push(...entries);
    if (opts.dataDir) appendFileSync(path.join(opts.dataDir, ENTRIES_FILE), entries.map((e) => JSON.stringify({ ...e, tsNs: String(e.tsNs) }) + "\n").join(""));
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://loki");
    const reply = (status: number, body: unknown) =>
      typeof body === "string"
        ? res.writeHead(status, { "content-type": "text/plain" }).end(body)
        : res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    readBody(req)
      .then((body) => {
        if (url.pathname === "/ready") return reply(200, "ready");
        // Something for Prometheus to scrape, so the stack's `up{job="loki"}` is 1 while the double runs.
        if (url.pathname === "/metrics") return reply(200, `loki_double_entries ${stored.length}\n`);
        if (url.pathname === "/otlp/v1/logs" && req.method === "POST") {
          keep(toEntries(decodeLogs(body, req.headers["content-type"] ?? ""), index));
          return res.writeHead(204).end();
        }
        if (url.pathname === "/loki/api/v1/query_range") {
          const params = req.method === "POST" ? new URLSearchParams(body.toString("utf8")) : url.searchParams;
          return reply(200, { status: "success", data: queryRange(stored, params) });
        }
        return reply(404, "404 page not found");
      })
      .catch((e: Error) => reply(e instanceof Unsupported ? 400 : 500, e.message));
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? LOOPBACK, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${LOOPBACK}:${port}`,
    entries: () => stored,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
