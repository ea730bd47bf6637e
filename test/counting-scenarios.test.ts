// The counting design under the operations that broke the old one, with the real collector (the
// rendered config) and the real Prometheus: Claude Code-shaped delta clients (OTel JS SDK, the managed
// settings' temporality) whose exports go to two collector replicas in turn; a collector restarted
// between two exports of a running session; Prometheus down while a session keeps exporting, then
// back on its TSDB; and a cumulative session silent for two days of its own clock. The sums the
// dashboards read must equal what was sent, exactly.
//
// The outage lasts OUTAGE_SECONDS (default 45, to keep the suite short; the collector retries for
// Prometheus' whole out-of-order window, 30 minutes): `OUTAGE_SECONDS=900 npx vitest run
// test/counting-scenarios.test.ts` runs the 15-minute one.
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import type { ExportResult } from "@opentelemetry/core";
import { METER_NAME, METRICS } from "../components/claude/telemetry.js";
import { parseSettings } from "../components/settings.js";
import { USAGE_COUNTERS as C } from "../components/usage-series.js";
import { renderedCollectorConfig, startCollector, type RunningCollector } from "./support/collector.js";
import { describeWithTools, queryPrometheus, startPrometheus, waitFor, type RestartablePrometheus } from "./support/tools.js";
import { sleep } from "../lib/poll.js";
import { renderedPrometheus } from "./support/prometheus-files.js";

const SETTINGS = parseSettings({ target: "docker" }, "scenarios");
const OUTAGE_SECONDS = Number(process.env.OUTAGE_SECONDS ?? 45);
/** A session's export interval while Prometheus is down. */
const EXPORT_EVERY_MS = 5_000;
/** The servers' bound on their life: the longest case, the outage, with room. */
const LIFETIME_MS = (OUTAGE_SECONDS + 300) * 1000;

/** Sends each export to the next of `targets` in turn, as a load balancer without affinity would. */
class RoundRobin implements PushMetricExporter {
  private next = 0;
  constructor(private readonly targets: () => readonly PushMetricExporter[]) {}
  export(metrics: ResourceMetrics, done: (r: ExportResult) => void): void {
    const all = this.targets();
    const target = all[this.next++ % all.length] as PushMetricExporter;
    target.export(metrics, done);
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
  selectAggregationTemporality(): AggregationTemporality {
    return AggregationTemporality.DELTA;
  }
}

const otlp = (c: RunningCollector) => new OTLPMetricExporter({ url: `${c.httpEndpoint}/v1/metrics`, temporalityPreference: AggregationTemporality.DELTA });

function session(team: string, exporter: PushMetricExporter) {
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": "claude-code", team }),
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
  });
  const meter = provider.getMeter(METER_NAME);
  return { provider, cost: meter.createCounter(METRICS.cost.name), sessions: meter.createCounter(METRICS.session.name) };
}

