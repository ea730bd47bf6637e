// `npm run verify` end to end, run as the real command-line tool against a stack assembled from:
//   - the real collector (otelcol of the pinned release) running the rendered enterprise config:
//     bearer token required on its OTLP receivers (the real bearertokenauth), metrics by remote write
//     to Prometheus, events by OTLP to Loki;
//   - a real Prometheus with the project's rendered config, recording rules and flags;
//   - Loki: a TEST DOUBLE of Loki's HTTP API (test/support/loki-double.ts), because no Loki binary
//     is available on this machine; it stores OTLP logs like Loki 3 and answers simple LogQL;
//   - Grafana: a STAND-IN (test/support/grafana-stand-in.ts) that knows the datasources and
//     dashboards the rendered provisioning files provision, and proxies to Prometheus and Loki;
//   - `pulumi` on PATH replaced by a script printing the stack outputs an enterprise stack exports.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderClientBundle } from "../components/claude/client-bundle.js";
import { SERVICE_NAME_REGEX } from "../components/claude/telemetry.js";
import { INGEST_TOKEN_ENV } from "../components/collector.js";
import { DATASOURCE_UIDS } from "../components/grafana-provisioning.js";
import { RECORDED_USERS } from "../components/prometheus-rules.js";
import { USAGE_COUNTERS, USER_ACTIVITY } from "../components/usage-series.js";
import { renderStackFiles } from "../components/render-files.js";
import { parseSettings } from "../components/settings.js";
import { buildModel, createMemorySink, emitBurst, expectedTotals, otlpExporters, sessionRecords } from "../simulator/index.js";
import { entries, type LokiResult } from "../verify/loki.js";
import { logqlExpectation, NO_FACTS, promqlExpectation, promqlSeriesNames, runFacts, type RunFacts } from "../verify/panel-expectations.js";
import { exitCode, formatTable, row } from "../verify/report.js";
import { resolveTargets } from "../verify/targets.js";
import { indexAttributesOf, quantile, startLokiDouble, type LokiDouble } from "./support/loki-double.js";
import { renderLokiConfig } from "../components/loki.js";
import { freePort, LOOPBACK } from "../lib/loopback.js";
import { renderedPrometheus } from "./support/prometheus-files.js";
import { renderedCollectorConfig, startCollector, type RunningCollector } from "./support/collector.js";
import { grafanaContainerFiles, provisionedFrom, startGrafanaStandIn } from "./support/grafana-stand-in.js";
import { describeWithTools, startPrometheus, type RunningServer } from "./support/tools.js";
import { EXPECTED_DASHBOARD_UIDS } from "./support/expected-dashboards.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const TOKEN = randomBytes(16).toString("hex");
const PASSWORD = randomBytes(12).toString("base64url");
const ADMIN = "admin";
const K8S = { otlpHost: "otel.example.test", grafanaHost: "grafana.example.test", clusterIssuer: "test" };

interface Run {
  code: number | null;
  out: string;
}

interface Env {
  prometheus: RunningServer;
  collector: RunningCollector;
  loki: LokiDouble;
  servers: Server[];
  front: string;
  grafana: string;
  dir: string;
  runs: Run[];
}
let env: Env | undefined;
const must = () => {
  if (!env) throw new Error("environment not started");
  return env;
};

