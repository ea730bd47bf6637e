// End to end: simulated Claude Code sessions (OTel JS SDK, OTLP/protobuf, cumulative) for several
// people, teams and models → vmagent (OTLP → Prometheus names by remote write; it stands in for the
// collector's prometheusremotewrite exporter) → a real Prometheus 3 with
// the project's config and rules file (short intervals) → every Prometheus panel query of every
// dashboard must return data, and the totals the dashboards show must equal what was sent.
//
// Half the sessions send everything in one export (their whole total is each series' first
// sample), half play in real time with periodic exports (growing series): both must count exactly.
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { renderPrometheusConfig } from "../components/prometheus.js";
import { RECORDED_COUNTERS as C, RECORDED_LAST_SAMPLE, RECORDED_USERS, renderRulesFile, type RecordingOptions } from "../components/prometheus-rules.js";
import { parseSettings } from "../components/settings.js";
import { METRICS } from "../components/claude/telemetry.js";
import { allDashboards } from "../dashboards/index.js";
import { activePeople, total } from "../dashboards/queries.js";
import {
  buildModel,
  createMemorySink,
  emitBurst,
  emitLive,
  expectedTotals,
  otlpExporters,
  sessionRecords,
  type ExporterFactory,
  type ExpectedTotals,
  type SimulationModel,
} from "../simulator/index.js";
import { panelQueries, substitute, type PanelQuery } from "../dashboards/panel-queries.js";
import { LOOPBACK, freePort } from "../scripts/lib/loopback.js";
import { describeWithTools, queryPrometheus, startPrometheus, startVmagent, waitFor, type PromSeries, type RunningServer, type RunningVmagent } from "./support/tools.js";

/** Rules compressed in time: the same expressions, evaluated every 2 s instead of every minute. */
const RULES: RecordingOptions = { interval: "2s", queryOffset: "6s", seriesLookback: "1h", rollupInterval: "10s" };
const RULES_FILE = "rules/claude-code.rules.yml";
const LIVE_MS = 20_000;

/**
 * The collector's own /metrics (names and labels of collector 0.129: counters with `_total`, units
 * in braces dropped): no collector binary runs here, so a static page stands in for it.
 */
const COLLECTOR_METRICS = [
  ["otelcol_receiver_accepted_metric_points_total", 'receiver="otlp",transport="http"', 1200],
  ["otelcol_receiver_accepted_log_records_total", 'receiver="otlp",transport="http"', 800],
  ["otelcol_receiver_refused_metric_points_total", 'receiver="otlp",transport="http"', 0],
  ["otelcol_receiver_refused_log_records_total", 'receiver="otlp",transport="http"', 0],
  ["otelcol_receiver_failed_metric_points_total", 'receiver="otlp",transport="http"', 0],
  ["otelcol_receiver_failed_log_records_total", 'receiver="otlp",transport="http"', 0],
  ["otelcol_exporter_sent_metric_points_total", 'exporter="otlphttp/prometheus"', 1200],
  ["otelcol_exporter_sent_log_records_total", 'exporter="otlphttp/loki"', 800],
  ["otelcol_exporter_send_failed_metric_points_total", 'exporter="otlphttp/prometheus"', 0],
  ["otelcol_exporter_send_failed_log_records_total", 'exporter="otlphttp/loki"', 0],
  ["otelcol_exporter_enqueue_failed_metric_points_total", 'exporter="otlphttp/prometheus"', 0],
  ["otelcol_exporter_enqueue_failed_log_records_total", 'exporter="otlphttp/loki"', 0],
  ["otelcol_exporter_queue_size", 'data_type="metrics",exporter="otlphttp/prometheus"', 0],
  ["otelcol_exporter_queue_capacity", 'data_type="metrics",exporter="otlphttp/prometheus"', 5000],
] as const;

function collectorStandIn(port: number): Promise<Server> {
  const body = COLLECTOR_METRICS.map(([name, labels, v]) => `${name}{${labels},service_name="otelcol-contrib",service_version="0.129.1"} ${v}`).join("\n") + "\n";
  const server = createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(body));
  return new Promise((resolve) => server.listen(port, LOOPBACK, () => resolve(server)));
}

