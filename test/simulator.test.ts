// The telemetry simulator: what it sends through the real OpenTelemetry SDK must match the catalog
// of what Claude Code emits, add up to its expected totals, be reproducible from a seed, and arrive
// over real OTLP (HTTP/protobuf and gRPC) with the bearer token.
import { once } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { spawn } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import { AggregationTemporality, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import type { ReadableLogRecord } from "@opentelemetry/sdk-logs";
import { describe, expect, it } from "vitest";
import {
  ATTRIBUTION_NAMES,
  EVENT_COMMON_ATTRIBUTES,
  EVENTS,
  MCP_TOOL_NAME,
  METER_NAME,
  METRICS,
  ORG_ATTRIBUTES,
  RESOURCE_ATTRIBUTES,
  SERVICE_NAMES,
  STANDARD_ATTRIBUTES,
} from "../components/claude/telemetry.js";
import { parseSimulateArgs, USAGE } from "../simulator/cli-args.js";
import { UsageError } from "../lib/cli.js";
import {
  AUTO_COMPACT_TOKENS,
  buildModel,
  createMemorySink,
  CUSTOM,
  ENDUSER_ATTRIBUTE,
  emitBurst,
  emitLive,
  EVENT_LOGGER_NAME,
  expectedTotals,
  identitiesByChain,
  MARKER_ATTRIBUTE,
  otlpExporters,
  pluginIdHash,
  PLUGINS,
  sessionRecords,
  SUBAGENTS,
  THIRD_PARTY,
  TOKEN_TYPES,
  USER_MCP_SERVERS,
  type MetricRecord,
  type SignalRecord,
  type SimulationModel,
  type SimulationOptions,
  type Temporality,
} from "../simulator/index.js";

const START = Date.UTC(2026, 0, 5, 9, 0, 0);
const BASE: SimulationOptions = { seed: 42, users: 40, teams: ["platform", "payments", "data"], departments: ["eng", "ops"], startTimeMs: START };
const catalogMetrics = Object.values(METRICS);
const catalogEvents = Object.values(EVENTS);

interface Point {
  name: string;
  unit: string;
  scope: string;
  temporality: AggregationTemporality;
  resource: Record<string, unknown>;
  attributes: Record<string, unknown>;
  value: number;
}

function points(all: ResourceMetrics[]): Point[] {
  return all.flatMap((rm) =>
    rm.scopeMetrics.flatMap((sm) =>
      sm.metrics.flatMap((m) =>
        m.dataPoints.map((dp) => ({
          name: m.descriptor.name,
          unit: m.descriptor.unit,
          scope: sm.scope.name,
          temporality: m.aggregationTemporality,
          resource: rm.resource.attributes,
          attributes: dp.attributes,
          value: dp.value as number,
        })),
      ),
    ),
  );
}

async function capture(options: SimulationOptions, temporality: Temporality = "cumulative") {
  const model = buildModel(options);
  const sink = createMemorySink(temporality);
  const stats = await emitBurst(model, sink.exporters);
  return { model, stats, points: points(sink.resourceMetrics()), logs: sink.logRecords() };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const relClose = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, expected));

/** A stable, timestamp-free rendering of everything sent (SDK collection times are wall clock). */
function fingerprint(run: { points: Point[]; logs: ReadableLogRecord[] }): string[] {
  const metrics = run.points.map((p) => JSON.stringify([p.name, p.unit, p.temporality, p.resource, p.attributes, p.value]));
  const logs = run.logs.map((l) => JSON.stringify([l.body, l.hrTime, l.resource.attributes, l.instrumentationScope.name, l.attributes]));
  return [...metrics, ...logs].sort();
}

