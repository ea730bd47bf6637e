// The real tools the other tests rely on: they run, they are the versions the project targets,
// and synthetic Claude Code metrics travel OTLP → vmagent → Prometheus with the names and labels
// the OpenTelemetry Collector's `prometheus` exporter gives them (the names dashboards query).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  METER_NAME,
  METRICS,
  SERVICE_NAMES,
  type MetricDef,
  promLabel,
  type ORG_ATTRIBUTES,
  type STANDARD_ATTRIBUTES,
} from "../components/claude/telemetry.js";
import {
  checkConfig,
  checkRules,
  describeWithTools,
  metricNames,
  packageVersion,
  queryPrometheus,
  runTool,
  startPrometheus,
  startVmagent,
  testRules,
  type RunningServer,
  type RunningVmagent,
} from "./support/tools.js";

function semver(text: string): [number, number, number] {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!m) throw new Error(`no version in: ${text}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

describeWithTools(["prometheus", "promtool", "vmagent"], "provisioned tools", () => {
  it("prometheus and promtool are the same 3.x release", async () => {
    const prom = await runTool("prometheus", ["--version"]);
    const tool = await runTool("promtool", ["--version"]);
    expect(prom.code).toBe(0);
    expect(tool.code).toBe(0);
    const pv = semver(prom.stdout + prom.stderr);
    expect(pv[0]).toBe(3);
    expect(semver(tool.stdout + tool.stderr)).toEqual(pv);
  });

  it("vmagent runs and has the OTLP naming flags the harness uses", async () => {
    expect(semver(packageVersion("vmagent") ?? "")[0]).toBeGreaterThanOrEqual(1);
    const help = await runTool("vmagent", ["-help"]);
    const text = help.stdout + help.stderr;
    for (const flag of ["-opentelemetry.usePrometheusNaming", "-opentelemetry.promoteAllResourceAttributes", "-remoteWrite.relabelConfig"]) {
      expect(text).toContain(flag);
    }
  });

  it("promtool accepts good files and rejects bad ones", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "promtool-"));
    try {
      const write = (name: string, body: string) => {
        const file = path.join(dir, name);
        writeFileSync(file, body);
        return file;
      };
      const rules = write(
        "rules.yml",
        `groups:\n- name: g\n  rules:\n  - record: job:up:sum\n    expr: sum by (job) (up)\n`,
      );
      const badRules = write("bad.yml", `groups:\n- name: g\n  rules:\n  - record: x\n    expr: sum(rate(up[5m])\n`);
      const config = write("prometheus.yml", `global:\n  scrape_interval: 15s\nrule_files: [rules.yml]\n`);
      const badConfig = write("bad-prometheus.yml", `global:\n  scrape_interval: fifteen\n`);
      const unit = write(
        "test.yml",
        [
          "rule_files: [rules.yml]",
          "evaluation_interval: 1m",
          "tests:",
          "- interval: 1m",
          "  input_series:",
          "  - {series: 'up{job=\"a\"}', values: '1 1 1'}",
          "  - {series: 'up{job=\"a\",instance=\"2\"}', values: '1 1 1'}",
          "  promql_expr_test:",
          "  - {expr: 'job:up:sum', eval_time: 2m, exp_samples: [{labels: 'job:up:sum{job=\"a\"}', value: 2}]}",
          "",
        ].join("\n"),
      );
      expect((await checkRules(rules)).code).toBe(0);
      const bad = await checkRules(badRules);
      expect(bad.code).not.toBe(0);
      expect(bad.stdout + bad.stderr).toMatch(/parse error|unclosed/i);
      expect((await checkConfig(config)).code).toBe(0);
      expect((await checkConfig(badConfig)).code).not.toBe(0);
      const tested = await testRules(unit);
      expect(tested.stdout + tested.stderr).toContain("SUCCESS");
      expect(tested.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Attribute keys, typed against the catalog so a rename there breaks this test at compile time.
const SESSION_ID: (typeof STANDARD_ATTRIBUTES)[number] = "session.id";
const TEAM: (typeof ORG_ATTRIBUTES)[number] = "team";
const MODEL: keyof typeof METRICS.cost.attributes = "model";

describeWithTools(["prometheus", "vmagent"], "OTLP metrics through vmagent into Prometheus", () => {
  let prometheus: RunningServer;
  let vmagent: RunningVmagent;

  beforeAll(async () => {
    prometheus = await startPrometheus({ configYaml: "global:\n  scrape_interval: 15s\n" });
    vmagent = await startVmagent({ remoteWriteUrl: `${prometheus.url}/api/v1/write` });
  });

  afterAll(async () => {
    await vmagent?.stop();
    await prometheus?.stop();
  });

  // What two sessions of one team send: cumulative counters, the team both on the resource (as
  // OTEL_RESOURCE_ATTRIBUTES puts it) and on every data point (as Claude Code copies it).
  const sessions = [
    { id: "session-a", model: "claude-sonnet", cost: [0.125, 0.5], active: [3, 4.5], count: [1] },
    { id: "session-b", model: "claude-opus", cost: [2.25], active: [10], count: [1] },
  ];
  const team = "platform";
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

  it("stores every catalog metric under the collector's name, with its labels and values", async () => {
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ "service.name": SERVICE_NAMES[0], "service.version": "2.1.300", [TEAM]: team }),
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({
            url: vmagent.otlpMetricsUrl,
            temporalityPreference: AggregationTemporality.CUMULATIVE,
          }),
          exportIntervalMillis: 60_000,
        }),
      ],
    });
    const meter = provider.getMeter(METER_NAME, "2.1.300");
    const counter = (m: MetricDef) => meter.createCounter(m.name, m.unit ? { unit: m.unit } : {});
    const cost = counter(METRICS.cost);
    const active = counter(METRICS.activeTime);
    const count = counter(METRICS.session);
    for (const s of sessions) {
      const attrs = { [SESSION_ID]: s.id, [TEAM]: team, [MODEL]: s.model };
      s.cost.forEach((v) => cost.add(v, attrs));
      s.active.forEach((v) => active.add(v, attrs));
      s.count.forEach((v) => count.add(v, attrs));
    }
    // Every other catalog metric once, so each catalog name is checked against the translation.
    const detailed: readonly MetricDef[] = [METRICS.cost, METRICS.activeTime, METRICS.session];
    const others = Object.values(METRICS).filter((m) => !detailed.includes(m));
    for (const m of others) counter(m).add(1, { [SESSION_ID]: "session-a" });
    await provider.forceFlush();
    await provider.shutdown();
    await vmagent.flush();

    const expectedNames = Object.values(METRICS).map((m) => m.prometheus).sort();
    const stored = (await metricNames(prometheus.url)).filter((n) => n.startsWith("claude_code"));
    expect(stored.sort()).toEqual(expectedNames);

    const cases = [
      { metric: METRICS.cost.prometheus, pick: (s: (typeof sessions)[number]) => s.cost },
      { metric: METRICS.activeTime.prometheus, pick: (s: (typeof sessions)[number]) => s.active },
      { metric: METRICS.session.prometheus, pick: (s: (typeof sessions)[number]) => s.count },
    ];
    for (const { metric, pick } of cases) {
      const series = await queryPrometheus(prometheus.url, metric);
      expect(series, metric).toHaveLength(sessions.length);
      for (const s of sessions) {
        const found = series.find((x) => x.metric[promLabel(SESSION_ID)] === s.id);
        expect(found, `${metric} for ${s.id}`).toBeDefined();
        expect(found?.metric).toEqual({
          __name__: metric,
          [promLabel(SESSION_ID)]: s.id,
          [promLabel(TEAM)]: team,
          [promLabel(MODEL)]: s.model,
          job: SERVICE_NAMES[0],
          service_name: SERVICE_NAMES[0],
          otel_scope_name: METER_NAME,
          otel_scope_version: "2.1.300",
        });
        expect(Number(found?.value?.[1])).toBeCloseTo(sum(pick(s)), 9);
      }
    }
  });
});