/** The project's prometheus.yml, with this test's targets, intervals and rules path. */
async function prometheusConfig(collectorPort: number): Promise<string> {
  const settings = parseSettings({ target: "docker" }, "e2e");
  const dead = `${LOOPBACK}:${await freePort()}`; // Loki and Grafana do not run here: `up` is 0.
  const config = parse(renderPrometheusConfig(settings, { collectorTelemetry: `${LOOPBACK}:${collectorPort}`, loki: dead, grafana: dead })) as {
    global: Record<string, unknown>;
    rule_files: string[];
  };
  config.global.scrape_interval = "1s";
  config.global.evaluation_interval = "1s";
  config.rule_files = [RULES_FILE];
  return stringify(config);
}

interface Env {
  prometheus: RunningServer;
  vmagent: RunningVmagent;
  collector: Server;
  dir: string;
  model: SimulationModel;
  sent: ExpectedTotals;
  /** A person with cost, edits, lines of code, commits and pull requests: the personal dashboard's pick. */
  developer: string;
  startedMs: number;
}
let env: Env | undefined;
const must = (): Env => {
  if (!env) throw new Error("environment not started");
  return env;
};

/** First person (with an email) whose sessions produced every metric the personal dashboard shows. */
function busiestDeveloper(model: SimulationModel): string | undefined {
  const needed = ["cost", "editDecision", "linesOfCode", "commit", "pullRequest"];
  for (const person of model.people) {
    if (!person.email) continue;
    const seen = new Set(model.sessions.filter((s) => s.person === person).flatMap((s) => sessionRecords(s).flatMap((r) => (r.kind === "metric" ? [r.metric] : []))));
    if (needed.every((m) => seen.has(m as never))) return person.email;
  }
  return undefined;
}