/** Runs `npm run verify`'s script with `pulumi` replaced; every run's output is kept for the secret check. */
function verify(args: string[], timeoutMs: number, extraEnv: Record<string, string> = {}): Promise<Run> {
  const e = must();
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(ROOT, "scripts", "verify.ts"), ...args], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${e.dir}:${process.env.PATH}`, OTLP_INGEST_TOKEN: "", GRAFANA_ADMIN_PASSWORD: "", ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (out += c.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      const run = { code, out };
      e.runs.push(run);
      resolve(run);
    });
  });
}

/** The RESULT column of the table row whose CHECK starts with `name`. */
function result(out: string, name: string): string | undefined {
  const line = out.split("\n").find((l) => l.startsWith(name));
  return line?.slice(name.length).trim().split(/\s+/)[0];
}

describeWithTools(["otelcol", "prometheus"], "npm run verify against a running stack (real collector and Prometheus; Loki double, Grafana stand-in)", () => {
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "verify-e2e-"));
    // What an enterprise stack renders: the collector requires the token; clients use OTLP/HTTP.
    const settings = parseSettings({ target: "kubernetes", kubernetes: K8S, client: { protocol: "http/protobuf" } }, "verify-e2e");
    const prometheus = await startPrometheus(renderedPrometheus(parseSettings({ target: "docker" }, "verify-e2e")));
    const loki = await startLokiDouble();
    const collector = await startCollector({
      config: renderedCollectorConfig(settings, { prometheus: prometheus.url, loki: loki.url }),
      env: { [INGEST_TOKEN_ENV]: TOKEN },
    });
    const grafana = await startGrafanaStandIn(grafanaContainerFiles(renderStackFiles(settings)), {
      backends: { prometheus: prometheus.url, loki: loki.url },
      login: { user: ADMIN, password: PASSWORD },
    });

    // What `pulumi stack output --json --show-secrets` prints for an enterprise stack.
    const outputs = {
      target: "kubernetes",
      grafanaUrl: grafana.url,
      prometheusUrl: "http://localhost:9090",
      otlpHttpEndpoint: collector.httpEndpoint,
      grafanaAdminUser: ADMIN,
      grafanaAdminPassword: PASSWORD,
      ingestToken: TOKEN,
      clientEnv: renderClientBundle(settings, TOKEN).env,
      privacyPolicy: {
        identity: settings.privacy.identity,
        contentCaptureAcknowledged: settings.client.contentCaptureAcknowledged,
        maxContentLength: settings.privacy.maxContentLength,
      },
    };
    writeFileSync(path.join(dir, "outputs.json"), JSON.stringify(outputs));
    // The same stack claiming a policy its collector does not apply (for the privacy check's failure).
    writeFileSync(path.join(dir, "outputs-claims-hash.json"), JSON.stringify({ ...outputs, privacyPolicy: { ...outputs.privacyPolicy, identity: "hash" } }));
    writeFileSync(
      path.join(dir, "pulumi"),
      `#!/bin/sh\n[ "$1 $2" = "stack output" ] || exit 3\ncat "${path.join(dir, "outputs")}\${OUTPUTS_VARIANT:-}.json"\n`,
    );
    chmodSync(path.join(dir, "pulumi"), 0o755);
    env = { prometheus, collector, loki, servers: [grafana.server], front: collector.httpEndpoint, grafana: grafana.url, dir, runs: [] };
  }, 120_000);

  afterAll(async () => {
    if (!env) return;
    for (const s of env.servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    await Promise.all([env.collector.stop(), env.loki.stop()]);
    await env.prometheus.stop();
    rmSync(env.dir, { recursive: true, force: true });
  });

  it("passes on a healthy stack: the marked run arrives with the values sent, and the dashboards show it", async () => {
    const run = await verify(["--stack", "verify-e2e", "--timeout", "4m"], 330_000);
    expect(run.code, run.out).toBe(0);
    const out = run.out;
    for (const name of [
      "Grafana /api/health",
      "Grafana admin login",
      "Prometheus /-/ready",
      "Loki /ready",
      "Grafana datasources provisioned",
      "Grafana dashboards provisioned",
    ])
      expect(result(out, name), name).toBe("PASS");
    expect(out).toMatch(/Prometheus \/-\/ready\s+PASS\s+Grafana datasource proxy/);
    expect(result(out, "OTLP HTTP /v1/metrics without token is refused")).toBe("PASS");
    expect(result(out, "OTLP HTTP /v1/logs with token is accepted")).toBe("PASS");
    expect(result(out, "Marked burst sent")).toBe("PASS");
    for (const name of [
      "Prometheus: sessions of the run",
      "Prometheus: cost of the run",
      "Prometheus: tokens of the run",
      "Prometheus: the dashboards' series count the run",
      "Loki: events of the run",
      "Loki: cost of the run",
      "Privacy: content in events",
      "Privacy: person identity",
      "Privacy: metric labels bounded",
    ]) {
      expect(result(out, name), `${name}\n${out}`).toBe("PASS");
    }
    // "4 = 4 sent": the figure read back equals the figure sent, both printed.
    const sessions = /Prometheus: sessions of the run\s+PASS\s+(\d+) = (\d+) sent/.exec(out);
    expect(sessions?.[1]).toBe(sessions?.[2]);
    expect(Number(sessions?.[1])).toBeGreaterThan(0);
    // Panels reading what the run filled must show data; collector and roll-up panels may warn.
    expect(result(out, "Panel overview: Sessions [stat]")).toBe("PASS");
    expect(result(out, "Panel overview: Estimated cost [stat]")).toBe("PASS");
    expect(result(out, "Panel quality: Tool calls by tool [timeseries]")).toBe("PASS");
    expect(out).not.toMatch(/^Panel .*\s+FAIL\s/m);
    expect(must().loki.entries().length).toBeGreaterThan(0);
  }, 340_000);

  it("reaches Prometheus and Loki directly from flags, and can skip sending", async () => {
    const e = must();
    const run = await verify(
      ["--prometheus-url", e.prometheus.url, "--loki-url", e.loki.url, "--otlp-http", e.front, "--token", TOKEN, "--skip-send"],
      120_000,
    );
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(new RegExp(`Prometheus /-/ready\\s+PASS\\s+${e.prometheus.url.replace(/[.]/g, "\\.")}`));
    expect(result(run.out, "Grafana /api/health")).toBe("SKIP");
    expect(result(run.out, "Marked burst sent")).toBe("SKIP");
  }, 130_000);

  it("fails and names the row when Prometheus is down", async () => {
    const e = must();
    const dead = `http://${LOOPBACK}:${await freePort()}`;
    const run = await verify(["--stack", "verify-e2e", "--prometheus-url", dead, "--timeout", "60s"], 150_000);
    expect(run.code, run.out).toBe(1);
    expect(result(run.out, "Prometheus /-/ready")).toBe("FAIL");
    // Everything else still works, so it is the only failure.
    expect(run.out).toMatch(/^Failing: Prometheus \/-\/ready$/m);
    expect(result(run.out, "Panels on Prometheus")).toBe("SKIP");
    expect(result(run.out, "Loki: events of the run")).toBe("PASS");
    expect(e.runs.length).toBeGreaterThan(0);
  }, 160_000);

  it("tells a refused Grafana password (its database holds another) from a Grafana that does not answer", async () => {
    const e = must();
    const wrong = randomBytes(12).toString("hex");
    const refused = await verify(["--stack", "verify-e2e", "--skip-send"], 120_000, { GRAFANA_ADMIN_PASSWORD: wrong });
    expect(refused.code, refused.out).toBe(1);
    expect(result(refused.out, "Grafana /api/health")).toBe("PASS");
    expect(refused.out).toMatch(
      /^Grafana admin login\s+FAIL\s+.*Grafana answers but refuses admin with this password \(HTTP 401\).*restart the Grafana container/m,
    );
    expect(result(refused.out, "Grafana datasources provisioned")).toBe("SKIP");
    expect(refused.out).not.toContain(wrong);

    const dead = `http://${LOOPBACK}:${await freePort()}`;
    const down = await verify(
      ["--grafana-url", dead, "--prometheus-url", e.prometheus.url, "--loki-url", e.loki.url, "--otlp-http", e.front, "--token", TOKEN, "--skip-send"],
      120_000,
      { GRAFANA_ADMIN_PASSWORD: PASSWORD },
    );
    expect(down.code, down.out).toBe(1);
    expect(result(down.out, "Grafana /api/health")).toBe("FAIL");
    expect(down.out).toMatch(/^Grafana admin login\s+FAIL\s+.*Grafana is not reachable/m);
    expect(down.out).not.toMatch(/^Grafana admin login.*refuses/m);
  }, 250_000);

  it("fails when the ingest refuses the token, and never prints it", async () => {
    const wrong = randomBytes(16).toString("hex");
    const run = await verify(["--stack", "verify-e2e", "--token", wrong, "--timeout", "30s"], 150_000);
    expect(run.code, run.out).toBe(1);
    expect(result(run.out, "OTLP HTTP /v1/metrics with token is accepted")).toBe("FAIL");
    expect(result(run.out, "Marked burst sent")).toBe("FAIL");
    expect(run.out).toContain("the token was not accepted");
    expect(run.out).not.toContain(wrong);
  }, 160_000);

  it("fails the privacy check when the stack stores more than its policy says (it claims hash, keeps emails)", async () => {
    const run = await verify(["--stack", "verify-e2e", "--timeout", "20s"], 150_000, { OUTPUTS_VARIANT: "-claims-hash" });
    expect(run.code, run.out).toBe(1);
    expect(result(run.out, "Privacy: person identity"), run.out).toBe("FAIL");
    expect(run.out).toMatch(/^Privacy: person identity\s+FAIL\s+\d+ plain emails/m);
    expect(result(run.out, "Privacy: content in events")).toBe("PASS");
  }, 160_000);

  it("never prints the ingest token or the Grafana password", () => {
    const runs = must().runs;
    expect(runs.length).toBe(7);
    for (const run of runs) {
      expect(run.out).not.toContain(TOKEN);
      expect(run.out).not.toContain(PASSWORD);
      expect(run.out).not.toContain(Buffer.from(`${ADMIN}:${PASSWORD}`).toString("base64"));
    }
  });
});

