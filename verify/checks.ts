// Health and ingest checks: each a small function returning report rows.
import { existsSync, readFileSync } from "node:fs";
import { DATASOURCE_UIDS } from "../components/grafana-provisioning.js";
import { allDashboards } from "../dashboards/index.js";
import { runChecks, type CheckResult } from "../lib/otlp-check.js";
import { basicAuth, directEndpoint, HttpError, requestJson, type ApiEndpoint } from "./http.js";
import { lokiReady } from "./loki.js";
import { prometheusReady } from "./prometheus.js";
import { row, type CheckRow } from "./report.js";
import type { Backend, Targets } from "./targets.js";

/** Grafana /api/health: answers without login; `database: ok` means Grafana can serve dashboards. */
export async function grafanaHealth(grafanaUrl: string | undefined): Promise<CheckRow> {
  const name = "Grafana /api/health";
  if (!grafanaUrl) return row(name, "SKIP", "no Grafana URL (stack output grafanaUrl or --grafana-url)");
  try {
    const h = await requestJson<{ database?: string; version?: string }>(directEndpoint(grafanaUrl), "/api/health", { timeoutMs: 5000 });
    return h.database === "ok"
      ? row(name, "PASS", `${grafanaUrl}: database ok, version ${h.version ?? "?"}`)
      : row(name, "FAIL", `${grafanaUrl}: database ${h.database ?? "unknown"}`);
  } catch (e) {
    return row(name, "FAIL", `${grafanaUrl}: ${(e as Error).message}`);
  }
}

/**
 * The admin login, told apart from a Grafana that does not answer: a refused password means the
 * database holds another one (e.g. a volume kept from an earlier stack whose Grafana has not been
 * restarted since, which resets it from the stack's secret at start).
 */
export async function grafanaLogin(api: ApiEndpoint, user: string): Promise<CheckRow> {
  const name = "Grafana admin login";
  try {
    await requestJson(api, "/api/user", { timeoutMs: 10_000 });
    return row(name, "PASS", `${api.via}: signed in as ${user}`);
  } catch (e) {
    const status = e instanceof HttpError ? e.status : undefined;
    if (status === 401 || status === 403)
      return row(
        name,
        "FAIL",
        `${api.via}: Grafana answers but refuses ${user} with this password (HTTP ${status}): its database holds another one; restart the Grafana container, whose start sets the stack's password (README: Quick start), or check GRAFANA_ADMIN_PASSWORD`,
      );
    if (status !== undefined) return row(name, "FAIL", `${api.via}: ${(e as Error).message}`);
    return row(name, "FAIL", `${api.via}: Grafana is not reachable (${(e as Error).message})`);
  }
}

/** The admin login, then the datasources and dashboards the stack provisions, looked up by UID with it. */
export async function grafanaProvisioning(t: Targets): Promise<CheckRow[]> {
  const loginName = "Grafana admin login";
  const dsName = "Grafana datasources provisioned";
  const dbName = "Grafana dashboards provisioned";
  if (!t.grafanaUrl || !t.grafanaCredentials) {
    const why = !t.grafanaUrl ? "no Grafana URL" : "no Grafana admin credentials (stack output or GRAFANA_ADMIN_PASSWORD)";
    return [row(loginName, "SKIP", why), row(dsName, "SKIP", why), row(dbName, "SKIP", why)];
  }
  const api: ApiEndpoint = { base: t.grafanaUrl.replace(/\/+$/, ""), headers: basicAuth(t.grafanaCredentials), via: t.grafanaUrl };
  const login = await grafanaLogin(api, t.grafanaCredentials.user);
  if (login.status !== "PASS")
    return [login, row(dsName, "SKIP", "needs the admin login (failed above)"), row(dbName, "SKIP", "needs the admin login (failed above)")];
  const lookup = async (path: string): Promise<string | undefined> => {
    try {
      await requestJson(api, path, { timeoutMs: 10_000 });
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  };
  const problems = async (items: { label: string; path: string }[]) =>
    (await Promise.all(items.map(async (i) => ({ ...i, error: await lookup(i.path) })))).filter((i) => i.error !== undefined);
  const verdict = (name: string, total: number, bad: { label: string; error?: string }[]) =>
    bad.length === 0
      ? row(name, "PASS", `${total} of ${total} found`)
      : row(name, "FAIL", `missing or unreadable: ${bad.map((b) => `${b.label} (${b.error})`).join(", ")}`);

  const ds = Object.values(DATASOURCE_UIDS).map((uid) => ({ label: uid, path: `/api/datasources/uid/${uid}` }));
  const dashboards = allDashboards().map((d) => ({ label: d.uid ?? d.title ?? "(no uid)", path: `/api/dashboards/uid/${encodeURIComponent(d.uid ?? "")}` }));
  const [dsBad, dbBad] = await Promise.all([problems(ds), problems(dashboards)]);
  return [login, verdict(dsName, ds.length, dsBad), verdict(dbName, dashboards.length, dbBad)];
}

async function backendReady(name: string, b: Backend, probe: (ep: ApiEndpoint) => Promise<string>): Promise<CheckRow> {
  if (!b.endpoint) return row(name, "FAIL", b.missing ?? "not reachable from here");
  try {
    const text = await probe(b.endpoint);
    return row(name, "PASS", `${b.endpoint.via}: ${text.slice(0, 60) || "ready"}`);
  } catch (e) {
    return row(name, "FAIL", `${b.endpoint.via}: ${(e as Error).message}`);
  }
}

export const prometheusHealth = (t: Targets) => backendReady("Prometheus /-/ready", t.prometheus, prometheusReady);
export const lokiHealth = (t: Targets) => backendReady("Loki /ready", t.loki, lokiReady);

function readPem(path: string | undefined): string | undefined {
  return path && existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

/**
 * OTLP ingest over HTTP and gRPC (lib/otlp-check.ts): reachable, and with a token, a request
 * without it refused and one with it accepted. The Kubernetes stack must enforce a token.
 */
export async function otlpChecks(t: Targets, timeoutMs = 5000): Promise<CheckRow[]> {
  if (!t.otlpHttp && !t.otlpGrpc)
    return [row("OTLP ingest", "FAIL", "no OTLP endpoint (stack outputs otlpHttpEndpoint/otlpGrpcEndpoint or --otlp-http/--otlp-grpc)")];
  const rows: CheckRow[] = [];
  if (t.target === "kubernetes" && !t.token)
    rows.push(row("OTLP ingest token", "FAIL", "the Kubernetes stack requires a token, and none was found (stack output ingestToken or --token-file)"));
  const tls = { ca: readPem(t.tlsFiles.ca), cert: readPem(t.tlsFiles.cert), key: readPem(t.tlsFiles.key) };
  const results: CheckResult[] = await runChecks({ httpEndpoint: t.otlpHttp, grpcEndpoint: t.otlpGrpc, token: t.token, tls, timeoutMs });
  for (const r of results) rows.push(row(`OTLP ${r.check}`, r.verdict, r.endpoint === "-" ? r.detail : `${r.endpoint}: ${r.detail}`));
  return rows;
}