describe("simulated telemetry matches the catalog", async () => {
  const run = await capture(BASE);
  const eventNames = catalogEvents.map((e) => e.name);

  it("sends only catalog metrics, with catalog units, meter and attribute keys and values", () => {
    expect(run.points.length).toBeGreaterThan(100);
    const problems: string[] = [];
    const check = (ok: boolean, what: string) => ok || problems.push(what);
    for (const p of run.points) {
      const def = catalogMetrics.find((m) => m.name === p.name);
      if (!def) {
        problems.push(`unknown metric ${p.name}`);
        continue;
      }
      check(p.unit === def.unit, `${p.name}: unit ${p.unit}`);
      check(p.scope === METER_NAME, `${p.name}: meter ${p.scope}`);
      const allowed = new Set<string>([...STANDARD_ATTRIBUTES, ...ORG_ATTRIBUTES, ...Object.keys(def.attributes)]);
      for (const [key, value] of Object.entries(p.attributes)) {
        check(allowed.has(key), `${p.name}: attribute ${key}`);
        const closed = (def.attributes as Record<string, readonly string[] | "open">)[key];
        if (Array.isArray(closed)) check(closed.includes(value as string), `${p.name}: ${key}=${String(value)}`);
      }
      check(p.value >= 0, `${p.name}: negative ${p.value}`);
      // Org keys are on the resource and copied onto every point.
      for (const k of ORG_ATTRIBUTES) check(p.attributes[k] === p.resource[k], `${p.name}: ${k} not copied`);
      check(typeof p.attributes["session.id"] === "string", `${p.name}: no session.id`);
      check(/^[0-9a-f]{64}$/.test(String(p.attributes["user.id"])), `${p.name}: user.id ${String(p.attributes["user.id"])}`);
    }
    expect(problems).toEqual([]);
  });

  it("covers every catalog metric, every metric attribute key and every event", () => {
    expect(new Set(run.points.map((p) => p.name))).toEqual(new Set(catalogMetrics.map((m) => m.name)));
    for (const def of catalogMetrics) {
      const seen = new Set(run.points.filter((p) => p.name === def.name).flatMap((p) => Object.keys(p.attributes)));
      for (const key of Object.keys(def.attributes)) expect(seen.has(key), `${def.name}.${key}`).toBe(true);
    }
    const tokenTypes = new Set(run.points.filter((p) => p.name === METRICS.tokens.name).map((p) => p.attributes.type));
    expect(tokenTypes).toEqual(new Set(TOKEN_TYPES));
    expect(new Set(run.logs.map((l) => l.attributes["event.name"]))).toEqual(new Set(eventNames));
  });

  it("sets the resource Claude Code sets, plus the org attributes", () => {
    const resources = [...run.points.map((p) => p.resource), ...run.logs.map((l) => l.resource.attributes)];
    const expectedKeys = [...RESOURCE_ATTRIBUTES, ...ORG_ATTRIBUTES].sort();
    for (const r of resources) expect(Object.keys(r).sort()).toEqual(expectedKeys);
    expect(new Set(resources.map((r) => r["service.name"]))).toEqual(new Set(SERVICE_NAMES));
    expect(new Set(resources.map((r) => r.team))).toEqual(new Set(BASE.teams));
    expect(new Set(resources.map((r) => r.department))).toEqual(new Set(BASE.departments));
  });

  it("sends events as Claude Code does: body, event.name, timestamp, sequence, prompt.id, typed values", () => {
    const problems: string[] = [];
    const check = (ok: boolean, what: string) => ok || problems.push(what);
    const numeric = [
      "duration_ms",
      "cost_usd",
      "input_tokens",
      "output_tokens",
      "cache_read_tokens",
      "cache_creation_tokens",
      "prompt_length",
      "attempt",
      "status_code",
      "tool_input_size_bytes",
      "tool_result_size_bytes",
      "total_attempts",
      "total_retry_duration_ms",
      "pre_tokens",
      "post_tokens",
    ];
    const booleans = ["success", "server_fallback_hop", "has_category", "has_explanation", "has_hooks", "has_mcp", "is_plugin"];
    const bySession = new Map<unknown, number[]>();
    for (const log of run.logs) {
      const a = log.attributes;
      const def = catalogEvents.find((e) => e.name === a["event.name"]);
      if (!def) {
        problems.push(`unknown event ${String(a["event.name"])}`);
        continue;
      }
      check(log.body === `claude_code.${def.name}`, `${def.name}: body ${String(log.body)}`);
      check(log.instrumentationScope.name === EVENT_LOGGER_NAME, `${def.name}: logger ${log.instrumentationScope.name}`);
      const allowed = new Set<string>([...STANDARD_ATTRIBUTES, ...ORG_ATTRIBUTES, ...EVENT_COMMON_ATTRIBUTES, ...def.attributes]);
      for (const key of Object.keys(a)) check(allowed.has(key), `${def.name}: attribute ${key}`);
      // Prompt-level events carry prompt.id; session-level ones (plugin_loaded, mcp_server_connection) do not.
      if ((def.attributes as readonly string[]).includes("prompt.id")) check(/^[0-9a-f-]{36}$/.test(String(a["prompt.id"])), `${def.name}: prompt.id`);
      else check(!("prompt.id" in a), `${def.name}: prompt.id on a session-level event`);
      const ts = Date.parse(String(a["event.timestamp"]));
      check(!Number.isNaN(ts) && new Date(ts).toISOString() === a["event.timestamp"], `${def.name}: event.timestamp ${String(a["event.timestamp"])}`);
      check(log.hrTime[0] * 1000 + Math.round(log.hrTime[1] / 1e6) === ts, `${def.name}: record time differs from event.timestamp`);
      check(typeof a["event.sequence"] === "number", `${def.name}: event.sequence not a number`);
      bySession.set(a["session.id"], [...(bySession.get(a["session.id"]) ?? []), a["event.sequence"] as number]);
      for (const key of numeric) if (key in a) check(typeof a[key] === "number" && (a[key] as number) >= 0, `${def.name}: ${key}=${JSON.stringify(a[key])}`);
      if (def.name === "tool_result") check(a.success === "true" || a.success === "false", `tool_result: success=${JSON.stringify(a.success)}`);
      for (const key of booleans) if (key in a) check(a[key] === "true" || a[key] === "false", `${def.name}: ${key}=${JSON.stringify(a[key])}`);
      for (const [key, optIn] of Object.entries((def as { optIn?: Record<string, string> }).optIn ?? {}))
        check(!(key in a), `${def.name}: ${key} needs ${optIn}`);
      if ("tool_source" in a)
        check(a.tool_source === (a.tool_name === MCP_TOOL_NAME ? "mcp" : "builtin"), `${def.name}: ${String(a.tool_name)} from ${String(a.tool_source)}`);
    }
    expect(problems).toEqual([]);
    expect(run.logs.some((l) => "prompt" in l.attributes)).toBe(false); // prompt content is opt-in, never simulated
    // Each session numbers its events 0, 1, 2, … in the order they are sent.
    for (const seqs of bySession.values()) expect(seqs).toEqual(seqs.map((_, i) => i));
    expect(run.logs.some((l) => l.attributes.success === "false")).toBe(true);
    expect(run.logs.some((l) => l.attributes.tool_name === MCP_TOOL_NAME)).toBe(true);
  });

  it("carries email and account ids only for OAuth users, and no marker by default", () => {
    const all = [...run.points.map((p) => p.attributes), ...run.logs.map((l) => l.attributes)];
    const withEmail = all.filter((a) => "user.email" in a);
    expect(withEmail.length).toBeGreaterThan(0);
    expect(withEmail.length).toBeLessThan(all.length);
    for (const a of all) {
      expect("user.email" in a).toBe("user.account_uuid" in a);
      expect("organization.id" in a).toBe("user.account_uuid" in a);
      if ("user.account_id" in a) expect(a["user.account_uuid"]).toBeDefined();
      expect(a[MARKER_ATTRIBUTE]).toBeUndefined();
    }
  });
});

