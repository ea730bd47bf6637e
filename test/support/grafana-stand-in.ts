// A stand-in for Grafana's HTTP API as `npm run verify` meets it, because no Grafana build is
// available on this machine. It is NOT Grafana. What it answers comes from the files the stack
// renders for Grafana's container, read the way Grafana reads them: every datasource of every YAML
// under provisioning/datasources, and every dashboard JSON in the folder each dashboard provider
// (provisioning/dashboards) names. So a UID the product's provisioning does not hold is a 404 here.
//
//   GET /api/health                          200 without login
//   GET /metrics                             a metric of its own (so Prometheus' scrape of it succeeds)
//   GET /api/user                            the signed-in user (admin basic auth; 401 without it)
//   GET /api/datasources[/uid/<uid>]         the provisioned datasources (admin basic auth)
//   GET /api/dashboards/uid/<uid>            200 for a provisioned dashboard (admin basic auth)
//   GET /api/search                          the provisioned dashboards (admin basic auth)
//   *   /api/datasources/proxy/uid/<uid>/…   forwarded to that datasource's URL, or to the backend
//                                            given for its type
// It also runs inside a container of the Docker test (test/docker/stand-ins/grafana-main.ts), as
// Grafana's image would, with the files it finds on disk and the admin login its database holds.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { parse } from "yaml";
import { GRAFANA_PROVISIONING_DIR } from "../../components/grafana-provisioning.js";
import { LOOPBACK } from "../../lib/loopback.js";

/** Files of the Grafana container by absolute path, e.g. from renderStackFiles (`grafana/…` keys). */
export type ContainerFiles = ReadonlyMap<string, string>;

export interface Provisioned {
  /** Datasource UID → type and URL. */
  datasources: Map<string, { type: string; url: string }>;
  /** Dashboard UID → title. */
  dashboards: Map<string, string>;
}

/** What Grafana would provision from these files. */
export function provisionedFrom(files: ContainerFiles, provisioningDir = GRAFANA_PROVISIONING_DIR): Provisioned {
  const under = (dir: string, ext: RegExp) => [...files.entries()].filter(([p]) => path.dirname(p) === dir && ext.test(p));
  const datasources = new Map<string, { type: string; url: string }>();
  for (const [, text] of under(`${provisioningDir}/datasources`, /\.ya?ml$/)) {
    for (const ds of (parse(text) as { datasources?: { uid: string; type: string; url: string }[] }).datasources ?? [])
      datasources.set(ds.uid, { type: ds.type, url: ds.url });
  }
  const dashboards = new Map<string, string>();
  for (const [, text] of under(`${provisioningDir}/dashboards`, /\.ya?ml$/)) {
    for (const p of (parse(text) as { providers?: { type: string; options: { path: string } }[] }).providers ?? []) {
      if (p.type !== "file") continue;
      for (const [, json] of under(p.options.path, /\.json$/)) {
        const d = JSON.parse(json) as { uid: string; title: string };
        dashboards.set(d.uid, d.title);
      }
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

export interface GrafanaStandInOptions {
  /** Where each datasource type's proxy forwards (default: the datasource's provisioned URL). */
  backends?: Record<string, string>;
  /** The admin's user and password, or a check of the two (the Docker stand-in's database). */
  login: { user: string; password: string } | { verify: (user: string, password: string) => boolean };
  /** Grafana's provisioning folder (GF_PATHS_PROVISIONING). */
  provisioningDir?: string;
  /** Default 127.0.0.1 and a free port. */
  host?: string;
  port?: number;
}

/** Serves the API above for what `files` provision. */
export async function startGrafanaStandIn(files: ContainerFiles, opts: GrafanaStandInOptions): Promise<GrafanaStandIn> {
  const provisioned = provisionedFrom(files, opts.provisioningDir);
  const login = opts.login;
  /** The basic-auth user when the login is right. */
  const signedIn = (header: string | undefined): string | undefined => {
    const text = /^Basic (.+)$/.exec(header ?? "")?.[1];
    const decoded = text ? Buffer.from(text, "base64").toString("utf8") : "";
    const colon = decoded.indexOf(":");
    if (colon < 0) return undefined;
    const [user, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
    const ok = "verify" in login ? login.verify(user, password) : user === login.user && password === login.password;
    return ok ? user : undefined;
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://grafana");
    const json = (status: number, v: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(v));
    if (url.pathname === "/api/health") return json(200, { database: "ok", version: "stand-in" });
    if (url.pathname === "/metrics")
      return res.writeHead(200, { "content-type": "text/plain" }).end(`grafana_stand_in_dashboards ${provisioned.dashboards.size}\n`);
    const user = signedIn(req.headers.authorization);
    if (user === undefined) return json(401, { message: "Unauthorized" });
    if (url.pathname === "/api/user") return json(200, { login: user, isGrafanaAdmin: true });
    if (url.pathname === "/api/datasources")
      return json(
        200,
        [...provisioned.datasources].map(([uid, d]) => ({ uid, ...d })),
      );
    if (url.pathname === "/api/search")
      return json(
        200,
        [...provisioned.dashboards].map(([uid, title]) => ({ uid, title, type: "dash-db" })),
      );
    const [, kind, uid, rest] = /^\/api\/(datasources\/proxy\/uid|datasources\/uid|dashboards\/uid)\/([^/]+)(\/.*)?$/.exec(url.pathname) ?? [];
    const ds = provisioned.datasources.get(uid as string);
    if (kind === "datasources/uid") return ds ? json(200, { uid, ...ds }) : json(404, { message: "Data source not found" });
    if (kind === "dashboards/uid")
      return provisioned.dashboards.has(uid as string) ? json(200, { dashboard: { uid } }) : json(404, { message: "Dashboard not found" });
    const upstream = ds ? (opts.backends?.[ds.type] ?? ds.url) : undefined;
    if (kind !== "datasources/proxy/uid" || !upstream) return json(404, { message: "not found" });
    forward(req, res, `${upstream}${rest ?? "/"}${url.search}`).catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, opts.host ?? LOOPBACK, r));
  return { url: `http://${LOOPBACK}:${(server.address() as AddressInfo).port}`, server };
}
