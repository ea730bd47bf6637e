// Claude Code-shaped telemetry (OpenTelemetry JS SDK) → the real collector running the rendered
// local config → the real Prometheus (remote-write receiver) and the Loki double. For gRPC and
// HTTP/protobuf, cumulative and delta clients: every catalog metric is stored under the catalog's
// name, with exactly the labels dashboards read (nothing duplicated, nothing unexpected), and totals
// equal to what was sent; deltas are turned into cumulative series; events reach Loki's OTLP API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Metadata } from "@grpc/grpc-js";
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from "@opentelemetry/sdk-metrics";
import { OTLPMetricExporter as ProtoMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { OTLPMetricExporter as GrpcMetricExporter } from "@opentelemetry/exporter-metrics-otlp-grpc";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { METER_NAME, METRICS, type MetricDef } from "../components/claude/telemetry.js";
import { parseSettings } from "../components/settings.js";
import { buildModel, emitBurst, emitLive, expectedTotals, otlpExporters } from "../simulator/index.js";
import { startLokiDouble, type LokiDouble } from "./support/loki-double.js";
import { renderedCollectorConfig, startCollector, type RunningCollector } from "./support/collector.js";
import { describeWithTools, metricNames, queryPrometheus, startPrometheus, waitFor, type RunningServer } from "./support/tools.js";

type Protocol = "grpc" | "http/protobuf";
type Temporality = "cumulative" | "delta";
const CASES: Array<[Protocol, Temporality]> = [
  ["http/protobuf", "cumulative"],
  ["grpc", "cumulative"],
  ["http/protobuf", "delta"],
  ["grpc", "delta"],
];

/** The Prometheus names of the catalog, written out: the names every dashboard query uses. */
const EXPECTED_NAMES = [
  "claude_code_active_time_seconds_total",
  "claude_code_code_edit_tool_decision_total",
  "claude_code_commit_count_total",
  "claude_code_cost_usage_USD_total",
  "claude_code_lines_of_code_count_total",
  "claude_code_pull_request_count_total",
  "claude_code_session_count_total",
  "claude_code_token_usage_tokens_total",
];

const CLIENT_VERSION = "2.1.300";

function exporter(collector: RunningCollector, protocol: Protocol, temporality: Temporality): PushMetricExporter {
  const temporalityPreference = temporality === "delta" ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
  return protocol === "grpc"
    ? new GrpcMetricExporter({ url: collector.grpcEndpoint, metadata: new Metadata(), temporalityPreference })
    : new ProtoMetricExporter({ url: `${collector.httpEndpoint}/v1/metrics`, temporalityPreference });
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
    const b = { "session.id": `${team}-b`, team, model: "claude-opus" };
    // Two exports, so a delta client sends increments that only add up in the collector.
    cost.add(0.125, a);
    tokens.add(1000, { ...a, type: "input" });
    cost.add(2.25, b);
    for (const m of others) counter(m).add(1, { "session.id": `${team}-a`, team });
    await provider.forceFlush();
    cost.add(0.5, a);
    tokens.add(250, { ...a, type: "input" });
    tokens.add(40, { ...a, type: "output" });
    await provider.forceFlush();
    await provider.shutdown();

    const q = (expr: string) => queryPrometheus(prometheus.url, expr);
    await waitFor(async () => (await q(`count({__name__=~"claude_code_.+", team="${team}"})`))[0]?.value?.[1] === String(2 + 2 + others.length), 30_000);

    const names = (await metricNames(prometheus.url)).filter((n) => n.startsWith("claude_code"));
    expect(names.sort()).toEqual(EXPECTED_NAMES);
    expect(
      Object.values(METRICS)
        .map((m) => m.prometheus)
        .sort(),
    ).toEqual(EXPECTED_NAMES);

    const costSeries = await q(`claude_code_cost_usage_USD_total{team="${team}"}`);
    const labelsOf = (session: string) => costSeries.find((s) => s.metric.session_id === session)?.metric;
    const common = {
      __name__: "claude_code_cost_usage_USD_total",
      team,
      job: "claude-code",
      service_name: "claude-code",
      otel_scope_name: METER_NAME,
      otel_scope_version: CLIENT_VERSION,
    };
    expect(labelsOf(`${team}-a`)).toEqual({ ...common, session_id: `${team}-a`, model: "claude-sonnet" });
    expect(labelsOf(`${team}-b`)).toEqual({ ...common, session_id: `${team}-b`, model: "claude-opus" });
    const valueOf = (series: typeof costSeries, session: string, extra: Record<string, string> = {}) =>
      Number(series.find((s) => s.metric.session_id === session && Object.entries(extra).every(([k, v]) => s.metric[k] === v))?.value?.[1]);
    expect(valueOf(costSeries, `${team}-a`)).toBeCloseTo(0.625, 9);
    expect(valueOf(costSeries, `${team}-b`)).toBeCloseTo(2.25, 9);

    const tokenSeries = await q(`claude_code_token_usage_tokens_total{team="${team}"}`);
    expect(valueOf(tokenSeries, `${team}-a`, { type: "input" })).toBe(1250);
    expect(valueOf(tokenSeries, `${team}-a`, { type: "output" })).toBe(40);
    for (const m of others) {
      const series = await q(`${m.prometheus}{team="${team}"}`);
      expect(
        series.map((s) => Number(s.value?.[1])),
        m.prometheus,
      ).toEqual([1]);
      expect(Object.keys(series[0]?.metric ?? {}).sort(), m.prometheus).toEqual([
        "__name__",
        "job",
        "otel_scope_name",
        "otel_scope_version",
        "service_name",
        "session_id",
        "team",
      ]);
    }
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
      const total = async (metric: string) => Number((await queryPrometheus(prometheus.url, `sum(${metric}{simulation_run="${marker}"})`))[0]?.value?.[1]);
      await waitFor(async () => Math.abs((await total(METRICS.cost.prometheus)) - sent.costUsd) < 1e-9, 30_000);
      expect(await total(METRICS.cost.prometheus)).toBeCloseTo(sent.costUsd, 9);
      expect(await total(METRICS.session.prometheus)).toBe(sent.sessions);
      expect(await total(METRICS.tokens.prometheus)).toBe(Object.values(sent.tokens).reduce((a, b) => a + b, 0));
    },
  );

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
        }),
      );
    });
  });
});