// ---- the pieces, without the tools -----------------------------------------------------------

describe("verify: which panels must show the run", () => {
  const facts: RunFacts = {
    series: new Set([USAGE_COUNTERS.sessions.series, USAGE_COUNTERS.cost.series, USER_ACTIVITY.series]),
    presentLabels: new Set(["user"]),
    events: new Set(["tool_result", "api_request"]),
  };
  const cost = `sum by (team) (sum_over_time(${USAGE_COUNTERS.cost.series}{team=~".*", user=~".*"}[1h]))`;

  it("names the series a PromQL query reads, not its functions, labels or durations", () => {
    const perPerson = `${cost} / count by (team) (group by (team, user) (count_over_time(${USER_ACTIVITY.series}{user!=""}[1h])))`;
    expect(promqlSeriesNames(perPerson)).toEqual([USAGE_COUNTERS.cost.series, USER_ACTIVITY.series]);
    expect(promqlSeriesNames("time() - max(max_over_time(claude_code:last_sample:timestamp_seconds[7d]))")).toEqual([
      "claude_code:last_sample:timestamp_seconds",
    ]);
    expect(promqlSeriesNames("topk(20, max by (exporter) (otelcol_exporter_queue_size))")).toEqual(["otelcol_exporter_queue_size"]);
  });

  it("requires data only where everything read is filled by the run and nothing filters it out", () => {
    expect(promqlExpectation(cost, facts).mustHaveData).toBe(true);
    expect(promqlExpectation(`${cost} / count(count_over_time(${USER_ACTIVITY.series}{user!=""}[1h]))`, facts).mustHaveData).toBe(true);
    expect(promqlExpectation(`sum(sum_over_time(${USAGE_COUNTERS.cost.series}{model="opus"}[1h]))`, facts)).toMatchObject({
      mustHaveData: false,
      why: expect.stringContaining('model="opus"'),
    });
    expect(promqlExpectation(`count(count_over_time(${RECORDED_USERS.perHour}[1d]))`, facts).why).toContain(RECORDED_USERS.perHour);
    expect(promqlExpectation(`${cost} unless ${cost} offset 1h`, facts).mustHaveData).toBe(false);
    expect(promqlExpectation(cost, NO_FACTS).mustHaveData).toBe(false);

    const tools = `sum by (tool_name) (count_over_time({service_name=~"${SERVICE_NAME_REGEX}", team=~".*"} | event_name="tool_result" | user_email=~".*" or enduser_id=~".*" [1m]))`;
    expect(logqlExpectation(tools, facts).mustHaveData).toBe(true);
    expect(logqlExpectation(tools.replace("tool_result", "api_error"), facts).why).toContain("not sent by this run");
    expect(logqlExpectation(tools.replace('| event_name="tool_result"', '| event_name="tool_result" | success="false"'), facts).mustHaveData).toBe(false);
    expect(logqlExpectation(tools, NO_FACTS).mustHaveData).toBe(false);
  });

  it("takes the run's facts from what it sent, and only once its data arrived", () => {
    const sent = expectedTotals(buildModel({ seed: 7, users: 3, sessions: 4 }));
    const arrived = runFacts(sent, { recorded: true, loki: true });
    expect(arrived.series.has(USAGE_COUNTERS.sessions.series)).toBe(true);
    expect(arrived.series.has(RECORDED_USERS.perHour)).toBe(false);
    expect(arrived.series.has(USAGE_COUNTERS.pullRequests.series)).toBe(sent.pullRequests > 0);
    expect([...arrived.events].sort()).toEqual(
      Object.keys(sent.events)
        .filter((e) => (sent.events as Record<string, number>)[e]! > 0)
        .sort(),
    );
    expect(runFacts(sent, { recorded: false, loki: false })).toEqual({ series: new Set(), presentLabels: new Set(), events: new Set() });
  });
});