describe("expected totals equal what the SDK exported", () => {
  for (const temporality of ["cumulative", "delta"] as const) {
    it(`sums cost, tokens, sessions and events (${temporality})`, async () => {
      const run = await capture({ ...BASE, seed: 7, users: 25 }, temporality);
      const want = expectedTotals(run.model);
      const of = (metric: string) => run.points.filter((p) => p.name === metric);
      const wantTemporality = temporality === "delta" ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
      for (const p of run.points) expect(p.temporality).toBe(wantTemporality);

      relClose(sum(of(METRICS.cost.name).map((p) => p.value)), want.costUsd);
      for (const team of BASE.teams ?? []) {
        relClose(
          sum(
            of(METRICS.cost.name)
              .filter((p) => p.attributes.team === team)
              .map((p) => p.value),
          ),
          want.costByTeam[team] ?? 0,
        );
      }
      for (const type of TOKEN_TYPES) {
        expect(
          sum(
            of(METRICS.tokens.name)
              .filter((p) => p.attributes.type === type)
              .map((p) => p.value),
          ),
        ).toBe(want.tokens[type]);
      }
      expect(new Set(of(METRICS.session.name).map((p) => p.attributes["session.id"])).size).toBe(want.sessions);
      expect(sum(of(METRICS.session.name).map((p) => p.value))).toBe(want.sessions);
      expect(new Set(run.points.map((p) => p.attributes["user.id"])).size).toBe(want.installations);
      const lines = of(METRICS.linesOfCode.name);
      expect(sum(lines.filter((p) => p.attributes.type === "added").map((p) => p.value))).toBe(want.linesOfCode.added);
      expect(sum(lines.filter((p) => p.attributes.type === "removed").map((p) => p.value))).toBe(want.linesOfCode.removed);
      expect(sum(of(METRICS.commit.name).map((p) => p.value))).toBe(want.commits);
      expect(sum(of(METRICS.pullRequest.name).map((p) => p.value))).toBe(want.pullRequests);
      relClose(
        sum(
          of(METRICS.activeTime.name)
            .filter((p) => p.attributes.type === "cli")
            .map((p) => p.value),
        ),
        want.activeTimeSeconds.cli,
      );
      // One export per session in a burst: points per metric = distinct series.
      for (const def of catalogMetrics) expect(of(def.name).length, def.name).toBe(want.series[def.name]);
      expect(run.stats.metricPoints).toBe(run.points.length);

      for (const e of catalogEvents) expect(run.logs.filter((l) => l.attributes["event.name"] === e.name).length, e.name).toBe(want.events[e.name]);
      relClose(sum(run.logs.map((l) => (l.attributes["event.name"] === "api_request" ? (l.attributes.cost_usd as number) : 0))), want.costUsd);
      expect(run.stats.events).toBe(run.logs.length);
      expect(run.stats.exportErrors).toBe(0);
      expect(want.people).toBe(25);
      expect(want.peopleWithEmail).toBeLessThan(want.people);
    });
  }

  it("is a pure function of the options", () => {
    const a = expectedTotals(buildModel({ ...BASE, seed: 3 }));
    const b = expectedTotals(buildModel({ ...BASE, seed: 3 }));
    expect(b).toEqual(a);
    expect(expectedTotals(buildModel({ ...BASE, seed: 3, sessions: 11 })).sessions).toBe(11);
  });
});

describe("reproducibility and options", () => {
  it("sends identical data for the same seed and different data for another seed", async () => {
    const options = { ...BASE, users: 8 };
    const [a, b, c] = await Promise.all([capture(options), capture(options), capture({ ...options, seed: 43 })]);
    expect(fingerprint(b)).toEqual(fingerprint(a));
    expect(fingerprint(c)).not.toEqual(fingerprint(a));
    expect(expectedTotals(c.model).costUsd).not.toBe(expectedTotals(a.model).costUsd);
  });

  it("adds the opt-in marker to the resource, every data point and every event", async () => {
    const run = await capture({ ...BASE, users: 3, marker: "run-123" });
    for (const p of run.points) expect([p.resource[MARKER_ATTRIBUTE], p.attributes[MARKER_ATTRIBUTE]]).toEqual(["run-123", "run-123"]);
    for (const l of run.logs) expect([l.resource.attributes[MARKER_ATTRIBUTE], l.attributes[MARKER_ATTRIBUTE]]).toEqual(["run-123", "run-123"]);
  });

  it("keeps every session inside the simulated window", () => {
    const model = buildModel({ ...BASE, durationMs: 60_000 });
    for (const s of model.sessions) {
      expect(s.startMs).toBeGreaterThanOrEqual(START);
      expect(s.endMs).toBeLessThanOrEqual(START + 60_000);
      for (const p of s.prompts) {
        expect(p.atMs).toBeGreaterThanOrEqual(s.startMs);
        for (const step of p.steps) expect(step.kind === "tool" ? step.endMs : step.atMs).toBeLessThanOrEqual(s.endMs);
      }
    }
  });
});