describeWithTools(["otelcol", "prometheus"], "counting across replicas and restarts (real collector, real Prometheus)", () => {
  let prometheus: RestartablePrometheus;
  const collectors: RunningCollector[] = [];
  const start = async (hostname: string) => {
    const c = await startCollector({
      config: renderedCollectorConfig(SETTINGS, { prometheus: prometheus.url, loki: "http://127.0.0.1:9" }),
      env: { HOSTNAME: hostname },
      maxLifetimeMs: LIFETIME_MS,
    });
    collectors.push(c);
    return c;
  };
  const total = async (team: string, by = "") =>
    queryPrometheus(prometheus.url, `sum${by ? ` by (${by})` : ""} (sum_over_time(${C.cost.series}{team="${team}"}[10m]))`);
  const scalar = async (team: string) => Number((await total(team))[0]?.value?.[1] ?? NaN);

  beforeAll(async () => {
    // The project's own config: its out-of-order window takes the writes the collector retries
    // after an outage, which need not arrive in order.
    prometheus = await startPrometheus({ ...renderedPrometheus(SETTINGS), maxLifetimeMs: LIFETIME_MS });
  }, 60_000);

  afterAll(async () => {
    for (const c of collectors) await c.stop();
    await prometheus?.stop();
  });

  it("two replicas without stream affinity: every export counted once, one series per replica", async () => {
    const [a, b] = [await start("replica-a"), await start("replica-b")];
    const exporters = [otlp(a), otlp(b)];
    const team = "replicas";
    const s = session(team, new RoundRobin(() => exporters));
    const attrs = { "session.id": "r1", team, model: "m", "user.email": "r@example.com" };
    const sent = [0.5, 0.25, 1.5, 0.125, 2];
    for (const v of sent) {
      s.cost.add(v, attrs);
      await s.provider.forceFlush();
    }
    await s.provider.shutdown();
    const want = sent.reduce((x, y) => x + y, 0);
    await waitFor(async () => (await scalar(team)) === want, 30_000);
    const byReplica = await total(team, "instance");
    expect(byReplica.map((r) => r.metric.instance).sort()).toEqual(["replica-a", "replica-b"]);
    expect(byReplica.reduce((x, r) => x + Number(r.value?.[1]), 0)).toBe(want);
  }, 60_000);

  it("a collector restarted mid-session: the exports before and after are each counted once", async () => {
    const team = "restart";
    let current = await start("restarted");
    const s = session(team, new RoundRobin(() => [otlp(current)]));
    const attrs = { "session.id": "s1", team, model: "m", "user.email": "s@example.com" };
    s.sessions.add(1, attrs);
    s.cost.add(1.25, attrs);
    await s.provider.forceFlush();
    await waitFor(async () => (await scalar(team)) === 1.25, 30_000);
    await current.stop();
    // The session keeps working while the collector is away; its next export goes to the new process.
    s.cost.add(0.75, attrs);
    current = await start("restarted");
    await s.provider.forceFlush();
    await s.provider.shutdown();
    await waitFor(async () => (await scalar(team)) === 2, 30_000);
    const sessions = await queryPrometheus(prometheus.url, `sum(sum_over_time(${C.sessions.series}{team="${team}"}[10m]))`);
    expect(Number(sessions[0]?.value?.[1])).toBe(1);
  }, 60_000);

  it(
    `Prometheus down for ${OUTAGE_SECONDS} s while a session keeps exporting: everything arrives once it is back`,
    async () => {
      const team = "outage";
      const collector = await start("outage");
      const s = session(team, otlp(collector));
      const attrs = { "session.id": "o1", team, model: "m", "user.email": "o@example.com" };
      let sent = 0.5;
      s.cost.add(0.5, attrs);
      await s.provider.forceFlush();
      await waitFor(async () => (await scalar(team)) === sent, 30_000);

      let downAt = 0;
      let upAt = 0;
      await prometheus.restart(async () => {
        downAt = Date.now() / 1000;
        for (let i = 1; Date.now() / 1000 - downAt < OUTAGE_SECONDS; i++) {
          s.cost.add(0.25 * i, attrs);
          sent += 0.25 * i;
          await s.provider.forceFlush();
          await sleep(EXPORT_EVERY_MS);
        }
        upAt = Date.now() / 1000;
      });
      await s.provider.shutdown();
      // Retries back off to 30 s between attempts.
      await waitFor(async () => (await scalar(team)) === sent, 90_000).catch(async (e: Error) => {
        throw new Error(`${e.message}: ${await scalar(team)} stored, ${sent} sent\n${collector.logs().split("\n").slice(-15).join("\n")}`);
      });
      // The increments made while Prometheus was down are stored at the times they were summed.
      const range = Math.ceil(Date.now() / 1000 - downAt) + 60;
      const samples = (await queryPrometheus(prometheus.url, `${C.cost.series}{team="${team}"}[${range}s]`)).flatMap((r) => r.values ?? []);
      const during = samples.filter(([t]) => t > downAt && t < upAt);
      expect(during.length).toBeGreaterThanOrEqual(Math.floor(OUTAGE_SECONDS / (EXPORT_EVERY_MS / 1000)) - 1);
    },
    (OUTAGE_SECONDS + 180) * 1000,
  );

  it("a cumulative session silent for two days (its own clock) resumes: its first value and then only its growth are counted", async () => {
    const team = "silent";
    const collector = await start("silent");
    // OTLP/JSON as a cumulative client writes it: one stream, start time after the collector started.
    const startNs = BigInt(Date.now()) * 1_000_000n;
    const point = (atNs: bigint, value: number) => ({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "claude-code" } }] },
          scopeMetrics: [
            {
              scope: { name: METER_NAME },
              metrics: [
                {
                  name: METRICS.cost.name,
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: [
                      {
                        startTimeUnixNano: String(startNs),
                        timeUnixNano: String(atNs),
                        asDouble: value,
                        attributes: [
                          { key: "session.id", value: { stringValue: "c1" } },
                          { key: "team", value: { stringValue: team } },
                          { key: "model", value: { stringValue: "m" } },
                          { key: "user.email", value: { stringValue: "c@example.com" } },
                        ],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const post = async (body: unknown) => {
      const res = await fetch(`${collector.httpEndpoint}/v1/metrics`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
    };
    const TWO_DAYS_NS = 2n * 86_400n * 1_000_000_000n;
    await post(point(startNs + 1_000_000_000n, 1.5));
    await waitFor(async () => (await scalar(team)) === 1.5, 30_000);
    await post(point(startNs + TWO_DAYS_NS, 4));
    await waitFor(async () => (await scalar(team)) === 4, 30_000);
  }, 60_000);
});
