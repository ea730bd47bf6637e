// End to end, who and what for: two simulated organisations through the real collector (the
// rendered local config) into the real Prometheus (project config and rules, short intervals).
// One signs in with API keys only (no email, no account: only `user.id`), one with OAuth only.
// Every people panel must return data for both, counting installations for the first (and saying
// so) and people for the second; the attribution dashboard's totals by query source, subagent,
// skill, plugin, MCP server and tool, and its event counts, must equal what was sent.
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseSettings } from "../components/settings.js";
import { RECORDED_USERS, type RecordingOptions } from "../components/prometheus-rules.js";
import { renderRulesFile } from "../components/rules-file.js";
import { INSTALLATION_PREFIX, USAGE_COUNTERS as C, USER_ACTIVITY, USER_ATTRIBUTE } from "../components/usage-series.js";
import { allDashboards } from "../dashboards/index.js";
import { ATTRIBUTION_UID, TOP_N } from "../dashboards/attribution.js";
import { allPanels, panelQueries, substitute, type PanelQuery } from "../dashboards/panel-queries.js";
import { readsPeople } from "../dashboards/privacy.js";
import { buildModel, emitBurst, expectedTotals, otlpExporters, sessionRecords, type Attributes, type SimulationModel } from "../simulator/index.js";
import { LOOPBACK, freePort } from "../lib/loopback.js";
import { renderedCollectorConfig, startCollector, type RunningCollector } from "./support/collector.js";
import { testPrometheusConfig } from "./support/prometheus-files.js";
import { expectClose } from "./support/expect-close.js";
import { describeWithTools, queryPrometheus, startPrometheus, waitFor, type PromSeries, type RunningServer } from "./support/tools.js";

/**
 * Rules compressed in time: the last sample every 2 s, the roll-up every 10 s. The roll-up's offset
 * outlasts the collector's delivery (two batch stages of 5 s), as the real 20 minutes do: a shorter
 * one reads a window before its newest samples have arrived, and never counts them.
 */
const RULES: RecordingOptions = { interval: "2s", rollupInterval: "10s", rollupOffset: "12s" };
const RULES_FILE = "rules/claude-code.rules.yml";
const SETTINGS = parseSettings({ target: "docker" }, "e2e-people");
const WINDOW_MS = 10 * 60_000;

interface Org {
  readonly teams: readonly string[];
  readonly model: SimulationModel;
}

interface Env {
  prometheus: RunningServer;
  collector: RunningCollector;
  apiKey: Org;
  oauth: Org;
}
let env: Env | undefined;
const must = (): Env => {
  if (!env) throw new Error("environment not started");
  return env;
};

const queries = () => panelQueries(allDashboards()).filter((q) => q.datasource?.type === "prometheus");
/** People panels: they read who was active, or group by the user (the personal dashboard picks one user instead). */
const peopleQueries = () => queries().filter((q) => q.dashboard !== "claude-code-developer" && readsPeople(q.expr));

/** A panel query evaluated for one organisation's teams, instant at now over a range holding the run. */
async function evaluate(q: PanelQuery, org: Org): Promise<PromSeries[]> {
  const expr = substitute(q.expr.replaceAll("$__range", "1h").replaceAll("$__interval", "1h"), { team: org.teams.join("|") });
  return queryPrometheus(must().prometheus.url, expr);
}

/**
 * People panels none of whose queries returns data. A panel may split people and installations
 * into queries of their own (a table column, a graph line): one of them is empty by design when an
 * organisation has only one kind.
 */
async function emptyPeoplePanels(org: Org): Promise<string[]> {
  const panels = new Map<string, number>();
  for (const q of peopleQueries()) {
    const key = `${q.dashboard} / ${q.panel}`;
    panels.set(key, (panels.get(key) ?? 0) + (await evaluate(q, org)).length);
  }
  return [...panels].filter(([, n]) => n === 0).map(([key]) => key);
}

const valuesBy = (series: PromSeries[], label: string): Record<string, number> =>
  Object.fromEntries(series.map((s) => [s.metric[label] ?? "", Number(s.value?.[1])]));