/** Every record of the model, as sessionRecords builds it (pure: no SDK). */
const recordsOf = (model: SimulationModel) => model.sessions.map((session) => ({ session, records: sessionRecords(session, model.options.marker) }));
const eventsOf = (records: readonly SignalRecord[], name: string) =>
  records.flatMap((r) => (r.kind === "event" && r.attributes["event.name"] === name ? [r.attributes] : []));
const attribution = (a: Record<string, unknown>) => Object.fromEntries(ATTRIBUTION_NAMES.map((k) => [k, a[k]]));
const mainRequests = (model: SimulationModel) =>
  model.sessions
    .filter((s) => s.installation.newer)
    .flatMap((s) => s.prompts.flatMap((p) => p.steps))
    .filter((st) => st.kind === "request" && st.querySource === "main").length;

describe("newer clients: attribution, refusals, plugins, MCP servers, skills, subagents, compaction", () => {
  const big = buildModel({ ...BASE, seed: 21, users: 1500 });
  const bigTotals = expectedTotals(big);
  const mid = buildModel({ ...BASE, seed: 8, users: 300 });
  const midRecords = recordsOf(mid);

  it("gives api_request and api_error the attribution of the request's cost metric, and older clients none", () => {
    let checked = 0;
    for (const { session, records } of midRecords) {
      records.forEach((r, i) => {
        if (r.kind !== "event" || r.event !== "apiRequest") return;
        const cost = records[i + 1]; // the cost addition is drafted right after its api_request event, at the same time
        expect(cost?.kind === "metric" && cost.metric === "cost").toBe(true);
        expect(attribution(r.attributes)).toEqual(attribution((cost as MetricRecord).own));
        if (!session.installation.newer) expect(ATTRIBUTION_NAMES.filter((k) => k in r.attributes)).toEqual([]);
        checked++;
      });
    }
    expect(checked).toBeGreaterThan(1000);
    const errors = midRecords.flatMap(({ session, records }) => eventsOf(records, "api_error").map((a) => ({ a, newer: session.installation.newer })));
    expect(errors.some((e) => e.newer && ATTRIBUTION_NAMES.some((k) => k in e.a))).toBe(true);
    for (const { a, newer } of errors) {
      expect(a.query_source).toBe(newer ? "main" : undefined);
      expect("request_id" in a).toBe(newer && "status_code" in a);
    }
    // The turn's attribution: a skill used by the prompt is on its error too.
    for (const { records } of midRecords) {
      const skillOf = new Map(eventsOf(records, "skill_activated").map((a) => [a["prompt.id"], a["skill.name"]]));
      for (const e of eventsOf(records, "api_error")) if (skillOf.has(e["prompt.id"])) expect(e["skill.name"]).toBe(skillOf.get(e["prompt.id"]));
    }
  });

  it("reports attribution names as the client does: custom agents and servers, third-party plugins, nothing else", () => {
    const official = new Set(PLUGINS.filter((p) => p.name !== THIRD_PARTY).map((p) => p.name));
    const values = (key: string) =>
      new Set(midRecords.flatMap(({ records }) => records.flatMap((r) => (r.kind === "metric" && key in r.own ? [r.own[key]] : []))));
    expect(values("agent.name")).toEqual(new Set(SUBAGENTS));
    expect(values("mcp_server.name")).toEqual(new Set([CUSTOM, "github", THIRD_PARTY]));
    for (const v of values("plugin.name")) expect(v === THIRD_PARTY || official.has(String(v)), String(v)).toBe(true);
    expect(values("skill.name").has(THIRD_PARTY)).toBe(true);
    // The real names of user-configured servers and third-party plugins never leave the model.
    const wire = JSON.stringify(midRecords.map(({ records }) => records.map((r) => r.attributes)));
    for (const hidden of [...USER_MCP_SERVERS.map((s) => s.id), "platform-api", "team-tools", "platform-kit", "acme-plugins", "my-workflows"])
      expect(wire.includes(`"${hidden}"`), hidden).toBe(false);
    expect(wire.includes('"server_name"')).toBe(false);
  });

  it("refuses about 0.5 % of main requests; a fallback hop is followed by the final refusal", () => {
    const share = bigTotals.refusals.final / mainRequests(big);
    expect(share).toBeGreaterThan(0.003);
    expect(share).toBeLessThan(0.007);
    let hops = 0;
    let finals = 0;
    for (const { records } of midRecords) {
      const refusals = eventsOf(records, "api_refusal");
      refusals.forEach((a, i) => {
        if (a.server_fallback_hop === "true") {
          hops++;
          const next = refusals[i + 1];
          expect(next?.server_fallback_hop).toBe("false");
          expect(next?.["prompt.id"]).toBe(a["prompt.id"]);
          expect(next?.attempt).toBe(2);
        } else finals++;
      });
    }
    expect(hops).toBeGreaterThan(0);
    expect(finals).toBe(expectedTotals(mid).refusals.final);
    for (const key of ["byAgent", "bySkill", "byPlugin", "byMcpServer"] as const)
      expect(sum(Object.values(bigTotals.refusals[key]))).toBe(bigTotals.refusals.final);
  });

  it("sends api_retries_exhausted beside each newer api_error after several attempts", () => {
    for (const { session, records } of midRecords) {
      const exhausted = eventsOf(records, "api_retries_exhausted");
      const errors = eventsOf(records, "api_error").filter((e) => (e.attempt as number) > 1);
      expect(exhausted.length).toBe(session.installation.newer ? errors.length : 0);
      exhausted.forEach((x, i) => {
        const e = errors[i] as Record<string, unknown>;
        expect([x["prompt.id"], x.total_attempts, x.error, x.status_code, x.model]).toEqual([e["prompt.id"], e.attempt, e.error, e.status_code, e.model]);
      });
    }
    expect(bigTotals.events.api_retries_exhausted).toBeGreaterThan(0);
  });

  it("loads every enabled plugin at the start of each newer session, before anything else is sent", () => {
    let withPlugins = 0;
    for (const { session, records } of midRecords) {
      const loaded = eventsOf(records, "plugin_loaded");
      const plugins = session.person.plugins;
      if (!session.installation.newer) {
        expect(loaded).toEqual([]);
        continue;
      }
      if (plugins.length > 0) withPlugins++;
      expect(loaded.map((a) => a.plugin_id_hash)).toEqual(plugins.map((p) => pluginIdHash(p.profile)));
      for (const a of loaded) {
        expect(a["event.timestamp"]).toBe(new Date(session.startMs).toISOString());
        expect(a["event.sequence"]).toBeLessThan(plugins.length);
      }
    }
    expect(withPlugins).toBeGreaterThan(100);
    // Some people enable none, most some; official names and "third-party" both appear.
    const people = mid.people.map((p) => p.plugins.length);
    expect(people.filter((n) => n === 0).length).toBeGreaterThan(0);
    expect(people.filter((n) => n > 0).length / people.length).toBeGreaterThan(0.7);
    expect(Object.keys(bigTotals.pluginLoads)).toContain(THIRD_PARTY);
    expect(Object.keys(bigTotals.pluginLoads).length).toBeGreaterThan(2);
  });

  it("connects each configured MCP server at session start (about 5 % fail) and disconnects the connected ones at the end", () => {
    const { connected, failed, disconnected } = bigTotals.mcpConnections;
    expect(failed / (connected + failed)).toBeGreaterThan(0.03);
    expect(failed / (connected + failed)).toBeLessThan(0.07);
    expect(disconnected).toBe(connected);
    for (const { session, records } of midRecords) {
      const conns = eventsOf(records, "mcp_server_connection");
      if (!session.installation.newer) {
        expect(conns).toEqual([]);
        continue;
      }
      const attempts = conns.filter((a) => a.status !== "disconnected");
      expect(attempts.length).toBe(session.person.mcpServers.length);
      expect(conns.filter((a) => a.status === "disconnected").length).toBe(attempts.filter((a) => a.status === "connected").length);
      for (const a of conns) {
        expect("error_code" in a).toBe(a.status === "failed");
        expect(["stdio", "sse", "http"]).toContain(a.transport_type);
        expect(["user", "project", "local"]).toContain(a.server_scope);
        expect("plugin_id_hash" in a && "plugin.name" in a).toBe(a.is_plugin === "true");
        if (a.status === "disconnected") expect(a["event.timestamp"]).toBe(new Date(session.endMs).toISOString());
      }
    }
    // People who configured servers: most of them, some with user-configured ("custom") ones.
    expect(mid.people.filter((p) => p.mcpServers.some((s) => s.server.name === CUSTOM)).length).toBeGreaterThan(mid.people.length / 2);
  });

  it("activates a skill whenever a prompt uses one, with the prompt's skill attribution", () => {
    let prompts = 0;
    for (const { session, records } of midRecords) {
      const activated = new Map(eventsOf(records, "skill_activated").map((a) => [a["prompt.id"], a]));
      for (const p of session.prompts) {
        const skill = p.steps.find((st) => st.kind === "request" && st.querySource === "main" && st.attribution.skill);
        if (skill?.kind !== "request") continue;
        prompts++;
        const a = activated.get(p.id);
        expect(a?.["skill.name"]).toBe(skill.attribution.skill);
        expect(a?.["plugin.name"]).toBe(skill.attribution.plugin);
        expect(["user-slash", "claude-proactive", "nested-skill"]).toContain(a?.invocation_trigger);
      }
    }
    expect(prompts).toBeGreaterThan(20);
    expect(sum(Object.values(bigTotals.skillActivations))).toBe(bigTotals.events.skill_activated);
  });

  it("completes a subagent for each Task run, with the agent's name as agent_type (custom agents as custom)", () => {
    const taskRuns = big.sessions
      .filter((s) => s.installation.newer)
      .flatMap((s) => s.prompts.flatMap((p) => p.steps))
      .filter((st) => st.kind === "tool" && st.toolName === "Task" && st.decision === "accept").length;
    expect(taskRuns).toBeGreaterThan(100);
    expect(bigTotals.events.subagent_completed).toBe(taskRuns);
    expect(Object.keys(bigTotals.subagentCompletions).sort()).toEqual([...SUBAGENTS].sort());
    expect(bigTotals.costBy.agent[CUSTOM]).toBeGreaterThan(0);
    for (const { records } of midRecords) {
      const requests = eventsOf(records, "api_request");
      for (const a of eventsOf(records, "subagent_completed")) {
        expect(requests.some((r) => r["prompt.id"] === a["prompt.id"] && r.query_source === "subagent" && r["agent.name"] === a.agent_type)).toBe(true);
      }
    }
  });

  it("compacts automatically when a prompt's context passes the threshold, rarely by hand", () => {
    const { total, auto, manual } = bigTotals.compactions;
    expect(auto + manual).toBe(total);
    expect(manual).toBeGreaterThan(0);
    expect(manual).toBeLessThan(auto);
    const newerPrompts = sum(big.sessions.filter((s) => s.installation.newer).map((s) => s.prompts.length));
    expect(total / newerPrompts).toBeGreaterThan(0.005);
    expect(total / newerPrompts).toBeLessThan(0.06);
    const steps = big.sessions.flatMap((s) => s.prompts.flatMap((p) => p.steps)).flatMap((st) => (st.kind === "compaction" ? [st] : []));
    for (const c of steps) {
      if (c.trigger === "auto") expect(c.preTokens).toBeGreaterThan(AUTO_COMPACT_TOKENS);
      expect(c.success ? (c.postTokens ?? Infinity) < c.preTokens : c.error !== undefined).toBe(true);
    }
    expect(steps.some((c) => !c.success)).toBe(true);
  });

  it("sums cost and tokens by query source and by each attribution key to the totals, as the metrics do", async () => {
    for (const by of [bigTotals.costBy, bigTotals.tokensBy]) {
      const total = by === bigTotals.costBy ? bigTotals.costUsd : sum(Object.values(bigTotals.tokens));
      for (const values of Object.values(by)) relClose(sum(Object.values(values as Record<string, number>)), total);
    }
    expect(Object.keys(bigTotals.costBy.querySource).sort()).toEqual(["auxiliary", "main", "subagent"]);
    // What the SDK exported, grouped by each key ("" where absent), equals the model's sums.
    const run = await capture({ ...BASE, seed: 7, users: 25 });
    const want = expectedTotals(run.model);
    const keys = {
      querySource: "query_source",
      agent: "agent.name",
      skill: "skill.name",
      plugin: "plugin.name",
      mcpServer: "mcp_server.name",
      mcpTool: "mcp_tool.name",
    };
    for (const [field, attr] of Object.entries(keys) as [keyof typeof keys, string][]) {
      for (const [metric, wanted] of [
        [METRICS.cost.name, want.costBy[field]],
        [METRICS.tokens.name, want.tokensBy[field]],
      ] as const) {
        const got: Record<string, number> = {};
        for (const p of run.points.filter((q) => q.name === metric))
          got[String(p.attributes[attr] ?? "")] = (got[String(p.attributes[attr] ?? "")] ?? 0) + p.value;
        expect(Object.keys(got).sort(), `${metric} by ${attr}`).toEqual(Object.keys(wanted).sort());
        for (const [k, v] of Object.entries(wanted)) relClose(got[k] ?? 0, v);
      }
    }
    expect(sum(Object.values(want.apiErrors.byAgent))).toBe(want.events.api_error);
  });
});

