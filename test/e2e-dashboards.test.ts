// End to end: simulated Claude Code sessions (OTel JS SDK, delta as the managed settings ask; OTLP/HTTP protobuf for the
// burst half, gRPC for the live half) for several people, teams and models → the real collector
// running the rendered local config → the real Prometheus with the project's config and rules file
// (short intervals), scraping the collector's own telemetry and the Loki double → every Prometheus
// panel query of every dashboard must return data (or be one of the few that may be empty, named
// below), the pipeline panels must show what is true, and the totals the dashboards show must equal
// what was sent.
//
// Half the sessions send everything in one export (their whole total is each series' first
// sample), half play in real time with periodic exports (growing series): both must count exactly.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ScrapeTargets } from "../components/prometheus.js";
import { testPrometheusConfig } from "./support/prometheus-files.js";
import { RECORDED_LAST_SAMPLE, RECORDED_USERS, type RecordingOptions } from "../components/prometheus-rules.js";
import { renderRulesFile } from "../components/rules-file.js";
import { USAGE_COUNTERS as C, USER_ACTIVITY } from "../components/usage-series.js";
import { COLLECTOR_METRICS } from "../components/collector-telemetry.js";
import { METRICS } from "../components/claude/telemetry.js";
import { parseSettings } from "../components/settings.js";
import { allDashboards } from "../dashboards/index.js";
import { PIPELINE_UID } from "../dashboards/pipeline.js";
import { ATTRIBUTION_UID } from "../dashboards/attribution.js";
import { activePeople, total } from "../dashboards/queries.js";
import {
  buildModel,
  emitBurst,
  emitLive,
  expectedTotals,
  otlpExporters,
  sessionRecords,
  type Attributes,
  type ExpectedTotals,
  type SimulationModel,
} from "../simulator/index.js";
import { panelQueries, substitute, type PanelQuery } from "../dashboards/panel-queries.js";
import { LOOPBACK, freePort } from "../lib/loopback.js";
import { renderedCollectorConfig, startCollector, type RunningCollector } from "./support/collector.js";
import { quantile, startLokiDouble, type LokiDouble } from "./support/loki-double.js";
import { expectClose } from "./support/expect-close.js";
import { describeWithTools, queryPrometheus, startPrometheus, waitFor, type PromSeries, type RunningServer } from "./support/tools.js";

/**
 * Rules compressed in time: the last sample every 2 s, the roll-up every 10 s. The roll-up's offset
 * outlasts the collector's delivery (two batch stages of 5 s), as the real 20 minutes do: a shorter
 * one reads a window before its newest samples have arrived, and never counts them.
 */
const RULES: RecordingOptions = { interval: "2s", rollupInterval: "10s", rollupOffset: "12s" };
const RULES_FILE = "rules/claude-code.rules.yml";
const LIVE_MS = 20_000;
const SETTINGS = parseSettings({ target: "docker" }, "e2e");

/** The project's prometheus.yml with this test's targets; Grafana does not run here. */
const prometheusConfig = (listen: string, targets: ScrapeTargets) => testPrometheusConfig(SETTINGS, listen, targets, { interval: "1s", rulesFile: RULES_FILE });

/**
 * Panel queries that may legitimately return nothing here, each with why: the collector creates a
 * failure counter only when a failure happens, and this run has none.
 */
const MAY_BE_EMPTY: Record<string, string> = {
  [COLLECTOR_METRICS.sendFailedMetricPoints]: "no send failure in this run",
  [COLLECTOR_METRICS.sendFailedLogRecords]: "no send failure in this run",
  [COLLECTOR_METRICS.enqueueFailedMetricPoints]: "no full queue in this run",
  [COLLECTOR_METRICS.enqueueFailedLogRecords]: "no full queue in this run",
};