const panel = (dashboard: string, title: string, refId = "A"): PanelQuery => {
  const q = queries().find((x) => x.dashboard === dashboard && x.panel === title && x.refId === refId);
  if (!q) throw new Error(`no panel ${dashboard} / ${title} / ${refId}`);
  return q;
};

function legendOf(dashboard: string, title: string, refId: string): string | undefined {
  const d = allDashboards().find((x) => x.uid === dashboard);
  const p = d ? allPanels(d).find((x) => x.title === title) : undefined;
  return (p?.targets?.find((t) => t.refId === refId) as { legendFormat?: string } | undefined)?.legendFormat;
}

describeWithTools(["otelcol", "prometheus"], "people and attribution end to end (API-key and OAuth organisations → real collector → real Prometheus)", () => {
  beforeAll(async () => {
    const targets = {
      collectorTelemetry: `${LOOPBACK}:${await freePort()}`,
      loki: `${LOOPBACK}:${await freePort()}`,
      grafana: `${LOOPBACK}:${await freePort()}`,
      alertmanager: `${LOOPBACK}:${await freePort()}`,
    };
    const prometheus = await startPrometheus({
      configYaml: (listen) => testPrometheusConfig(SETTINGS, listen, targets, { interval: "1s", rulesFile: RULES_FILE }),
      ruleFiles: { [RULES_FILE]: renderRulesFile({ recording: RULES }) },
    });
    // Events go nowhere here (no Loki): the collector's event counts are what this test reads.
    const collector = await startCollector({
      config: renderedCollectorConfig(SETTINGS, { prometheus: prometheus.url, loki: `http://${targets.loki}` }),
      ports: { telemetry: Number(targets.collectorTelemetry.split(":")[1]) },
    });
    const startTimeMs = Date.now() - WINDOW_MS;
    const org = (teams: string[], auth: "api_key" | "oauth", seed: number, users: number): Org => ({
      teams,
      model: buildModel({ seed, users, teams, auth, startTimeMs, durationMs: WINDOW_MS - 5_000 }),
    });
    const apiKey = org(["keys-a", "keys-b"], "api_key", 11, 8);
    const oauth = org(["sso-a", "sso-b", "sso-c"], "oauth", 13, 40);
    env = { prometheus, collector, apiKey, oauth };

    for (const o of [apiKey, oauth]) {
      const r = await emitBurst(o.model, otlpExporters({ endpoint: collector.httpEndpoint, protocol: "http/protobuf", temporality: "delta" }));
      expect(r.exportErrors, r.lastError).toBe(0);
    }
    const sessions = apiKey.model.sessions.length + oauth.model.sessions.length;
    const latest = async (promql: string) => Number((await queryPrometheus(prometheus.url, promql))[0]?.value?.[1] ?? Number.NaN);
    await waitFor(async () => (await latest(`sum(sum_over_time(${C.sessions.series}[1h]))`)) === sessions, 30_000);
    // The hourly people roll-up (compressed to seconds here) must have run over the samples: the
    // evaluation that read the newest one stamps its sample at or after it (test/e2e-dashboards.test.ts).
    const newest = await waitFor(async () => {
      const v = await latest(`max(max_over_time(timestamp(${USER_ACTIVITY.series})[1h:1s]))`);
      return Number.isFinite(v) ? v : undefined;
    }, 20_000);
    await waitFor(async () => (await latest(`max(max_over_time(timestamp(${RECORDED_USERS.perHour})[2m:1s]))`)) >= newest, 90_000);
  }, 180_000);

  afterAll(async () => {
    await env?.collector.stop();
    await env?.prometheus.stop();
  });

  it("the API-key organisation carries no person identity at all, the OAuth one an email everywhere", () => {
    const { apiKey, oauth } = must();
    const common = (m: SimulationModel) => m.sessions.flatMap((s) => sessionRecords(s).map((r) => r.attributes));
    expect(common(apiKey.model).filter((a) => a["user.email"] !== undefined || a["user.account_uuid"] !== undefined)).toEqual([]);
    expect(common(oauth.model).every((a) => typeof a["user.email"] === "string")).toBe(true);
    expect(peopleQueries().length).toBeGreaterThanOrEqual(11);
  });

  it("with API keys only, every people panel returns data, and what it counts are installations", async () => {
    const { apiKey } = must();
    const sent = expectedTotals(apiKey.model);
    expect(sent.installations).toBeGreaterThanOrEqual(sent.people); // some people have two machines
    expect(await emptyPeoplePanels(apiKey)).toEqual([]);

    // The stat says which of its two values counts installations.
    expect(legendOf("claude-code-adoption", "Active people", "A")).toBe("people");
    expect(legendOf("claude-code-adoption", "Active people", "B")).toMatch(/^installations/);
    expect(valuesBy(await evaluate(panel("claude-code-adoption", "Active people"), apiKey), "")).toEqual({ "": 0 });
    expect(valuesBy(await evaluate(panel("claude-code-adoption", "Active people", "B"), apiKey), "")).toEqual({ "": sent.installations });
    const spenders = await evaluate(panel("claude-code-cost", "Top spenders"), apiKey);
    expect(spenders.length).toBeGreaterThan(0);
    for (const s of spenders) expect(s.metric[USER_ATTRIBUTE]).toMatch(new RegExp(`^${INSTALLATION_PREFIX}[0-9a-f]{64}$`));
  });

  it("with OAuth sign-ins, the same panels count people, and no installations", async () => {
    const { oauth } = must();
    const sent = expectedTotals(oauth.model);
    expect(await emptyPeoplePanels(oauth)).toEqual([]);
    for (const dashboard of ["claude-code-overview", "claude-code-cost", "claude-code-adoption"]) {
      expect(valuesBy(await evaluate(panel(dashboard, "Active people"), oauth), ""), dashboard).toEqual({ "": sent.people });
      expect(valuesBy(await evaluate(panel(dashboard, "Active people", "B"), oauth), ""), dashboard).toEqual({ "": 0 });
    }
    const byTeam = await evaluate(panel("claude-code-adoption", "Adoption by team"), oauth);
    expect(valuesBy(byTeam, "team")).toEqual(sent.peopleByTeam);
    for (const s of await evaluate(panel("claude-code-cost", "Top spenders"), oauth)) expect(s.metric[USER_ATTRIBUTE]).toMatch(/@/);
  });

  it("every attribution panel query returns data", async () => {
    const { oauth } = must();
    const attribution = queries().filter((q) => q.dashboard === ATTRIBUTION_UID);
    expect(attribution.length).toBeGreaterThanOrEqual(25);
    const empty: string[] = [];
    for (const q of attribution) if ((await evaluate(q, oauth)).length === 0) empty.push(`${q.panel} / ${q.refId}: ${q.expr}`);
    expect(empty).toEqual([]);
  });

  it("cost and tokens by query source, subagent, skill, plugin, MCP server and tool equal what was sent", async () => {
    const { oauth } = must();
    const sent = expectedTotals(oauth.model);
    const by = async (title: string, label: string) => valuesBy(await evaluate(panel(ATTRIBUTION_UID, title), oauth), label);
    expectClose(await by("Estimated cost by query source", "query_source"), sent.costBy.querySource, "cost by query source");
    expectClose(await by("Tokens by query source", "query_source"), sent.tokensBy.querySource, "tokens by query source");
    const kinds = [
      ["subagent", "agent_name", "agent"],
      ["skill", "skill_name", "skill"],
      ["plugin", "plugin_name", "plugin"],
      ["MCP server", "mcp_server_name", "mcpServer"],
      ["MCP tool", "mcp_tool_name", "mcpTool"],
    ] as const;
    for (const [title, label, key] of kinds) {
      const named = (m: Readonly<Record<string, number>>) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== ""));
      expect(Object.keys(named(sent.costBy[key])).length, `the run spends on more than one ${title}`).toBeGreaterThan(1);
      expect(Object.keys(named(sent.costBy[key])).length).toBeLessThanOrEqual(TOP_N);
      expectClose(await by(`Estimated cost by ${title}`, label), named(sent.costBy[key]), `cost by ${title}`);
      expectClose(await by(`Tokens by ${title}`, label), named(sent.tokensBy[key]), `tokens by ${title}`);
    }
  });

  it("groups all but the top N into (rest): with N = 1 the rest is everything but the largest", async () => {
    const { oauth } = must();
    const sent = expectedTotals(oauth.model);
    const q = panel(ATTRIBUTION_UID, "Estimated cost by subagent");
    const expr = q.expr.replaceAll(`topk(${TOP_N},`, "topk(1,");
    expect(expr).not.toBe(q.expr);
    const got = valuesBy(await evaluate({ ...q, expr }, oauth), "agent_name");
    const named = Object.entries(sent.costBy.agent).filter(([k]) => k !== "");
    const [topName, topCost] = named.sort((a, b) => b[1] - a[1])[0] as [string, number];
    const rest = named.reduce((n, [, v]) => n + v, 0) - topCost;
    expectClose(got, { [topName]: topCost, "(rest)": rest }, "top 1 and the rest");
  });

  it("errors, refusals, compactions, subagent runs, skills, plugins and MCP connections equal the events sent", async () => {
    const { oauth } = must();
    const events = oauth.model.sessions.flatMap((s) => sessionRecords(s)).flatMap((r) => (r.kind === "event" ? [r.attributes] : []));
    const of = (name: string) => events.filter((a) => a["event.name"] === name);
    const countBy = (rows: Attributes[], key: string) => {
      const out: Record<string, number> = {};
      for (const a of rows) {
        const k = a[key] === undefined ? "" : String(a[key]);
        out[k] = (out[k] ?? 0) + 1;
      }
      return out;
    };
    const sum = (series: PromSeries[]) => series.reduce((n, s) => n + Number(s.value?.[1]), 0);
    const final = of("api_refusal").filter((a) => String(a.server_fallback_hop) !== "true");
    expect(
      final.length * of("compaction").length * of("subagent_completed").length * of("mcp_server_connection").length,
      "the run has every kind",
    ).toBeGreaterThan(0);

    expect(sum(await evaluate(panel(ATTRIBUTION_UID, "API errors and refusals by subagent, skill, plugin and MCP server", "A"), oauth))).toBe(
      of("api_error").length,
    );
    expect(sum(await evaluate(panel(ATTRIBUTION_UID, "API errors and refusals by subagent, skill, plugin and MCP server", "B"), oauth))).toBe(final.length);
    expect(valuesBy(await evaluate(panel(ATTRIBUTION_UID, "Refusals by model"), oauth), "model")).toEqual(countBy(final, "model"));
    expect(sum(await evaluate(panel(ATTRIBUTION_UID, "Requests that exhausted their retries"), oauth))).toBe(of("api_retries_exhausted").length);
    expect(valuesBy(await evaluate(panel(ATTRIBUTION_UID, "Subagent runs by type"), oauth), "agent_type")).toEqual(
      countBy(of("subagent_completed"), "agent_type"),
    );
    expect(valuesBy(await evaluate(panel(ATTRIBUTION_UID, "Skill activations by skill"), oauth), "skill_name")).toEqual(
      countBy(of("skill_activated"), "skill.name"),
    );
    expect(valuesBy(await evaluate(panel(ATTRIBUTION_UID, "Plugins loaded (sessions) by plugin"), oauth), "plugin_name")).toEqual(
      countBy(of("plugin_loaded"), "plugin.name"),
    );
    const connections = await evaluate(panel(ATTRIBUTION_UID, "MCP server connections"), oauth);
    const byStatus: Record<string, number> = {};
    for (const s of connections) byStatus[s.metric.status ?? ""] = (byStatus[s.metric.status ?? ""] ?? 0) + Number(s.value?.[1]);
    expect(byStatus).toEqual(countBy(of("mcp_server_connection"), "status"));

    const sessionsByTeam = expectedTotals(oauth.model).sessionsByTeam;
    const compactionsByTeam = countBy(of("compaction"), "team");
    const perSession = valuesBy(await evaluate(panel(ATTRIBUTION_UID, "Compactions per session by team"), oauth), "team");
    for (const [team, n] of Object.entries(compactionsByTeam)) expect(perSession[team], team).toBeCloseTo(n / (sessionsByTeam[team] as number), 9);
  });
});