describe("sign-in modes and enduser.id", () => {
  const everyRecord = (model: SimulationModel) => recordsOf(model).flatMap(({ records }) => records.map((r) => r.attributes));

  it("api_key mode: no email, account or organisation on any record; people only through enduser.id", () => {
    const model = buildModel({ ...BASE, auth: "api_key" });
    for (const a of everyRecord(model))
      for (const k of ["user.email", "user.account_uuid", "user.account_id", "organization.id"]) expect(a[k], k).toBeUndefined();
    const totals = expectedTotals(model);
    expect(totals.peopleWithEmail).toBe(0);
    expect(totals.anonymousInstallations).toBe(totals.installations);
    expect(identitiesByChain(model, ["user.email", "user.account_uuid", "user.id"])).toEqual({ people: 0, installations: totals.installations });
    const named = buildModel({ ...BASE, auth: "api_key", enduserId: true });
    expect(identitiesByChain(named, ["user.email", ENDUSER_ATTRIBUTE, "user.id"])).toEqual({ people: BASE.users, installations: 0 });
    expect(expectedTotals(named).anonymousInstallations).toBe(0);
  });

  it("oauth mode: an email (and account ids) on every record", () => {
    const model = buildModel({ ...BASE, auth: "oauth" });
    for (const a of everyRecord(model)) {
      expect(String(a["user.email"])).toMatch(/@example\.com$/);
      expect(a["user.account_uuid"]).toBeDefined();
      expect(a["organization.id"]).toBeDefined();
    }
    const totals = expectedTotals(model);
    expect(totals.peopleWithEmail).toBe(totals.people);
    expect(totals.anonymousInstallations).toBe(0);
    expect(identitiesByChain(model, ["user.email", "user.id"])).toEqual({ people: totals.people, installations: 0 });
  });

  it("mixed mode (default): mostly OAuth; a chain ending in user.id counts API-key installations, not people", () => {
    const model = buildModel({ ...BASE, users: 400 });
    const totals = expectedTotals(model);
    expect(totals.peopleWithEmail / totals.people).toBeGreaterThan(0.78);
    expect(totals.peopleWithEmail / totals.people).toBeLessThan(0.92);
    const ids = identitiesByChain(model, ["user.email", "user.id"]);
    expect(ids).toEqual({ people: totals.peopleWithEmail, installations: totals.anonymousInstallations });
    // The same figures from what is on the wire.
    const emails = new Set<unknown>();
    const bare = new Set<unknown>();
    for (const a of everyRecord(model)) (a["user.email"] ? emails : bare).add(a["user.email"] ?? a["user.id"]);
    expect({ people: emails.size, installations: bare.size }).toEqual(ids);
    // Modes keep each person's other draws: the same installations and sessions.
    const oauth = buildModel({ ...BASE, users: 400, auth: "oauth" });
    expect(oauth.sessions.map((s) => s.installation.userId)).toEqual(model.sessions.map((s) => s.installation.userId));
  });

  it("enduserId: a unique login-style enduser.id per person on the resource, every data point and every event", async () => {
    const run = await capture({ ...BASE, users: 30, enduserId: true });
    const byPerson = new Map<string, Set<unknown>>();
    for (const p of run.points) {
      expect(p.attributes[ENDUSER_ATTRIBUTE]).toBe(p.resource[ENDUSER_ATTRIBUTE]);
      const key = String(p.attributes["user.email"] ?? p.attributes["user.id"]);
      byPerson.set(key, (byPerson.get(key) ?? new Set()).add(p.attributes[ENDUSER_ATTRIBUTE]));
    }
    for (const l of run.logs) expect(l.attributes[ENDUSER_ATTRIBUTE]).toBe(l.resource.attributes[ENDUSER_ATTRIBUTE]);
    for (const ids of byPerson.values()) expect(ids.size).toBe(1);
    const ids = run.model.people.map((p) => p.enduserId);
    expect(new Set(ids).size).toBe(30);
    for (const id of ids) expect(id).toMatch(/^[a-z]+[0-9]*$/);
    expect(identitiesByChain(run.model, [ENDUSER_ATTRIBUTE, "user.id"])).toEqual({ people: 30, installations: 0 });
    expect((await capture({ ...BASE, users: 3 })).points.some((p) => ENDUSER_ATTRIBUTE in p.attributes)).toBe(false);
  });

  it("refuses an unknown sign-in mode", () => {
    expect(() => buildModel({ ...BASE, auth: "sso" as never })).toThrow(/auth must be one of mixed, oauth, api_key/);
  });
});