describe("the Grafana stand-in", () => {
  it("provisions exactly what the rendered files provision, read as Grafana reads them", () => {
    const settings = parseSettings({ target: "kubernetes", kubernetes: K8S }, "verify-e2e");
    const got = provisionedFrom(grafanaContainerFiles(renderStackFiles(settings)));
    expect(Object.fromEntries(got.datasources)).toEqual({
      "claude-code-prometheus": { type: "prometheus", url: "http://claude-telemetry-prometheus.claude-telemetry.svc:9090" },
      "claude-code-loki": { type: "loki", url: "http://claude-telemetry-loki.claude-telemetry.svc:3100" },
      "claude-code-alertmanager": { type: "alertmanager", url: "http://claude-telemetry-alertmanager.claude-telemetry.svc:9093" },
    });
    expect([...got.dashboards.keys()].sort()).toEqual([...EXPECTED_DASHBOARD_UIDS]);
    // The UIDs verify looks for are the provisioned ones.
    expect(Object.values(DATASOURCE_UIDS).every((uid) => got.datasources.has(uid))).toBe(true);
  });

  it("provisions nothing from a datasource file outside the provisioning folder", () => {
    const files = new Map([["/etc/grafana/elsewhere/ds.yaml", "datasources: [{uid: x, type: prometheus}]"]]);
    expect(provisionedFrom(files).datasources.size).toBe(0);
  });
});