interface Env {
  prometheus: RunningServer;
  collector: RunningCollector;
  loki: LokiDouble;
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
    const seen = new Set(
      model.sessions.filter((s) => s.person === person).flatMap((s) => sessionRecords(s).flatMap((r) => (r.kind === "metric" ? [r.metric] : []))),
    );
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

describeWithTools(["otelcol", "prometheus"], "dashboards end to end (simulator → real collector → real Prometheus; events to the Loki double)", () => {
  beforeAll(async () => {
    const startedMs = Date.now();
    const dir = mkdtempSync(path.join(tmpdir(), "e2e-dashboards-"));
    const loki = await startLokiDouble();
    const telemetryPort = await freePort();
    const targets = {
      collectorTelemetry: `${LOOPBACK}:${telemetryPort}`,
      loki: loki.url.replace(/^http:\/\//, ""),
      grafana: `${LOOPBACK}:${await freePort()}`,
      alertmanager: `${LOOPBACK}:${await freePort()}`,
    };
    const prometheus = await startPrometheus({
      configYaml: (listen) => prometheusConfig(listen, targets),
      ruleFiles: { [RULES_FILE]: renderRulesFile({ recording: RULES }) },
    });
    const collector = await startCollector({
      config: renderedCollectorConfig(SETTINGS, { prometheus: prometheus.url, loki: loki.url }),
      ports: { telemetry: telemetryPort },
    });

    const model = buildModel({
      seed: 2,
      users: 12,
      teams: ["platform", "payments", "data"],
      departments: ["engineering", "product"],
      startTimeMs: Date.now() + 1000,
      durationMs: LIVE_MS,
    });
    const developer = busiestDeveloper(model);
    const sent = expectedTotals(model);
    env = { prometheus, collector, loki, dir, model, sent, developer: developer ?? "", startedMs };
    expect(developer, "the seeded model has a person with every personal metric").toBeDefined();

    const burst = { ...model, sessions: model.sessions.filter((s) => s.index % 2 === 0) };
    const live = { ...model, sessions: model.sessions.filter((s) => s.index % 2 === 1) };
    const [b, l] = await Promise.all([
      emitBurst(burst, otlpExporters({ endpoint: collector.httpEndpoint, protocol: "http/protobuf", temporality: "delta" })),
      emitLive(live, otlpExporters({ endpoint: collector.grpcEndpoint, protocol: "grpc", temporality: "delta" }), {
        metricIntervalMs: 2000,
        logIntervalMs: 2000,
      }),
    ]);
    expect(b.exportErrors + l.exportErrors, b.lastError ?? l.lastError).toBe(0);

    // Everything has arrived when the increments add up to what was sent (the collector batches
    // for up to its batch timeout).
    const url = prometheus.url;
    const latest = async (promql: string) => {
      const v = Number((await queryPrometheus(url, promql))[0]?.value?.[1]);
      return Number.isFinite(v) ? v : undefined;
    };
    await waitFor(async () => {
      const sessions = await latest(`sum(sum_over_time(${C.sessions.series}[10m]))`);
      const cost = await latest(`sum(sum_over_time(${C.cost.series}[10m]))`);
      return sessions === model.sessions.length && cost !== undefined && Math.abs(cost - sent.costUsd) < 1e-9;
    }, 30_000);

    // Wait until the last-sample rule has evaluated past the newest sample, and the roll-up after it.
    const ruleErrors = async () => {
      const res = (await (await fetch(`${url}/api/v1/rules`)).json()) as {
        data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
      };
      const bad = res.data.groups.flatMap((g) => g.rules).filter((r) => r.health !== "ok" && r.health !== "unknown");
      if (bad.length) throw new Error(`rules failing: ${bad.map((r) => `${r.name}: ${r.lastError}`).join("; ")}`);
    };
    const newest = await waitFor(() => latest(`max(max_over_time(timestamp(${USER_ACTIVITY.series})[10m:1s]))`), 20_000);
    await waitFor(async () => ((await latest(`max(timestamp(${RECORDED_LAST_SAMPLE}))`)) ?? 0) >= newest + 4, 30_000);
    await ruleErrors();
    // Recorded series go stale as soon as a rule stops writing them: look back with a subquery.
    const newestOf = (series: string) => latest(`max(max_over_time(timestamp(${series})[2m:1s]))`);
    // The roll-up stamps its sample at the end of the window it read (evaluation time minus the
    // offset), so the one that counted the newest sample is stamped at or after it, but not
    // necessarily 3 s after: a later one reads a window without it and writes nothing. Generous
    // timeout: on a loaded machine (the whole suite on 2 cores) evaluations run late.
    await waitFor(async () => ((await newestOf(RECORDED_USERS.perHour)) ?? 0) >= newest, 90_000);
    // The collector's own counters of what it sent, scraped after the last delivery.
    await waitFor(async () => ((await latest(`sum(${COLLECTOR_METRICS.sentLogRecords})`)) ?? 0) >= b.events + l.events, 20_000);
  }, 180_000);

  afterAll(async () => {
    if (!env) return;
    await env.collector.stop();
    await env.prometheus.stop();
    await env.loki.stop();
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

  it("every Prometheus panel query of every dashboard returns data, but for the named few that may be empty", async () => {
    const { prometheus, developer, startedMs } = must();
    // The attribution dashboard needs a larger organisation to fill every panel (refusals are rare):
    // test/e2e-people-attribution.test.ts checks every one of its queries.
    const queries = panelQueries(allDashboards()).filter((q) => q.datasource?.type === "prometheus" && q.dashboard !== ATTRIBUTION_UID);
    const empty: string[] = [];
    const emptyAllowed: string[] = [];
    const now = Date.now();
    await Promise.all(
      queries.map(async (q: PanelQuery) => {
        const expr = substitute(q.expr, q.dashboard === "claude-code-developer" ? { user: developer } : {});
        const result = q.instant ? await queryPrometheus(prometheus.url, expr) : await queryRange(prometheus.url, expr, startedMs - 60_000, now);
        if (result.length > 0) return;
        const reason = Object.keys(MAY_BE_EMPTY).find((name) => expr.includes(name));
        (reason ? emptyAllowed : empty).push(`${q.dashboard} / ${q.panel} / ${q.refId}: ${expr}`);
      }),
    );
    expect(queries.length).toBeGreaterThan(60);
    expect(empty).toEqual([]);
    // Only the failure counters' queries may be empty, and here they are: nothing failed.
    expect(emptyAllowed).toHaveLength(Object.keys(MAY_BE_EMPTY).length);
  });

  it("the pipeline panels show what is true: collector, Prometheus and the Loki double up, Grafana (not run) down; data accepted and sent, none refused", async () => {
    const { prometheus } = must();
    const pipeline = panelQueries(allDashboards()).filter((q) => q.dashboard === PIPELINE_UID);
    const valuesOf = async (panel: string, refId = "A") => {
      const q = pipeline.find((p) => p.panel === panel && p.refId === refId);
      expect(q, `${panel} / ${refId}`).toBeDefined();
      const expr = substitute((q as PanelQuery).expr);
      // Rate panels over the last 5 minutes: the whole run.
      const series = await queryPrometheus(prometheus.url, expr.replaceAll("$__rate_interval", "5m"));
      return series.map((s) => Number(s.value?.[1]));
    };
    expect(await valuesOf("Collector")).toEqual([1]);
    expect(await valuesOf("Prometheus")).toEqual([1]);
    expect(await valuesOf("Loki")).toEqual([1]);
    expect(await valuesOf("Grafana"), "no Grafana runs here: its target is down").toEqual([0]);
    // A rate needs two scrapes that saw the counter grow: the live half of the run (gRPC) grows
    // across scrapes, the burst half may be over before the first one.
    const positive = (xs: number[]) => xs.some((x) => x > 0) && xs.every((x) => x >= 0);
    expect(positive(await valuesOf("Accepted", "A")), "metric points accepted").toBe(true);
    expect(positive(await valuesOf("Accepted", "B")), "log records accepted").toBe(true);
    expect(positive(await valuesOf("Sent", "A")), "metric points sent").toBe(true);
    expect(positive(await valuesOf("Sent", "B")), "log records sent").toBe(true);
    for (const refId of ["A", "B", "C", "D"]) expect(await valuesOf("Refused and failed", refId), `refused/failed ${refId}`).toEqual([0]);
  });

  it("every LogQL panel query, evaluated by the Loki double on the events the real collector delivered, gives what the events hold", async () => {
    const { loki, model, developer } = must();
    const events = model.sessions.flatMap((s) => sessionRecords(s)).flatMap((r) => (r.kind === "event" ? [r.attributes] : []));
    expect(loki.entries()).toHaveLength(events.length);
    const of = (name: string) => events.filter((a) => a["event.name"] === name);
    // An event without the label lands in the series without it (key "").
    const labelOf = (a: Attributes, key: string) => (a[key] === undefined ? "" : String(a[key]));
    const countBy = (rows: Attributes[], key: string) => {
      const out: Record<string, number> = {};
      for (const a of rows) out[labelOf(a, key)] = (out[labelOf(a, key)] ?? 0) + 1;
      return out;
    };
    const queries = panelQueries(allDashboards()).filter((q) => q.datasource?.type === "loki");
    const exprOf = (panel: string, refId = "A") => {
      const q = queries.find((x) => x.panel === panel && x.refId === refId);
      expect(q, `${panel} / ${refId}`).toBeDefined();
      const values: Record<string, string> = q?.dashboard === "claude-code-developer" ? { user: developer } : {};
      // One evaluation at the end of the run over a range that holds every event.
      return substitute((q as PanelQuery).expr.replaceAll("[$__interval]", "[1h]").replaceAll("[$__range]", "[1h]"), values);
    };
    const endNs = String((Date.now() + 60_000) * 1e6);
    const lokiQuery = async (expr: string) => {
      const params = new URLSearchParams({ query: expr, start: String((Date.now() - 3_600_000) * 1e6), end: endNs, step: "60", limit: "5000" });
      const body = (await (await fetch(`${loki.url}/loki/api/v1/query_range?${params}`)).json()) as {
        data: { resultType: string; result: { metric?: Record<string, string>; stream?: Record<string, string>; values: [unknown, string][] }[] };
      };
      return body.data;
    };
    const lastBy = async (expr: string, label: string) => {
      const data = await lokiQuery(expr);
      expect(data.resultType, expr).toBe("matrix");
      return Object.fromEntries(data.result.map((r) => [r.metric?.[label] ?? "", Number(r.values.at(-1)?.[1])]));
    };
    const lines = async (expr: string) => (await lokiQuery(expr)).result.reduce((n, r) => n + r.values.length, 0);

    const tools = of("tool_result");
    const apiRequests = of("api_request");
    const apiErrors = of("api_error");
    expect(tools.length * apiRequests.length * apiErrors.length, "the run has tool results, requests and errors").toBeGreaterThan(0);

    expect(await lastBy(exprOf("Tool calls by tool"), "tool_name")).toEqual(countBy(tools, "tool_name"));
    const successes = countBy(
      tools.filter((a) => a.success === "true"),
      "tool_name",
    );
    const calls = countBy(tools, "tool_name");
    const rate = await lastBy(exprOf("Tool success rate by tool"), "tool_name");
    expect(Object.keys(rate).sort()).toEqual(Object.keys(successes).sort());
    for (const [tool, n] of Object.entries(successes)) expect(rate[tool], tool).toBeCloseTo(n / (calls[tool] as number), 9);
    expect(await lastBy(exprOf("API errors by status code"), "status_code")).toEqual(countBy(apiErrors, "status_code"));

    const quantilesBy = (rows: Attributes[], key: string, phi: number) => {
      const groups: Record<string, number[]> = {};
      for (const a of rows) (groups[labelOf(a, key)] ??= []).push(Number(a.duration_ms));
      return Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, quantile(phi, v)]));
    };
    for (const [refId, phi] of [
      ["A", 0.5],
      ["B", 0.95],
    ] as const) {
      const tool = await lastBy(exprOf("Tool duration by tool", refId), "tool_name");
      for (const [k, v] of Object.entries(quantilesBy(tools, "tool_name", phi))) expect(tool[k], `tool ${k} p${phi * 100}`).toBeCloseTo(v, 6);
      const latency = await lastBy(exprOf("API request latency by model", refId), "model");
      for (const [k, v] of Object.entries(quantilesBy(apiRequests, "model", phi))) expect(latency[k], `model ${k} p${phi * 100}`).toBeCloseTo(v, 6);
    }

    expect(await lines(exprOf("Errors"))).toBe(apiErrors.length + tools.filter((a) => a.success === "false").length);
    expect(await lines(exprOf("Recent API errors"))).toBe(apiErrors.filter((a) => a["user.email"] === developer).length);
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
    // People by their email; the API-key sessions (no email, no account) by their installation.
    expect(await scalar(substitute(activePeople({ who: "people" })))).toBe(sent.peopleWithEmail);
    expect(await scalar(substitute(activePeople({ who: "installations" })))).toBe(sent.anonymousInstallations);
    expect(sent.anonymousInstallations).toBeGreaterThan(0);
    expect(await scalar(substitute(activePeople()))).toBe(sent.peopleWithEmail + sent.anonymousInstallations);
    expect(await scalar(substitute(activePeople({ range: "1d", hourly: true })))).toBe(sent.peopleWithEmail + sent.anonymousInstallations);
    expectClose(await byLabel(substitute(total(C.linesOfCode, { by: ["type"] })), "type"), sent.linesOfCode, "lines of code");
    expect(await scalar(substitute(total(C.commits)))).toBe(sent.commits);
    expect(await scalar(substitute(total(C.pullRequests)))).toBe(sent.pullRequests);
    expectClose(await byLabel(substitute(total(C.activeTime, { by: ["type"] })), "type"), sent.activeTimeSeconds, "active time");
    expectClose(await byLabel(substitute(total(C.editDecisions, { by: ["decision"] })), "decision"), sent.editDecisions, "edit decisions");
  });

  it("stores nothing per session: no session id and no raw client counter reaches Prometheus", async () => {
    const { prometheus } = must();
    const stored = (selector: string) => queryPrometheus(prometheus.url, `count(last_over_time(${selector}[1h]))`);
    expect(await stored(`{session_id!=""}`)).toEqual([]);
    const raw = Object.values(METRICS).map((m) => m.prometheus);
    expect(raw.length).toBeGreaterThan(0);
    expect(await stored(`{__name__=~"${raw.join("|")}"}`)).toEqual([]);
    const series = Number((await queryPrometheus(prometheus.url, `count(last_over_time({__name__=~"claude_code_.+"}[10m]))`))[0]?.value?.[1]);
    expect(series).toBeGreaterThan(0);
  });
});
