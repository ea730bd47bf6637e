// The counting design under the operations that broke the old one, with the real collector (the
// rendered config) and the real Prometheus: Claude Code-shaped delta clients (OTel JS SDK, the managed
// settings' temporality) whose exports go to two collector replicas in turn; a collector restarted
// between two exports of a running session; Prometheus down while a session keeps exporting, then
// back on its TSDB; cumulative sessions whose points are days apart, and one silent longer than the
// collector remembers a stream (the documented limit of cumulative clients). The sums the dashboards
// read must equal what was sent, exactly (or, for that limit, show exactly how it overcounts).
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
import { USAGE_COUNTERS as C, type UsageCounter } from "../components/usage-series.js";
import { CUMULATIVE_STREAM_MEMORY } from "../components/collector-usage.js";
import { activePeople, total as total_ } from "../dashboards/queries.js";
import { substitute } from "../dashboards/panel-queries.js";
import { renderedCollectorConfig, startCollector, type RunningCollector } from "./support/collector.js";
import { describeWithTools, queryPrometheus, startPrometheus, waitFor, type RestartablePrometheus } from "./support/tools.js";
import { sleep } from "../lib/poll.js";
import { renderedPrometheus } from "./support/prometheus-files.js";

const SETTINGS = parseSettings({ target: "docker" }, "scenarios");
const OUTAGE_SECONDS = Number(process.env.OUTAGE_SECONDS ?? 45);
// Longer outages are beyond what the stack promises (Prometheus' out-of-order window) and the hour
// the checks read.
if (!(OUTAGE_SECONDS > 0 && OUTAGE_SECONDS <= 1800)) throw new Error(`OUTAGE_SECONDS must be 1 to 1800, not ${process.env.OUTAGE_SECONDS}`);
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

/** What a scenario sent: the figures the dashboards must show for its team. */
interface Sent {
  cost: number;
  tokens: number;
  sessions: number;
  linesOfCode: number;
  commits: number;
  pullRequests: number;
  people: Set<string>;
}