describe("verify: where the stack is reached", () => {
  const outputs = {
    target: "kubernetes",
    grafanaUrl: "https://grafana.example.test",
    prometheusUrl: "http://localhost:9090",
    otlpHttpEndpoint: "https://otel.example.test",
    otlpGrpcEndpoint: "https://otel.example.test",
    grafanaAdminUser: "admin",
    grafanaAdminPassword: "pw-" + "x".repeat(20),
    ingestToken: "t".repeat(32),
  };

  it("queries the in-cluster Prometheus and Loki through Grafana's datasource proxy, unless a URL is given", () => {
    const t = resolveTargets({}, { outputs });
    expect(t.prometheus.endpoint?.base).toBe(`https://grafana.example.test/api/datasources/proxy/uid/${DATASOURCE_UIDS.prometheus}`);
    expect(t.loki.endpoint?.base).toBe(`https://grafana.example.test/api/datasources/proxy/uid/${DATASOURCE_UIDS.loki}`);
    expect(t.prometheus.endpoint?.headers.authorization).toBe(`Basic ${Buffer.from(`admin:${outputs.grafanaAdminPassword}`).toString("base64")}`);
    expect(t.token).toBe(outputs.ingestToken);
    expect(t.secrets).toEqual([outputs.ingestToken, outputs.grafanaAdminPassword]);
    const flagged = resolveTargets({ prometheusUrl: "http://127.0.0.1:19090", token: "other" }, { outputs });
    expect(flagged.prometheus.endpoint).toMatchObject({ base: "http://127.0.0.1:19090", headers: {} });
    expect(flagged.token).toBe("other");
    expect(resolveTargets({}, { outputs: { ...outputs, grafanaAdminPassword: undefined } }).prometheus.missing).toContain("admin credentials");
  });

  it("reaches the local stack's published ports, Loki at the stack file's port, with the clients' protocol and token", () => {
    const settings = parseSettings({ target: "docker", client: { protocol: "grpc" } }, "local");
    const local = {
      target: "docker",
      grafanaUrl: "http://127.0.0.1:3000",
      prometheusUrl: "http://127.0.0.1:9090",
      otlpGrpcEndpoint: "http://127.0.0.1:4317",
      otlpHttpEndpoint: "http://127.0.0.1:4318",
    };
    const t = resolveTargets({}, { outputs: local, clientEnv: renderClientBundle(settings, "k".repeat(24)).env, dockerLokiPort: 3110 });
    expect(t.prometheus.endpoint?.base).toBe("http://127.0.0.1:9090");
    expect(t.loki.endpoint?.base).toBe("http://127.0.0.1:3110");
    expect(t.protocol).toBe("grpc");
    expect(t.token).toBe("k".repeat(24));
    expect(resolveTargets({ otlpHttp: "http://127.0.0.1:4318" }, undefined)).toMatchObject({
      protocol: "http/protobuf",
      loki: { missing: expect.stringContaining("--loki-url") },
    });
  });
});

