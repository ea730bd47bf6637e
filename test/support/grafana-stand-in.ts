// A stand-in for Grafana's HTTP API as `npm run verify` meets it, because no Grafana build is
// available on this machine. It is NOT Grafana. What it answers comes from the files the stack
// renders for Grafana's container, read the way Grafana reads them: every datasource of every YAML
// under provisioning/datasources, and every dashboard JSON in the folder each dashboard provider
// (provisioning/dashboards) names. So a UID the product's provisioning does not hold is a 404 here.
//
//   GET /api/health                          200 without login
//   GET /api/datasources/uid/<uid>           200 for a provisioned datasource (admin basic auth)
//   GET /api/dashboards/uid/<uid>            200 for a provisioned dashboard (admin basic auth)
//   *   /api/datasources/proxy/uid/<uid>/…   forwarded to the backend given for that datasource's type
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { parse } from "yaml";
import { GRAFANA_PROVISIONING_DIR } from "../../components/grafana-provisioning.js";
import { LOOPBACK } from "../../scripts/lib/loopback.js";

/** Files of the Grafana container by absolute path, e.g. from renderStackFiles (`grafana/…` keys). */
export type ContainerFiles = ReadonlyMap<string, string>;

export interface Provisioned {
  /** Datasource UID → type. */
  datasources: Map<string, string>;
  dashboards: Set<string>;
}

/** What Grafana would provision from these files. */
export function provisionedFrom(files: ContainerFiles): Provisioned {
  const under = (dir: string, ext: RegExp) => [...files.entries()].filter(([p]) => path.dirname(p) === dir && ext.test(p));
  const datasources = new Map<string, string>();
  for (const [, text] of under(`${GRAFANA_PROVISIONING_DIR}/datasources`, /\.ya?ml$/)) {
    for (const ds of (parse(text) as { datasources?: { uid: string; type: string }[] }).datasources ?? []) datasources.set(ds.uid, ds.type);
  }
  const dashboards = new Set<string>();
  for (const [, text] of under(`${GRAFANA_PROVISIONING_DIR}/dashboards`, /\.ya?ml$/)) {
    for (const p of (parse(text) as { providers?: { type: string; options: { path: string } }[] }).providers ?? []) {
      if (p.type !== "file") continue;
      for (const [, json] of under(p.options.path, /\.json$/)) dashboards.add((JSON.parse(json) as { uid: string }).uid);
    }
  }
  return { datasources, dashboards };
}

/** The container's files out of a rendered stack (`grafana/<absolute path>` keys). */
export function grafanaContainerFiles(rendered: ReadonlyMap<string, string | Buffer>): ContainerFiles {
  const out = new Map<string, string>();
  for (const [k, v] of rendered) if (k.startsWith("grafana/") && typeof v === "string") out.set(k.slice("grafana".length), v);
  return out;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function forward(req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
  const data = await body(req);
  const headers: Record<string, string> = {};
  for (const h of ["content-type", "content-encoding"]) if (req.headers[h]) headers[h] = String(req.headers[h]);
  const up = await fetch(target, { method: req.method, headers, body: req.method === "GET" ? undefined : new Uint8Array(data) });
  res.writeHead(up.status, { "content-type": up.headers.get("content-type") ?? "text/plain" }).end(Buffer.from(await up.arrayBuffer()));
}

export interface GrafanaStandIn {
  url: string;
  server: Server;
}

/**
 * Serves the API above for what `files` provision; `backends` maps a datasource type (prometheus,
 * loki) to the URL its proxy forwards to; `login` is the admin's user and password.
 */
export async function startGrafanaStandIn(files: ContainerFiles, backends: Record<string, string>, login: { user: string; password: string }): Promise<GrafanaStandIn> {
  const provisioned = provisionedFrom(files);
  const basic = `Basic ${Buffer.from(`${login.user}:${login.password}`).toString("base64")}`;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://grafana");
    const json = (status: number, v: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(v));
    if (url.pathname === "/api/health") return json(200, { database: "ok", version: "stand-in" });
    if (req.headers.authorization !== basic) return json(401, { message: "Unauthorized" });
    const [, kind, uid, rest] = /^\/api\/(datasources\/proxy\/uid|datasources\/uid|dashboards\/uid)\/([^/]+)(\/.*)?$/.exec(url.pathname) ?? [];
    const type = provisioned.datasources.get(uid as string);
    if (kind === "datasources/uid") return type ? json(200, { uid, type }) : json(404, { message: "Data source not found" });
    if (kind === "dashboards/uid") return provisioned.dashboards.has(uid as string) ? json(200, { dashboard: { uid } }) : json(404, { message: "Dashboard not found" });
    const upstream = type ? backends[type] : undefined;
    if (kind !== "datasources/proxy/uid" || !upstream) return json(404, { message: "not found" });
    forward(req, res, `${upstream}${rest ?? "/"}${url.search}`).catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((r) => server.listen(0, LOOPBACK, r));
  return { url: `http://${LOOPBACK}:${(server.address() as AddressInfo).port}`, server };
}