/** One Claude Code process (OTel JS SDK, delta) of one team, and the totals of what it sent. */
function session(team: string, exporter: PushMetricExporter) {
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": "claude-code", team }),
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
  });
  const meter = provider.getMeter(METER_NAME);
  const counters = {
    cost: meter.createCounter(METRICS.cost.name),
    tokens: meter.createCounter(METRICS.tokens.name),
    sessions: meter.createCounter(METRICS.session.name),
    linesOfCode: meter.createCounter(METRICS.linesOfCode.name),
    commits: meter.createCounter(METRICS.commit.name),
    pullRequests: meter.createCounter(METRICS.pullRequest.name),
  };
  const sent: Sent = { cost: 0, tokens: 0, sessions: 0, linesOfCode: 0, commits: 0, pullRequests: 0, people: new Set() };
  const attrs = (id: string, email: string) => ({ "session.id": id, team, model: "m", "user.email": email });
  return {
    provider,
    sent,
    /** A session starts (counted once). */
    start(id: string, email: string) {
      counters.sessions.add(1, attrs(id, email));
      sent.sessions += 1;
    },
    /** Work between two exports: cost `usd` and, in proportion, tokens, lines, a commit and a PR. */
    work(id: string, email: string, usd: number) {
      const a = attrs(id, email);
      const tokens = Math.round(usd * 4000);
      const lines = Math.round(usd * 40);
      counters.cost.add(usd, a);
      counters.tokens.add(tokens, { ...a, type: "input" });
      counters.linesOfCode.add(lines, { ...a, type: "added" });
      counters.commits.add(1, a);
      counters.pullRequests.add(1, a);
      Object.assign(sent, { cost: sent.cost + usd, tokens: sent.tokens + tokens, linesOfCode: sent.linesOfCode + lines });
      sent.commits += 1;
      sent.pullRequests += 1;
      sent.people.add(email);
    },
  };
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
  // Over the last hour, as the dashboards' queries below (their $__range): longer than any case.
  const total = async (team: string, by = "") =>
    queryPrometheus(prometheus.url, `sum${by ? ` by (${by})` : ""} (sum_over_time(${C.cost.series}{team="${team}"}[1h]))`);
  const scalar = async (team: string) => Number((await total(team))[0]?.value?.[1] ?? NaN);
  const value = async (promql: string) => Number((await queryPrometheus(prometheus.url, promql))[0]?.value?.[1] ?? NaN);
  /** The dashboards' own queries (the team picked, the last hour) against what the scenario sent. */
  const expectDashboardsShow = async (team: string, sent: Sent) => {
    const shown = async (c: UsageCounter) => value(substitute(total_(c), { team }));
    expect(await shown(C.cost), "cost").toBe(sent.cost);
    expect(await shown(C.tokens), "tokens").toBe(sent.tokens);
    expect(await shown(C.sessions), "sessions").toBe(sent.sessions);
    expect(await shown(C.linesOfCode), "lines of code").toBe(sent.linesOfCode);
    expect(await shown(C.commits), "commits").toBe(sent.commits);
    expect(await shown(C.pullRequests), "pull requests").toBe(sent.pullRequests);
    expect(await value(substitute(activePeople(), { team })), "active people").toBe(sent.people.size);
  };

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
    s.start("r1", "r@example.com");
    s.start("r2", "q@example.com");
    for (const usd of [0.5, 0.25, 1.5, 0.125, 2]) {
      s.work("r1", "r@example.com", usd);
      s.work("r2", "q@example.com", usd / 2);
      await s.provider.forceFlush();
    }
    await s.provider.shutdown();
    await waitFor(async () => (await scalar(team)) === s.sent.cost, 30_000);
    const byReplica = await total(team, "instance");
    expect(byReplica.map((r) => r.metric.instance).sort()).toEqual(["replica-a", "replica-b"]);
    expect(byReplica.reduce((x, r) => x + Number(r.value?.[1]), 0)).toBe(s.sent.cost);
    await expectDashboardsShow(team, s.sent);
  }, 60_000);

  it("a collector restarted mid-session: the exports before and after are each counted once", async () => {
    const team = "restart";
    let current = await start("restarted");
    const s = session(team, new RoundRobin(() => [otlp(current)]));
    s.start("s1", "s@example.com");
    s.work("s1", "s@example.com", 1.25);
    await s.provider.forceFlush();
    await waitFor(async () => (await scalar(team)) === 1.25, 30_000);
    await current.stop();
    // The session keeps working while the collector is away; its next export goes to the new process.
    s.work("s1", "s@example.com", 0.75);
    current = await start("restarted");
    await s.provider.forceFlush();
    await s.provider.shutdown();
    await waitFor(async () => (await scalar(team)) === 2, 30_000);
    await expectDashboardsShow(team, s.sent);
  }, 60_000);

  it(
    `Prometheus down for ${OUTAGE_SECONDS} s while a session keeps exporting: everything arrives once it is back`,
    async () => {
      const team = "outage";
      const collector = await start("outage");
      const s = session(team, otlp(collector));
      s.start("o1", "o@example.com");
      s.work("o1", "o@example.com", 0.5);
      await s.provider.forceFlush();
      await waitFor(async () => (await scalar(team)) === s.sent.cost, 30_000);

      let downAt = 0;
      let upAt = 0;
      await prometheus.restart(async () => {
        downAt = Date.now() / 1000;
        for (let i = 1; Date.now() / 1000 - downAt < OUTAGE_SECONDS; i++) {
          s.work("o1", "o@example.com", 0.25 * i);
          // A second person starts during the outage.
          if (i === 2) s.start("o2", "p@example.com");
          if (i >= 2) s.work("o2", "p@example.com", 0.125);
          await s.provider.forceFlush();
          await sleep(EXPORT_EVERY_MS);
        }
        upAt = Date.now() / 1000;
      });
      await s.provider.shutdown();
      // Retries back off to 30 s between attempts.
      await waitFor(async () => (await scalar(team)) === s.sent.cost, 90_000).catch(async (e: Error) => {
        const stored = await queryPrometheus(prometheus.url, `${C.cost.series}{team="${team}"}[1h]`);
        const values = stored.map((r) => `${r.metric.user}: ${(r.values ?? []).map(([t, v]) => `${t}=${v}`).join(" ")}`).join("\n");
        const problems = (log: string) =>
          log
            .split("\n")
            .filter((l) => /error|warn|drop|refus/i.test(l) && !/^\s/.test(l))
            .slice(-20)
            .join("\n");
        throw new Error(
          `${e.message}: ${await scalar(team)} stored, ${s.sent.cost} sent (down ${downAt}–${upAt})\n${values}\ncollector:\n${problems(collector.logs())}\nprometheus:\n${problems(prometheus.logs())}`,
        );
      });
      await expectDashboardsShow(team, s.sent);
      // The increments made while Prometheus was down are stored at the times they were summed.
      const range = Math.ceil(Date.now() / 1000 - downAt) + 60;
      const samples = (await queryPrometheus(prometheus.url, `${C.cost.series}{team="${team}", user="o@example.com"}[${range}s]`)).flatMap(
        (r) => r.values ?? [],
      );
      const during = samples.filter(([t]) => t > downAt && t < upAt);
      expect(during.length).toBeGreaterThanOrEqual(Math.floor(OUTAGE_SECONDS / (EXPORT_EVERY_MS / 1000)) - 1);
    },
    (OUTAGE_SECONDS + 180) * 1000,
  );

  /** One cumulative cost point over OTLP/JSON, as a cumulative client writes it (one stream). */
  const postCumulative = async (collector: RunningCollector, team: string, startNs: bigint, atNs: bigint, value: number) => {
    const attr = (key: string, v: string) => ({ key, value: { stringValue: v } });
    const point = { startTimeUnixNano: String(startNs), timeUnixNano: String(atNs), asDouble: value };
    const body = {
      resourceMetrics: [
        {
          resource: { attributes: [attr("service.name", "claude-code")] },
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
                      { ...point, attributes: [attr("session.id", "c1"), attr("team", team), attr("model", "m"), attr("user.email", "c@example.com")] },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await fetch(`${collector.httpEndpoint}/v1/metrics`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  };
  const SECOND_NS = 1_000_000_000n;

  it("a cumulative session whose next point is two days later (its own clock): its first value, then only its growth", async () => {
    const team = "gap";
    const collector = await start("gap");
    const startNs = BigInt(Date.now()) * 1_000_000n; // after the collector started: the first value counts
    await postCumulative(collector, team, startNs, startNs + SECOND_NS, 1.5);
    await waitFor(async () => (await scalar(team)) === 1.5, 30_000);
    await postCumulative(collector, team, startNs, startNs + 2n * 86_400n * SECOND_NS, 4);
    await waitFor(async () => (await scalar(team)) === 4, 30_000);
  }, 60_000);

  it(`a cumulative session silent longer than cumulative_to_delta keeps a stream (${CUMULATIVE_STREAM_MEMORY}) is counted again in full: the documented limit`, async () => {
    // The same config with the stream memory cut to 2 s, so the silence fits a test.
    const team = "stale";
    const config = renderedCollectorConfig(SETTINGS, { prometheus: prometheus.url, loki: "http://127.0.0.1:9" });
    const memory = `max_staleness: ${CUMULATIVE_STREAM_MEMORY}`;
    expect(config).toContain(memory);
    const collector = await startCollector({ config: config.replace(memory, "max_staleness: 2s"), env: { HOSTNAME: "stale" }, maxLifetimeMs: LIFETIME_MS });
    collectors.push(collector);
    const startNs = BigInt(Date.now()) * 1_000_000n;
    await postCumulative(collector, team, startNs, startNs + SECOND_NS, 1.5);
    await waitFor(async () => (await scalar(team)) === 1.5, 30_000);
    await sleep(6_000); // past the stream memory (the processor forgets stale streams at that period)
    await postCumulative(collector, team, startNs, startNs + 10n * SECOND_NS, 4);
    // Forgotten, the stream looks new and started after the collector: its whole value counts again.
    await waitFor(async () => (await scalar(team)) === 5.5, 30_000);
  }, 60_000);
});
