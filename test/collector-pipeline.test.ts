// Claude Code-shaped telemetry (OpenTelemetry JS SDK) → the real collector running the rendered
// local config → the real Prometheus (remote-write receiver) and the Loki double. For gRPC and
// HTTP/protobuf, cumulative and delta clients: every catalog counter becomes its usage series, one per
// person and label set (sessions summed in the collector), with exactly the labels dashboards read
// (nothing duplicated, no session id), and sums equal to what was sent; events reach Loki's OTLP API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Metadata } from "@grpc/grpc-js";
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from "@opentelemetry/sdk-metrics";
import { OTLPMetricExporter as ProtoMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { OTLPMetricExporter as GrpcMetricExporter } from "@opentelemetry/exporter-metrics-otlp-grpc";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { METER_NAME, METRICS, type MetricDef } from "../components/claude/telemetry.js";
import { parseSettings } from "../components/settings.js";
import {
  API_EVENT_COUNTERS as API,
  ATTRIBUTED_COUNTERS as A,
  USAGE_COUNTERS as C,
  USAGE_SERIES,
  type ApiEventCounter,
  type UsageCounter,
  INSTALLATION_PREFIX,
} from "../components/usage-series.js";
import { buildModel, emitBurst, emitLive, expectedTotals, otlpExporters } from "../simulator/index.js";
import { startLokiDouble, type LokiDouble } from "./support/loki-double.js";
import { renderedCollectorConfig, startCollector, type RunningCollector } from "./support/collector.js";
import { describeWithTools, metricNames, queryPrometheus, startPrometheus, waitFor, type RunningServer } from "./support/tools.js";
import { sleep } from "../lib/poll.js";

type Protocol = "grpc" | "http/protobuf";
type Temporality = "cumulative" | "delta";
const CASES: Array<[Protocol, Temporality]> = [
  ["http/protobuf", "cumulative"],
  ["grpc", "cumulative"],
  ["http/protobuf", "delta"],
  ["grpc", "delta"],
];

/** The usage series the collector writes, written out: the names every dashboard query uses. */
const EXPECTED_NAMES = [
  "claude_code_active_seconds_increment",
  "claude_code_attributed_cost_usd_increment",
  "claude_code_attributed_tokens_increment",
  "claude_code_commits_increment",
  "claude_code_cost_usd_increment",
  "claude_code_edit_decisions_increment",
  "claude_code_lines_of_code_increment",
  "claude_code_pull_requests_increment",
  "claude_code_sessions_increment",
  "claude_code_tokens_increment",
  "claude_code_user_activity",
];

const CLIENT_VERSION = "2.1.300";
/** The collector's host name: the `instance` label of the series it writes (one per replica). */
const HOSTNAME = "collector-a";

function exporter(collector: RunningCollector, protocol: Protocol, temporality: Temporality): PushMetricExporter {
  const temporalityPreference = temporality === "delta" ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
  return protocol === "grpc"
    ? new GrpcMetricExporter({ url: collector.grpcEndpoint, metadata: new Metadata(), temporalityPreference })
    : new ProtoMetricExporter({ url: `${collector.httpEndpoint}/v1/metrics`, temporalityPreference });
}

/**
 * Exports a few milliseconds after the last add, as a real client does (seconds later). A cumulative
 * point whose start equals its time (a stream added in the very millisecond of the export) is, by
 * OpenTelemetry's convention, one with no interval: cumulative_to_delta drops it as a start value.
 */
async function exportLater(provider: MeterProvider): Promise<void> {
  await sleep(5);
  await provider.forceFlush();
}

describeWithTools(["otelcol", "prometheus"], "the real collector's metrics in the real Prometheus (events to the Loki double)", () => {
  let prometheus: RunningServer;
  let loki: LokiDouble;
  let collector: RunningCollector;

  beforeAll(async () => {
    prometheus = await startPrometheus({ configYaml: "global:\n  scrape_interval: 15s\n" });
    loki = await startLokiDouble();
    collector = await startCollector({
      config: renderedCollectorConfig(parseSettings({ target: "docker" }, "pipeline"), { prometheus: prometheus.url, loki: loki.url }),
      env: { HOSTNAME },
    });
  }, 60_000);

  afterAll(async () => {
    await collector?.stop();
    await loki?.stop();
    await prometheus?.stop();
  });

  // Concurrent: each case waits out the collector's batch timeout.
  it.concurrent.for(CASES)("%s, %s: every catalog metric, exactly its labels, totals as sent", async ([protocol, temporality], { expect }) => {
    // Each case is its own team, so the cases' series never mix.
    const team = `team-${protocol.replace(/\W/g, "")}-${temporality}`;
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ "service.name": "claude-code", "service.version": CLIENT_VERSION, team }),
      readers: [new PeriodicExportingMetricReader({ exporter: exporter(collector, protocol, temporality), exportIntervalMillis: 3_600_000 })],
    });
    const meter = provider.getMeter(METER_NAME, CLIENT_VERSION);
    const counter = (m: MetricDef) => meter.createCounter(m.name, m.unit ? { unit: m.unit } : {});
    const cost = counter(METRICS.cost);
    const tokens = counter(METRICS.tokens);
    const others = Object.values(METRICS).filter((m) => m !== METRICS.cost && m !== METRICS.tokens);
    // Two sessions; what Claude Code puts on a data point: session id, the org attribute copied
    // from OTEL_RESOURCE_ATTRIBUTES, the metric's own attributes.
    const a = { "session.id": `${team}-a`, team, model: "claude-sonnet" };
    // Session b's cost is a subagent's: only the attributed series keep that.
    const b = { "session.id": `${team}-b`, team, model: "claude-opus", query_source: "subagent", "agent.name": "Explore" };
    // Two exports, so a delta client sends increments that only add up in the collector.
    cost.add(0.125, a);
    tokens.add(1000, { ...a, type: "input" });
    cost.add(2.25, b);
    for (const m of others) counter(m).add(1, { "session.id": `${team}-a`, team });
    await exportLater(provider);
    cost.add(0.5, a);
    tokens.add(250, { ...a, type: "input" });
    tokens.add(40, { ...a, type: "output" });
    await exportLater(provider);
    await provider.shutdown();

    const q = (expr: string) => queryPrometheus(prometheus.url, expr);
    const sum = async (expr: string) => Number((await q(`sum(sum_over_time(${expr}[10m]))`))[0]?.value?.[1] ?? NaN);
    await waitFor(async () => (await sum(`${C.tokens.series}{team="${team}"}`)) === 1290, 30_000).catch(async (e) => {
      console.log(team, JSON.stringify(await q(`{__name__=~"claude_code_tokens.*", team="${team}"}[10m]`)));
      throw e;
    });

    const names = (await metricNames(prometheus.url)).filter((n) => n.startsWith("claude_code"));
    // Besides the API event series, which other cases' events make (written out in the events case).
    const apiNames: string[] = Object.values(API).map((c) => c.series);
    expect(names.filter((n) => !apiNames.includes(n)).sort()).toEqual(EXPECTED_NAMES);
    expect([...USAGE_SERIES].sort()).toEqual(EXPECTED_NAMES);

    // One series per person and label set: the two sessions' cost is one series per model.
    const costSeries = await q(`last_over_time(${C.cost.series}{team="${team}"}[10m])`);
    const common = { __name__: C.cost.series, team, job: "claude-code", instance: HOSTNAME, service_name: "claude-code" };
    expect(costSeries.map((s) => s.metric).sort((x, y) => (x.model ?? "").localeCompare(y.model ?? ""))).toEqual([
      { ...common, model: "claude-opus" },
      { ...common, model: "claude-sonnet" },
    ]);
    const attributed = await q(`last_over_time(${A.cost.series}{team="${team}"}[10m])`);
    expect(attributed.map((s) => s.metric).sort((x, y) => (x.model ?? "").localeCompare(y.model ?? ""))).toEqual([
      { ...common, __name__: A.cost.series, model: "claude-opus", query_source: "subagent", agent_name: "Explore" },
      { ...common, __name__: A.cost.series, model: "claude-sonnet" },
    ]);
    expect(await sum(`${A.cost.series}{team="${team}", agent_name="Explore"}`)).toBeCloseTo(2.25, 9);
    expect(await sum(`${C.cost.series}{team="${team}", model="claude-sonnet"}`)).toBeCloseTo(0.625, 9);
    expect(await sum(`${C.cost.series}{team="${team}", model="claude-opus"}`)).toBeCloseTo(2.25, 9);
    expect(await sum(`${C.tokens.series}{team="${team}", type="input"}`)).toBe(1250);
    expect(await sum(`${C.tokens.series}{team="${team}", type="output"}`)).toBe(40);
    for (const c of Object.values(C).filter((x) => x !== C.cost && x !== C.tokens)) {
      const series = await q(`last_over_time(${c.series}{team="${team}"}[10m])`);
      expect(series, c.series).toHaveLength(1);
      expect(await sum(`${c.series}{team="${team}"}`), c.series).toBe(1);
      expect(Object.keys(series[0]?.metric ?? {}).sort(), c.series).toEqual(["__name__", "instance", "job", "service_name", "team"]);
    }
    // No session id, no raw client series: nothing per session reaches Prometheus.
    expect(await q(`{session_id!=""}`)).toEqual([]);
  });

  it.concurrent.for(["grpc", "http/protobuf"] as const)(
    "the simulator's delta clients over %s: the stored series add up to what it sent",
    async (protocol, { expect }) => {
      const marker = `delta-${protocol.replace(/\W/g, "")}`;
      const model = buildModel({ seed: 17, users: 4, sessions: 6, startTimeMs: Date.now() + 500, durationMs: 8000, marker });
      const sent = expectedTotals(model);
      const endpoint = protocol === "grpc" ? collector.grpcEndpoint : collector.httpEndpoint;
      // Live, so every session exports several deltas that only add up in the collector.
      const stats = await emitLive(model, otlpExporters({ endpoint, protocol, temporality: "delta" }), { metricIntervalMs: 1000, logIntervalMs: 1000 });
      expect(stats.exportErrors, stats.lastError).toBe(0);
      expect(stats.metricExports).toBeGreaterThan(model.sessions.length);
      const total = async (c: UsageCounter) =>
        Number((await queryPrometheus(prometheus.url, `sum(sum_over_time(${c.series}{simulation_run="${marker}"}[10m]))`))[0]?.value?.[1]);
      await waitFor(async () => Math.abs((await total(C.cost)) - sent.costUsd) < 1e-9, 30_000);
      expect(await total(C.cost)).toBeCloseTo(sent.costUsd, 9);
      expect(await total(C.sessions)).toBe(sent.sessions);
      expect(await total(C.tokens)).toBe(Object.values(sent.tokens).reduce((a, b) => a + b, 0));
    },
  );

  it("names the user from the resource when the data point lacks the identity (OTEL_METRICS_INCLUDE_RESOURCE_ATTRIBUTES=false), and an installation by its user.id", async () => {
    const team = "team-identity-chain";
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ "service.name": "claude-code", team, "enduser.id": "jdoe" }),
      readers: [new PeriodicExportingMetricReader({ exporter: exporter(collector, "http/protobuf", "delta"), exportIntervalMillis: 3_600_000 })],
    });
    const cost = provider.getMeter(METER_NAME, CLIENT_VERSION).createCounter(METRICS.cost.name, { unit: METRICS.cost.unit });
    // Both sessions carry user.id; only the resource carries enduser.id, and it comes first in the chain.
    cost.add(0.5, { "session.id": `${team}-a`, team, model: "claude-sonnet", "user.id": "inst-a" });
    await exportLater(provider);
    await provider.shutdown();
    const anonymous = new MeterProvider({
      resource: resourceFromAttributes({ "service.name": "claude-code", team }),
      readers: [new PeriodicExportingMetricReader({ exporter: exporter(collector, "grpc", "delta"), exportIntervalMillis: 3_600_000 })],
    });
    anonymous
      .getMeter(METER_NAME, CLIENT_VERSION)
      .createCounter(METRICS.cost.name, { unit: METRICS.cost.unit })
      .add(0.25, { "session.id": `${team}-b`, team, model: "claude-sonnet", "user.id": "inst-b" });
    await exportLater(anonymous);
    await anonymous.shutdown();

    const byUser = async () =>
      Object.fromEntries(
        (await queryPrometheus(prometheus.url, `sum by (user) (sum_over_time(${C.cost.series}{team="${team}"}[10m]))`)).map((r) => [
          r.metric.user,
          Number(r.value?.[1]),
        ]),
      );
    await waitFor(async () => Object.keys(await byUser()).length === 2, 30_000);
    expect(await byUser()).toEqual({ jdoe: 0.5, [`${INSTALLATION_PREFIX}inst-b`]: 0.25 });
  });

  describe("events", () => {
    it("reach the Loki double's OTLP endpoint with their attributes, over both protocols", async () => {
      const protocols = ["http/protobuf", "grpc"] as const;
      await Promise.all(
        protocols.map(async (protocol) => {
          const marker = `events-${protocol.replace(/\W/g, "")}`;
          const model = buildModel({ seed: 11, users: 2, sessions: 3, durationMs: 60_000, marker });
          const endpoint = protocol === "grpc" ? collector.grpcEndpoint : collector.httpEndpoint;
          const stats = await emitBurst(model, otlpExporters({ endpoint, protocol, temporality: "cumulative" }));
          expect(stats.exportErrors, stats.lastError).toBe(0);
          const mine = () => loki.entries().filter((e) => e.structuredMetadata.simulation_run === marker);
          await waitFor(() => mine().length >= stats.events, 30_000);
          expect(mine()).toHaveLength(stats.events);
          const request = mine().find((e) => e.structuredMetadata.event_name === "api_request");
          expect(request?.line).toBe("claude_code.api_request");
          expect(Number(request?.structuredMetadata.cost_usd)).toBeGreaterThan(0);
          expect(request?.stream.service_name).toMatch(/^claude-code(-desktop)?$/);
          // The same events counted into the API series the error alerts read: exactly what was sent.
          const sent = expectedTotals(model).events;
          expect(sent.api_request).toBeGreaterThan(0);
          const count = async (c: ApiEventCounter) =>
            Number((await queryPrometheus(prometheus.url, `sum(sum_over_time(${c.series}{simulation_run="${marker}"}[10m]))`))[0]?.value?.[1] ?? 0);
          await waitFor(async () => (await count(API.requests)) === sent.api_request && (await count(API.errors)) === sent.api_error, 30_000).catch(
            async () => {
              throw new Error(`API events counted ${await count(API.requests)} / ${await count(API.errors)}, sent ${sent.api_request} / ${sent.api_error}`);
            },
          );
          // Labelled by model and org, never by person or session.
          expect(API.requests.series).toBe("claude_code_api_requests_increment");
          expect(API.errors.series).toBe("claude_code_api_errors_increment");
          const [series] = await queryPrometheus(prometheus.url, `last_over_time(${API.requests.series}{simulation_run="${marker}"}[10m])`);
          expect(Object.keys(series?.metric ?? {}).sort()).toEqual(
            ["__name__", "cost_center", "department", "environment", "instance", "job", "model", "service_name", "simulation_run", "team"].sort(),
          );
        }),
      );
    });
  });
});