describe("live mode", () => {
  it("exports periodically while sessions run and ends with cumulative values equal to the totals", async () => {
    const model = buildModel({ seed: 5, users: 3, sessions: 3, durationMs: 2_000, startTimeMs: Date.now() });
    const sink = createMemorySink("cumulative");
    const stats = await emitLive(model, sink.exporters, { metricIntervalMs: 300, logIntervalMs: 200, tickMs: 50 });
    expect(stats.sessionsFinished).toBe(3);
    // Several exports per session; the last cumulative value of each series is the total.
    expect(sink.resourceMetrics().length).toBeGreaterThan(3);
    const last = new Map<string, Point>();
    for (const p of points(sink.resourceMetrics())) last.set(JSON.stringify([p.name, p.attributes]), p);
    const cost = sum([...last.values()].filter((p) => p.name === METRICS.cost.name).map((p) => p.value));
    relClose(cost, expectedTotals(model).costUsd);
    expect(sink.logRecords().length).toBe(sum(Object.values(expectedTotals(model).events)));
  });
});

describe("command-line flags", () => {
  const ok = ["--endpoint", "http://127.0.0.1:4318"];
  it("parses a full command line", () => {
    const cmd = parseSimulateArgs([
      ...ok,
      "--protocol",
      "grpc",
      "--users",
      "7",
      "--teams",
      "a,b",
      "--duration",
      "1m30s",
      "--seed",
      "0",
      "--temporality",
      "delta",
      "--burst",
      "--marker",
      "m1",
    ]);
    expect(cmd.mode).toBe("burst");
    expect(cmd.target).toMatchObject({ protocol: "grpc", temporality: "delta" });
    expect(cmd.model).toMatchObject({ users: 7, teams: ["a", "b"], durationMs: 90_000, seed: 0, marker: "m1" });
  });
  it("parses --auth and --enduser-id (default: mixed sign-ins, no enduser.id)", () => {
    expect(parseSimulateArgs(ok).model).toMatchObject({ auth: "mixed" });
    expect(parseSimulateArgs(ok).model.enduserId).toBeUndefined();
    expect(parseSimulateArgs([...ok, "--auth", "api-key", "--enduser-id"]).model).toMatchObject({ auth: "api_key", enduserId: true });
    expect(parseSimulateArgs(["--dry-run", "--auth", "oauth"]).model).toMatchObject({ auth: "oauth" });
    expect(USAGE).toMatch(/--auth A .*mixed/);
    expect(USAGE).toMatch(/--enduser-id/);
  });
  it.each([
    [["--bogus"], /unknown option --bogus/],
    [[...ok, "--users", "ten"], /--users must be a positive integer/],
    [[...ok, "--users", "0"], /--users must be a positive integer/],
    [[...ok, "--duration", "5"], /--duration must be a duration/],
    [[...ok, "--duration", "5x"], /--duration must be a duration/],
    [["--endpoint", "not a url"], /--endpoint must be a URL/],
    [["--endpoint", "ftp://host"], /http or https/],
    [["--endpoint", "http://127.0.0.1:4318/v1/metrics"], /base URL/],
    [[...ok, "--protocol", "http/json"], /--protocol must be one of/],
    [[...ok, "--teams", "a b"], /--teams takes a comma-separated list/],
    [[...ok, "--auth", "api_key"], /--auth must be one of mixed, oauth, api-key \(got 'api_key'\)/],
    [[...ok, "--auth", "sso"], /--auth must be one of mixed, oauth, api-key/],
    [[...ok, "--auth"], /option --auth needs a value/],
    [["--users", "3"], /--endpoint is required/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseSimulateArgs(argv)).toThrow(UsageError);
    expect(() => parseSimulateArgs(argv)).toThrow(message);
  });
  it("never repeats the token in an error", () => {
    let error: unknown;
    try {
      parseSimulateArgs([...ok, "--token", "tok-very-secret", "--users", "x"]);
    } catch (e) {
      error = e;
    }
    expect(error, "a bad --users must be refused").toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/--users/);
    expect((error as Error).message).not.toContain("tok-very-secret");
  });
});