async function queryRange(url: string, promql: string, startMs: number, endMs: number): Promise<PromSeries[]> {
  const params = new URLSearchParams({ query: promql, start: String(startMs / 1000), end: String(endMs / 1000), step: "5" });
  const res = await fetch(`${url}/api/v1/query_range?${params}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; data: { result: PromSeries[] }; error?: string };
  if (body.status !== "success") throw new Error(`${promql}: ${body.error}`);
  return body.data.result;
}

const scalar = async (promql: string): Promise<number> => {
  const r = await queryPrometheus(must().prometheus.url, promql);
  return Number(r[0]?.value?.[1] ?? Number.NaN);
};
const byLabel = async (promql: string, label: string): Promise<Record<string, number>> =>
  Object.fromEntries((await queryPrometheus(must().prometheus.url, promql)).map((s) => [s.metric[label] ?? "", Number(s.value?.[1])]));

/** Relative tolerance for sums of floating-point increments. */
function expectClose(got: Record<string, number>, want: Readonly<Record<string, number>>, what: string): void {
  const keys = Object.keys(want).filter((k) => want[k] !== 0);
  expect(Object.keys(got).filter((k) => got[k] !== 0).sort(), what).toEqual(keys.sort());
  for (const k of keys) expect(got[k], `${what} ${k}`).toBeCloseTo(want[k] as number, 6);
}

describeWithTools(["prometheus", "vmagent"], "dashboards end to end (simulator → vmagent → Prometheus)", () => {
  beforeAll(async () => {
    const startedMs = Date.now();
    const dir = mkdtempSync(path.join(tmpdir(), "e2e-dashboards-"));
    const collector = await collectorStandIn(await freePort());
    const address = collector.address();
    const collectorPort = typeof address === "object" && address ? address.port : 0;
    const prometheus = await startPrometheus({ configYaml: await prometheusConfig(collectorPort), ruleFiles: { [RULES_FILE]: renderRulesFile(RULES) } });
    const vmagent = await startVmagent({ remoteWriteUrl: `${prometheus.url}/api/v1/write` });

    const model = buildModel({ seed: 2, users: 12, teams: ["platform", "payments", "data"], departments: ["engineering", "product"], startTimeMs: Date.now() + 1000, durationMs: LIVE_MS });
    const developer = busiestDeveloper(model);
    env = { prometheus, vmagent, collector, dir, model, sent: expectedTotals(model), developer: developer ?? "", startedMs };
    expect(developer, "the seeded model has a person with every personal metric").toBeDefined();

    // Metrics go to vmagent over OTLP/HTTP protobuf; events stay in memory (no Loki here).
    const otlp = otlpExporters({ endpoint: vmagent.otlpMetricsUrl.replace(/\/v1\/metrics$/, ""), protocol: "http/protobuf", temporality: "cumulative" });
    const logs = createMemorySink("cumulative");
    const factory: ExporterFactory = (s) => ({ metrics: otlp(s).metrics, logs: logs.exporters(s).logs });
    const burst = { ...model, sessions: model.sessions.filter((s) => s.index % 2 === 0) };
    const live = { ...model, sessions: model.sessions.filter((s) => s.index % 2 === 1) };
    const [b, l] = await Promise.all([emitBurst(burst, factory), emitLive(live, factory, { metricIntervalMs: 2000, logIntervalMs: 2000 })]);
    expect(b.exportErrors + l.exportErrors, b.lastError ?? l.lastError).toBe(0);
    await vmagent.flush();

    // Wait until the usage group has evaluated past the newest sample, and the roll-up after it.
    // Every export of a session carries all its counters, so its session counter dates the export.
    const url = prometheus.url;
    const latest = async (promql: string) => {
      const v = Number((await queryPrometheus(url, promql))[0]?.value?.[1]);
      return Number.isFinite(v) ? v : undefined;
    };
    const ruleErrors = async () => {
      const res = (await (await fetch(`${url}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
      const bad = res.data.groups.flatMap((g) => g.rules).filter((r) => r.health !== "ok" && r.health !== "unknown");
      if (bad.length) throw new Error(`rules failing: ${bad.map((r) => `${r.name}: ${r.lastError}`).join("; ")}`);
    };
    const newest = await waitFor(() => latest(`max(timestamp(${METRICS.session.prometheus}))`), 20_000);
    await waitFor(async () => ((await latest(`max(timestamp(${RECORDED_LAST_SAMPLE}))`)) ?? 0) >= newest + 4, 30_000);
    await ruleErrors();
    // Recorded series go stale as soon as a rule stops writing them: look back with a subquery.
    const newestOf = (series: string) => latest(`max(max_over_time(timestamp(${series})[2m:1s]))`);
    const lastPresence = await waitFor(() => newestOf(RECORDED_USERS.perMinute), 10_000);
    await waitFor(async () => ((await newestOf(RECORDED_USERS.perHour)) ?? 0) >= lastPresence - 1, 40_000);
  }, 180_000);

  afterAll(async () => {
    if (!env) return;
    await env.vmagent.stop();
    await env.prometheus.stop();
    await new Promise((r) => env?.collector.close(r));
    rmSync(env.dir, { recursive: true, force: true });
    console.info(`e2e dashboards: ${((Date.now() - env.startedMs) / 1000).toFixed(1)} s`);
  });

  it("sends what the scenario needs: several people, teams and models, both session shapes", () => {
    const { sent, model } = must();
    expect(Object.keys(sent.costByTeam).length).toBe(3);
    expect(Object.keys(sent.costByModel).length).toBeGreaterThanOrEqual(2);
    expect(sent.peopleWithEmail).toBeGreaterThanOrEqual(5);
    expect(sent.people).toBeGreaterThan(sent.peopleWithEmail); // some sign in with an API key
    expect(model.sessions.length).toBeGreaterThanOrEqual(10);
    expect(sent.commits * sent.pullRequests * sent.editDecisions.accept * sent.editDecisions.reject).toBeGreaterThan(0);
  });

  it("every Prometheus panel query of every dashboard returns data", async () => {
    const { prometheus, developer, startedMs } = must();
    const queries = panelQueries(allDashboards()).filter((q) => q.datasource?.type === "prometheus");
    const empty: string[] = [];
    const now = Date.now();
    await Promise.all(
      queries.map(async (q: PanelQuery) => {
        const expr = substitute(q.expr, q.dashboard === "claude-code-developer" ? { user: developer } : {});
        const result = q.instant ? await queryPrometheus(prometheus.url, expr) : await queryRange(prometheus.url, expr, startedMs - 60_000, now);
        if (result.length === 0) empty.push(`${q.dashboard} / ${q.panel} / ${q.refId}: ${expr}`);
      }),
    );
    expect(queries.length).toBeGreaterThan(60);
    expect(empty).toEqual([]);
  });

  it("cost per team, department, cost centre and model equals what was sent", async () => {
    const { sent } = must();
    const costByTeamPanel = allDashboards()
      .find((d) => d.uid === "claude-code-cost")
      ?.panels?.find((p) => "title" in p && p.title === "Estimated cost by team") as { targets?: { expr?: string }[] } | undefined;
    const panelExpr = costByTeamPanel?.targets?.[0]?.expr;
    expect(panelExpr).toBeDefined();
    expectClose(await byLabel(substitute(panelExpr as string), "team"), sent.costByTeam, "cost by team (panel query)");
    expectClose(await byLabel(substitute(total(C.cost, { by: ["department"] })), "department"), sent.costByDepartment, "cost by department");
    expectClose(await byLabel(substitute(total(C.cost, { by: ["cost_center"] })), "cost_center"), sent.costByCostCenter, "cost by cost centre");
    expectClose(await byLabel(substitute(total(C.cost, { by: ["model"] })), "model"), sent.costByModel, "cost by model");
    expectClose({ all: await scalar(substitute(total(C.cost))) }, { all: sent.costUsd }, "total cost");
  });

  it("tokens by type, per team, equal what was sent", async () => {
    const { sent } = must();
    expectClose(await byLabel(substitute(total(C.tokens, { by: ["type"] })), "type"), sent.tokens, "tokens by type");
    for (const [team, tokens] of Object.entries(sent.tokensByTeam)) {
      expectClose(await byLabel(substitute(total(C.tokens, { by: ["type"] }), { team }), "type"), tokens, `tokens of ${team}`);
    }
  });

  it("sessions, people, code output, active time and edit decisions equal what was sent", async () => {
    const { sent } = must();
    expectClose(await byLabel(substitute(total(C.sessions, { by: ["team"] })), "team"), sent.sessionsByTeam, "sessions by team");
    expect(await scalar(substitute(activePeople()))).toBe(sent.peopleWithEmail);
    expect(await scalar(substitute(activePeople({ range: "1d", hourly: true })))).toBe(sent.peopleWithEmail);
    expectClose(await byLabel(substitute(total(C.linesOfCode, { by: ["type"] })), "type"), sent.linesOfCode, "lines of code");
    expect(await scalar(substitute(total(C.commits)))).toBe(sent.commits);
    expect(await scalar(substitute(total(C.pullRequests)))).toBe(sent.pullRequests);
    expectClose(await byLabel(substitute(total(C.activeTime, { by: ["type"] })), "type"), sent.activeTimeSeconds, "active time");
    expectClose(await byLabel(substitute(total(C.editDecisions, { by: ["decision"] })), "decision"), sent.editDecisions, "edit decisions");
  });

  it("naive increase() on the raw series does not give what was sent (why the rules exist)", async () => {
    const { sent } = must();
    const naive = await scalar(`sum(increase(${METRICS.cost.prometheus}[1h]))`);
    const naiveSessions = await scalar(`sum(increase(${METRICS.session.prometheus}[1h]))`);
    console.info(
      `cost sent ${sent.costUsd.toFixed(4)} USD, recorded ${(await scalar(substitute(total(C.cost)))).toFixed(4)}, naive increase() ${naive.toFixed(4)}; ` +
        `sessions sent ${sent.sessions}, naive increase() ${naiveSessions}`,
    );
    expect(Math.abs(naive - sent.costUsd) / sent.costUsd).toBeGreaterThan(0.01);
    expect(naiveSessions).toBe(0);
  });
});