describe("verify: the report", () => {
  it("masks secrets in every form and fails on any FAIL or when nothing was checked", () => {
    const secret = "s3cret-" + "v".repeat(20);
    const table = formatTable([row("a", "FAIL", `sent ${secret} and ${Buffer.from(secret).toString("base64")}`)], [secret]);
    expect(table).not.toContain(secret);
    expect(table).not.toContain(Buffer.from(secret).toString("base64"));
    expect(table).toMatch(/^a\s+FAIL\s+sent \*\*\*\* and \*\*\*\*$/m);
    expect(exitCode([row("a", "PASS", ""), row("b", "WARN", "")])).toBe(0);
    expect(exitCode([row("a", "PASS", ""), row("b", "FAIL", "")])).toBe(1);
    expect(exitCode([row("a", "SKIP", "")])).toBe(1);
  });
});

describe("the Loki test double", () => {
  it("indexes what the rendered Loki config and Loki's defaults index, nothing else", () => {
    const local = indexAttributesOf(renderLokiConfig(parseSettings({ target: "docker" }, "x")));
    for (const a of ["service.name", "team", "department", "cost_center", "environment", "k8s.namespace.name"]) expect(local.has(a), a).toBe(true);
    for (const a of ["user.email", "session.id", "host.arch"]) expect(local.has(a), a).toBe(false);
    const custom = indexAttributesOf(renderLokiConfig(parseSettings({ target: "docker", collector: { labelAttributes: ["org.unit"] } }, "x")));
    expect(custom.has("org.unit")).toBe(true);
    expect(custom.has("team")).toBe(false);
    expect([...indexAttributesOf("limits_config: {otlp_config: {resource_attributes: {ignore_defaults: true}}}")]).toEqual([]);
  });

  let loki: LokiDouble;
  beforeAll(async () => {
    loki = await startLokiDouble();
  });
  afterAll(() => loki.stop());

  const query = async (q: string, extra: Record<string, string> = {}) => {
    const now = Date.now();
    const params = new URLSearchParams({ query: q, start: String((now - 3_600_000) * 1e6), end: String((now + 60_000) * 1e6), limit: "5000", ...extra });
    const res = await fetch(`${loki.url}/loki/api/v1/query_range?${params}`);
    return { status: res.status, body: res.status === 200 ? ((await res.json()) as { data: LokiResult }).data : await res.text() };
  };

  it("stores OTLP/protobuf events from the SDK and answers log queries on structured metadata", async () => {
    const model = buildModel({ seed: 3, users: 2, sessions: 2, marker: "double-run", durationMs: 30_000, startTimeMs: Date.now() - 30_000 });
    const logs = otlpExporters({ endpoint: `${loki.url}/otlp`, protocol: "http/protobuf", temporality: "cumulative" });
    const stats = await emitBurst(model, (s) => ({ metrics: createMemorySink("cumulative").exporters(s).metrics, logs: logs(s).logs }));
    expect(stats.exportErrors, stats.lastError).toBe(0);
    const sent = expectedTotals(model);

    const all = await query(`{service_name=~"${SERVICE_NAME_REGEX}"} | simulation_run="double-run"`);
    const lines = entries(all.body as LokiResult);
    expect(lines.length).toBe(Object.values(sent.events).reduce((a, b) => a + b, 0));
    expect(lines[0]?.labels).toMatchObject({ team: expect.any(String), simulation_run: "double-run", event_name: expect.any(String) });
    const requests = entries(
      (await query(`{service_name=~"${SERVICE_NAME_REGEX}"} | event_name="api_request" or event_name="nothing" | simulation_run=~"double-.*"`))
        .body as LokiResult,
    );
    expect(requests.length).toBe(sent.events.api_request);
    expect(requests.reduce((sum, l) => sum + Number(l.labels.cost_usd), 0)).toBeCloseTo(sent.costUsd, 9);
    expect(entries((await query(`{service_name="nobody"} | simulation_run="double-run"`)).body as LokiResult)).toEqual([]);

    // Metric queries are evaluated: one step at the end of the range sees every event of the hour.
    const endNs = String((Date.now() + 60_000) * 1e6);
    const instant = async (q: string) =>
      (await query(q, { start: endNs, end: endNs, step: "60" })).body as { result: { metric: Record<string, string>; values: [number, string][] }[] };
    const toolResults = model.sessions
      .flatMap((s) => sessionRecords(s, "double-run"))
      .flatMap((r) => (r.kind === "event" && r.event === "toolResult" ? [r.attributes] : []));
    expect(toolResults.length).toBe(sent.events.tool_result);
    const count = await instant(`sum(count_over_time({service_name=~"${SERVICE_NAME_REGEX}"} | event_name="tool_result" [1h]))`);
    expect(count.result.map((r) => Number(r.values.at(-1)?.[1]))).toEqual([toolResults.length]);
    const byTool = await instant(`sum by (tool_name) (count_over_time({service_name=~"${SERVICE_NAME_REGEX}"} | event_name="tool_result" [1h]))`);
    const expectedByTool: Record<string, number> = {};
    for (const a of toolResults) expectedByTool[String(a.tool_name)] = (expectedByTool[String(a.tool_name)] ?? 0) + 1;
    expect(Object.fromEntries(byTool.result.map((r) => [r.metric.tool_name, Number(r.values.at(-1)?.[1])]))).toEqual(expectedByTool);
    const durations = toolResults.map((a) => Number(a.duration_ms));
    const total = await instant(
      `sum(sum_over_time({service_name=~"${SERVICE_NAME_REGEX}"} | event_name="tool_result" | unwrap duration_ms | __error__="" [1h]))`,
    );
    expect(Number(total.result[0]?.values.at(-1)?.[1])).toBeCloseTo(
      durations.reduce((a, b) => a + b, 0),
      6,
    );
    // Nearest-rank interpolation, as Loki computes quantiles: the median of 1..4 is 2.5.
    expect(quantile(0.5, [4, 1, 3, 2])).toBe(2.5);
    expect((await query(`sum(count_over_time({service_name=~".+"} | unwrap duration_ms [1h]))`)).status).toBe(400);
    expect((await query(`{service_name=~".+"} | json`)).status).toBe(400);
    expect((await query(`{service_name=~`)).status).toBe(400);
  });
});