interface Received {
  path: string;
  contentType?: string;
  authorization?: string;
  body: Buffer;
}

async function httpCollector() {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", contentType: req.headers["content-type"], authorization: req.headers.authorization, body: Buffer.concat(chunks) });
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { received, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
}

describe("real OTLP transport (to a recording stand-in server, not a collector)", () => {
  it("sends HTTP/protobuf to /v1/metrics and /v1/logs with the bearer token", async () => {
    const collector = await httpCollector();
    try {
      const model = buildModel({ seed: 11, users: 4, startTimeMs: Date.now() - 60_000 });
      const token = "test-token-4f9c";
      const stats = await emitBurst(model, otlpExporters({ endpoint: `${collector.url}/`, protocol: "http/protobuf", token, temporality: "cumulative" }));
      expect(stats.exportErrors).toBe(0);
      const metrics = collector.received.filter((r) => r.path === "/v1/metrics");
      const logs = collector.received.filter((r) => r.path === "/v1/logs");
      expect(collector.received.length).toBe(metrics.length + logs.length);
      expect(metrics.length).toBe(model.sessions.length); // one flush per session process
      expect(logs.length).toBeGreaterThanOrEqual(model.sessions.length);
      for (const r of collector.received) {
        expect(r.contentType).toBe("application/x-protobuf");
        expect(r.authorization).toBe(`Bearer ${token}`);
        expect(r.body.length).toBeGreaterThan(0);
      }
      // Protobuf keeps strings as UTF-8 bytes: the names are findable without decoding.
      const allMetrics = Buffer.concat(metrics.map((r) => r.body));
      for (const def of catalogMetrics.filter((m) => expectedTotals(model).series[m.name])) expect(allMetrics.includes(def.name), def.name).toBe(true);
      expect(Buffer.concat(logs.map((r) => r.body)).includes("claude_code.api_request")).toBe(true);
    } finally {
      await collector.close();
    }
  });

  it("sends gRPC with the bearer token as metadata", async () => {
    const server = new grpc.Server();
    const calls: { service: string; auth: unknown; bytes: number }[] = [];
    const raw = (service: string): grpc.ServiceDefinition => ({
      Export: {
        path: `/opentelemetry.proto.collector.${service}.v1.${service === "metrics" ? "MetricsService" : "LogsService"}/Export`,
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: () => Buffer.alloc(0), // an empty Export*ServiceResponse
        responseDeserialize: (b: Buffer) => b,
      },
    });
    for (const service of ["metrics", "logs"]) {
      server.addService(raw(service), {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => {
          calls.push({ service, auth: call.metadata.get("authorization")[0], bytes: call.request.length });
          done(null, Buffer.alloc(0));
        },
      });
    }
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    try {
      const model = buildModel({ seed: 12, users: 2, sessions: 2, startTimeMs: Date.now() - 60_000 });
      const stats = await emitBurst(
        model,
        otlpExporters({ endpoint: `http://127.0.0.1:${port}`, protocol: "grpc", token: "grpc-token", temporality: "delta" }),
      );
      expect(stats.exportErrors).toBe(0);
      expect(calls.filter((c) => c.service === "metrics").length).toBe(2);
      expect(calls.filter((c) => c.service === "logs").length).toBeGreaterThanOrEqual(2);
      for (const c of calls) {
        expect(c.auth).toBe("Bearer grpc-token");
        expect(c.bytes).toBeGreaterThan(0);
      }
    } finally {
      server.forceShutdown();
    }
  });

  it("runs the simulate command end to end without printing the token", async () => {
    const collector = await httpCollector();
    try {
      const token = "cli-token-7d2e";
      const args = [
        "tsx",
        "scripts/simulate.ts",
        "--endpoint",
        collector.url,
        "--token",
        token,
        "--users",
        "3",
        "--sessions",
        "4",
        "--burst",
        "--json",
        "--seed",
        "9",
      ];
      // Asynchronous: the collector answering the command lives in this process.
      const child = spawn("npx", args, { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.stderr.on("data", (c: Buffer) => (err += c.toString()));
      const [status] = (await once(child, "close")) as [number];
      expect(status, err).toBe(0);
      expect(out + err).not.toContain(token);
      const summary = JSON.parse(out) as { sent: { exportErrors: number; events: number }; expected: { sessions: number } };
      expect(summary.expected.sessions).toBe(4);
      expect(summary.sent.exportErrors).toBe(0);
      expect(collector.received.filter((r) => r.path === "/v1/metrics").length).toBe(4);
      expect(collector.received.every((r) => r.authorization === `Bearer ${token}`)).toBe(true);
    } finally {
      await collector.close();
    }
  });
});
