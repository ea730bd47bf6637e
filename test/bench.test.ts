// The load benchmark's own parts: percentiles, OpenMetrics text, the remote-write encoding, the
// workload, the series the project's pipeline writes (checked against the real collector writing into
// the real Prometheus) and the recording rules' series computed beside them, the per-session series of
// the legacy design and its recorded series, and, with the real tools: that promtool ingests the text,
// that a real Prometheus takes the remote-write ingest without refusing or losing a sample and holds
// the same data, and that the recorded series of both designs equal what
// `promtool tsdb create-blocks-from rules` makes from their rules.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { METER_NAME, METRICS, ORG_ATTRIBUTES, STANDARD_ATTRIBUTES, promLabel, type MetricKey } from "../components/claude/telemetry.js";
import { RECORDED_LAST_SAMPLE, RECORDED_USERS } from "../components/prometheus-rules.js";
import { parseSettings } from "../components/settings.js";
import { liftedKeys } from "../components/collector-config.js";
import { ATTRIBUTED_COUNTERS, INSTALLATION_PREFIX, USAGE_COUNTERS, USAGE_SERIES, USER_ACTIVITY } from "../components/usage-series.js";
import { backfillRaw, blockDirs, usageWindowSeries, windows, type Design } from "../bench/backfill.js";
import { RECORDED_COUNTERS as LEGACY_COUNTERS, RECORDED_USERS as LEGACY_USERS } from "../bench/legacy-rules.js";
import { percentile, summarize } from "../bench/measure.js";
import { escapeLabelValue, formatTimestamp, formatValue, openMetricsText, typeLine, type WritableSeries } from "../bench/openmetrics.js";
import { parseBenchArgs } from "../bench/options.js";
import { UsageError } from "../lib/cli.js";
import { dashboardQueries, designDashboardQueries, graphStepMs, legacyExpr, ruleQueries } from "../bench/queries.js";
import { RecordedSeries, seriesIncreases, withUser } from "../bench/recorded.js";
import { rulesPerMinute } from "../bench/report.js";
import { PromtoolIngest } from "../bench/promtool-ingest.js";
import { laneOf, RemoteWriteIngest } from "../bench/remote-ingest.js";
import { encodeLabels, remoteWrite, varintLength, WriteRequestBuilder } from "../bench/remote-write.js";
import { backfillPasses, designRulesFile, recordingGroups, splitPass } from "../bench/rules.js";
import { batchTime, COLLECTOR_INSTANCE, rollupTime, sessionUsage, UsageRecorded, UsageSums, usagePipeline } from "../bench/usage.js";
import { exportTimes, pipelineLabels, sessionSeries, type SessionSeries } from "../bench/series.js";
import { buildModel, emitBurst, otlpExporters, resourceAttributes, sessionRecords } from "../simulator/index.js";
import { backfillRules, INGEST_BLOCK_HOURS, selfMetric, startIngestServer, startQueryServer, waitForCompaction } from "../bench/server.js";
import { startPrometheus } from "../bench/tools.js";
import { runToolOk } from "../lib/tool-runner.js";
import { buildOrganisation, DAY_MS, HOUR_MS, MINUTE_MS, personDaySessions, USAGE_PROFILE, type Organisation } from "../bench/workload.js";
import { renderedCollectorConfig, startCollector } from "./support/collector.js";
import { startStubBackend } from "./support/stub-backend.js";
import { describeWithTools, queryPrometheus, startPrometheus as startTestPrometheus, waitFor } from "./support/tools.js";

const settings = parseSettings({ target: "docker" }, "bench-test");
const LIFT = liftedKeys(settings.collector.labelAttributes);

/** A weekday at least two days back (inside any retention), at 00:00 UTC. */
function recentWednesday(): number {
  let day = Math.floor(Date.now() / DAY_MS) - 2;
  while (new Date(day * DAY_MS).getUTCDay() !== 3) day--;
  return day;
}

function sessionsOf(org: Organisation, day: number) {
  return org.people.flatMap((p) => personDaySessions(org, p, day));
}

describe("percentiles", () => {
  it("uses the nearest rank of the sorted values", () => {
    const values = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 95)).toBe(10);
    expect(percentile(values, 90)).toBe(9);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([42], 95)).toBe(42);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile(values, 101)).toThrow(/0\.\.100/);
    expect(summarize([3, 1, 2])).toEqual({ runs: 3, p50Ms: 2, p95Ms: 3, maxMs: 3 });
  });
});

describe("OpenMetrics text", () => {
  it("escapes label values and writes exact timestamps in seconds", () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(formatTimestamp(1_700_000_000_000)).toBe("1700000000");
    expect(formatTimestamp(1_700_000_000_123)).toBe("1700000000.123");
    expect(formatTimestamp(5)).toBe("0.005");
    expect(() => formatTimestamp(1.5)).toThrow(/whole milliseconds/);
    expect([formatValue(Number.NaN), formatValue(Infinity), formatValue(-Infinity), formatValue(0.25)]).toEqual(["NaN", "+Inf", "-Inf", "0.25"]);
  });

  it("announces each family once, counters as <family>_total, and ends with # EOF", () => {
    const a: SessionSeries = {
      metric: "cost",
      name: METRICS.cost.prometheus,
      labels: [["job", "x"]],
      samples: [
        { t: 60_000, v: 1 },
        { t: 120_000, v: 2 },
      ],
    };
    const b = { name: "claude_code:cost_usd:increase1m", labels: [["team", "t"]] as [string, string][], samples: [{ t: 60_000, v: 0.5 }] };
    const c: SessionSeries = { ...a, labels: [["job", "y"]], samples: [{ t: 60_000, v: 3 }] };
    const text = openMetricsText([a, b, c]);
    expect(typeLine(METRICS.cost.prometheus)).toBe("# TYPE claude_code_cost_usage_USD counter\n");
    expect(text).toBe(
      [
        "# TYPE claude_code:cost_usd:increase1m gauge",
        'claude_code:cost_usd:increase1m{team="t"} 0.5 60',
        "# TYPE claude_code_cost_usage_USD counter",
        'claude_code_cost_usage_USD_total{job="x"} 1 60',
        'claude_code_cost_usage_USD_total{job="x"} 2 120',
        'claude_code_cost_usage_USD_total{job="y"} 3 60',
        "# EOF",
        "",
      ].join("\n"),
    );
  });
});

describe("legacy design: the per-session series of a session", () => {
  const org = buildOrganisation({ seed: 3, users: 12 });
  const day = recentWednesday();
  const sessions = sessionsOf(org, day);

  it("exports every minute after start and once more at exit", () => {
    expect(exportTimes(0, 150_000)).toEqual([60_000, 120_000, 150_000]);
    expect(exportTimes(0, 120_000)).toEqual([60_000, 120_000]);
    expect(exportTimes(0, 30_000)).toEqual([30_000]);
  });

  it("has cumulative samples at export times whose last values are what the session sent", () => {
    expect(sessions.length).toBeGreaterThan(10);
    for (const session of sessions.slice(0, 8)) {
      const ticks = new Set(exportTimes(session.startMs, session.endMs));
      const all = sessionSeries(session, LIFT);
      for (const s of all) {
        expect(s.samples.length).toBeGreaterThan(0);
        for (const [i, x] of s.samples.entries()) {
          expect(ticks.has(x.t) || i === s.samples.length - 1).toBe(true);
          if (i > 0) expect(x.v).toBeGreaterThanOrEqual((s.samples[i - 1] as { v: number }).v);
        }
      }
      // From the model, not from the records: the cost of every request of the session.
      const requests = session.prompts.flatMap((p) => p.steps).filter((st) => st.kind === "request");
      const sentCost = requests.reduce((sum, r) => sum + (r.kind === "request" ? r.costUsd : 0), 0);
      const lastCost = all.filter((s) => s.metric === "cost").reduce((sum, s) => sum + (s.samples[s.samples.length - 1]?.v ?? 0), 0);
      expect(lastCost).toBeCloseTo(sentCost, 9);
      const sessionCount = all.filter((s) => s.metric === "session");
      expect(sessionCount).toHaveLength(1);
      expect(sessionCount[0]?.samples.every((x) => x.v === 1)).toBe(true);
    }
  });

  it("carries the labels the previous pipeline wrote through prometheus_remote_write, and no others", () => {
    const metricKeys = (m: MetricKey) => Object.keys(METRICS[m].attributes).map(promLabel);
    const standard = STANDARD_ATTRIBUTES.map(promLabel);
    const org = ORG_ATTRIBUTES.map(promLabel);
    let withEmail = 0;
    let withoutEmail = 0;
    for (const session of sessions) {
      for (const s of sessionSeries(session, LIFT)) {
        const names = s.labels.map(([k]) => k);
        expect(new Set(names).size).toBe(names.length);
        const allowed = new Set(["job", "service_name", "otel_scope_name", "otel_scope_version", ...org, ...standard, ...metricKeys(s.metric)]);
        expect(
          names.filter((n) => !allowed.has(n)),
          `${s.name}: ${names.join(",")}`,
        ).toEqual([]);
        for (const required of ["job", "service_name", "otel_scope_name", "otel_scope_version", ...org, "session_id", "user_id"])
          expect(names).toContain(required);
        const labels = new Map(s.labels);
        // job comes from service.name (no service.namespace); no instance (no service.instance.id).
        expect(labels.get("job")).toBe(session.installation.serviceName);
        expect(labels.get("service_name")).toBe(session.installation.serviceName);
        expect(labels.get("session_id")).toBe(session.id);
        expect(labels.get("team")).toBe(session.person.team);
        expect(labels.get("user_email")).toBe(session.person.email);
        if (session.person.email) withEmail++;
        else withoutEmail++;
        expect(s.name).toBe(METRICS[s.metric].prometheus);
      }
    }
    expect(withEmail).toBeGreaterThan(0);
    expect(withoutEmail).toBeGreaterThan(0);
  });

  it("labels every series as pipelineLabels labels its records' full attributes (the per-session shortcut changes nothing)", () => {
    let checked = 0;
    for (const session of sessions) {
      const resource = resourceAttributes(session);
      const expected = new Set(
        sessionRecords(session).flatMap((r) =>
          r.kind === "metric"
            ? [
                `${METRICS[r.metric].prometheus}${JSON.stringify(pipelineLabels(resource, r.attributes, LIFT, { name: METER_NAME, version: session.installation.serviceVersion }))}`,
              ]
            : [],
        ),
      );
      const got = sessionSeries(session, LIFT).map((x) => `${x.name}${JSON.stringify(x.labels)}`);
      expect(new Set(got).size).toBe(got.length);
      expect(new Set(got)).toEqual(expected);
      checked += got.length;
    }
    expect(checked).toBeGreaterThan(500);
  });

  it("lifts resource attributes only onto data points that lack them, as transform/labels does", () => {
    const resource = { "service.name": "claude-code", team: "from-resource", "os.type": "linux" };
    expect(pipelineLabels(resource, { "session.id": "s", team: "on-point" }, LIFT)).toEqual([
      ["job", "claude-code"],
      ["service_name", "claude-code"],
      ["session_id", "s"],
      ["team", "on-point"],
    ]);
    expect(new Map(pipelineLabels(resource, { "session.id": "s" }, LIFT)).get("team")).toBe("from-resource");
    const namespaced = new Map(pipelineLabels({ ...resource, "service.namespace": "ns", "service.instance.id": "i-1" }, {}, LIFT));
    expect(namespaced.get("job")).toBe("ns/claude-code");
    expect(namespaced.get("instance")).toBe("i-1");
  });
});

describe("workload", () => {
  it("is deterministic, busier on weekdays, and starts sessions in local working hours", () => {
    const org = buildOrganisation({ seed: 9, users: 200, utcOffsets: [0] });
    const wednesday = recentWednesday();
    const saturday = wednesday + 3;
    const wed = sessionsOf(org, wednesday);
    expect(sessionsOf(org, wednesday).map((s) => s.id)).toEqual(wed.map((s) => s.id));
    const activeWed = new Set(wed.map((s) => s.person.index)).size;
    const activeSat = new Set(sessionsOf(org, saturday).map((s) => s.person.index)).size;
    expect(activeWed / 200).toBeGreaterThan(0.7);
    expect(activeSat / 200).toBeLessThan(0.2);
    for (const s of wed) {
      const hour = (s.startMs - wednesday * DAY_MS) / HOUR_MS;
      expect(hour).toBeGreaterThanOrEqual(USAGE_PROFILE.dayStartHour);
      expect(hour).toBeLessThanOrEqual(USAGE_PROFILE.dayEndHour);
      expect(s.endMs - s.startMs).toBeLessThanOrEqual((USAGE_PROFILE.lengthMaxMin + 1) * MINUTE_MS);
      expect(s.startMs % 1000).toBe(0);
    }
    expect(org.teams.length).toBe(20);
  });

  it("cuts the range into block-aligned windows", () => {
    const h = HOUR_MS;
    expect(windows(20 * h, 60 * h, 18 * h)).toEqual([
      { fromMs: 20 * h, toMs: 36 * h },
      { fromMs: 36 * h, toMs: 54 * h },
      { fromMs: 54 * h, toMs: 60 * h },
    ]);
  });
});

describe("legacy design: recorded series", () => {
  it("records per-interval increases that add up to the series' last value", () => {
    const samples = [
      { t: 30_000, v: 1 },
      { t: 90_000, v: 3 },
      { t: 150_000, v: 3 },
      { t: 170_000, v: 6 },
    ];
    // 60 s: new series, whole value; 120 s: 3 - 1; 180 s: 6 - 3; later: unchanged, nothing.
    expect(seriesIncreases(samples)).toEqual([
      { t: 60_000, v: 1 },
      { t: 120_000, v: 2 },
      { t: 180_000, v: 3 },
    ]);
  });

  it("sums sessions into the rule's labels with the person from the first identity label", () => {
    expect(withUser([["user_account_uuid", "u-1"]]).get("user")).toBe("u-1");
    expect(
      withUser([
        ["user_account_uuid", "u-1"],
        ["user_email", "a@x"],
      ]).get("user"),
    ).toBe("a@x");
    expect(withUser([["user_id", "install"]]).has("user")).toBe(false);
    const base: [string, string][] = [
      ["cost_center", "cc"],
      ["department", "d"],
      ["environment", "e"],
      ["model", "m"],
      ["service_name", "claude-code"],
      ["team", "t"],
      ["user_email", "a@x"],
    ];
    const rec = new RecordedSeries(0, 10 * MINUTE_MS);
    rec.add({ metric: "cost", name: METRICS.cost.prometheus, labels: [...base, ["session_id", "s1"]], samples: [{ t: 30_000, v: 2 }] });
    rec.add({
      metric: "cost",
      name: METRICS.cost.prometheus,
      labels: [...base, ["session_id", "s2"]],
      samples: [
        { t: 50_000, v: 0.5 },
        { t: 110_000, v: 1.5 },
      ],
    });
    const out = [...rec.series()].filter((s) => s.name === LEGACY_COUNTERS.cost.record);
    expect(out).toHaveLength(1);
    expect(new Map(out[0]?.labels).get("user")).toBe("a@x");
    expect(new Map(out[0]?.labels).has("session_id")).toBe(false);
    expect(out[0]?.samples).toEqual([
      { t: 60_000, v: 2.5 },
      { t: 120_000, v: 1 },
    ]);
  });

  it("backfills the roll-up after the rules it reads, and splits a pass without losing rules", () => {
    const groups = recordingGroups(designRulesFile("legacy"));
    const passes = backfillPasses(groups);
    expect(passes).toHaveLength(2);
    expect(passes[1]?.flatMap((g) => g.rules.map((r) => r.record))).toEqual([LEGACY_USERS.perHour]);
    const first = passes[0] ?? [];
    const parts = splitPass(first, 2).map((y) => [...y.matchAll(/record: (\S+)/g)].map((m) => m[1]));
    expect(parts.flat().sort()).toEqual(first.flatMap((g) => g.rules.map((r) => r.record)).sort());
    expect(splitPass(first, 2).every((y) => y.includes("query_offset: 1m") && y.includes("interval: 1m"))).toBe(true);
    // The project's rules read only the activity series: one pass, each group keeping its interval and offset.
    const now = backfillPasses(recordingGroups(designRulesFile("new")));
    expect(now).toHaveLength(1);
    const yaml = splitPass(now[0] ?? [], 2).join("\n");
    expect(yaml).toContain("interval: 1h");
    expect(yaml).toContain("query_offset: 20m");
  });
});

describe("new design: the series the collector writes", () => {
  const org = buildOrganisation({ seed: 3, users: 12 });
  const day = recentWednesday();
  const sessions = sessionsOf(org, day);
  const pipeline = usagePipeline(settings);

  it("dates every point by the batch it lands in: the next multiple of the batch timeout", () => {
    expect(pipeline.batchMs).toBe(5000);
    expect([batchTime(60_000, 5000), batchTime(61_000, 5000), batchTime(64_999, 5000)]).toEqual([65_000, 65_000, 65_000]);
  });

  it("sums each session's deltas into its person's series: totals as sent, labels the connector keeps", () => {
    expect(sessions.length).toBeGreaterThan(10);
    const org = ORG_ATTRIBUTES.map(promLabel);
    for (const session of sessions.slice(0, 8)) {
      const usage = sessionUsage(session, pipeline);
      const sums = new UsageSums();
      sums.add(usage);
      const series = [...sums.series()];
      const requests = session.prompts.flatMap((p) => p.steps).filter((st) => st.kind === "request");
      const sentCost = requests.reduce((sum, r) => sum + (r.kind === "request" ? r.costUsd : 0), 0);
      const total = (name: string) => series.filter((x) => x.name === name).reduce((a, x) => a + x.samples.reduce((b, y) => b + y.v, 0), 0);
      expect(total(USAGE_COUNTERS.cost.series)).toBeCloseTo(sentCost, 9);
      expect(total(USAGE_COUNTERS.sessions.series)).toBe(1);
      const activity = series.filter((x) => x.name === USER_ACTIVITY.series);
      expect(activity).toHaveLength(1);
      for (const x of series) {
        expect(USAGE_SERIES).toContain(x.name);
        const labels = new Map(x.labels);
        const counter = [...Object.values(USAGE_COUNTERS), ...Object.values(ATTRIBUTED_COUNTERS)].find((c) => c.series === x.name);
        const allowed = new Set(["job", "instance", ...(counter?.by ?? USER_ACTIVITY.by)]);
        expect(
          [...labels.keys()].filter((k) => !allowed.has(k)),
          x.name,
        ).toEqual([]);
        for (const k of [...org, "service_name", "job", "instance"]) expect(labels.has(k), `${x.name} ${k}`).toBe(true);
        expect(labels.get("instance")).toBe(COLLECTOR_INSTANCE);
        expect(labels.get("job")).toBe(session.installation.serviceName);
        expect(labels.get("user")).toBe(session.person.email ?? session.person.accountUuid ?? `${INSTALLATION_PREFIX}${session.installation.userId}`);
        for (const [i, y] of x.samples.entries()) {
          expect(y.t % pipeline.batchMs).toBe(0);
          expect(y.t).toBeGreaterThan(session.startMs);
          expect(y.v).not.toBe(0);
          if (i > 0) expect(y.t).toBeGreaterThan((x.samples[i - 1] as { t: number }).t);
        }
      }
      // An export every minute while the session changes: no more samples than exports.
      expect((activity[0]?.samples.length ?? 0) <= exportTimes(session.startMs, session.endMs + 60_000).length).toBe(true);
    }
  });

  it("writes each series once per window, people without an identity as their installation, in one sum", () => {
    // One office at UTC+0: the day before ends by 02:30, the day after starts at 08:30.
    const org = buildOrganisation({ seed: 3, users: 12, utcOffsets: [0] });
    const from = day * DAY_MS;
    const to = from + 30 * HOUR_MS;
    const all = [...usageWindowSeries(org, from, to, pipeline)];
    const keys = all.map((x) => x.key);
    expect(new Set(keys).size).toBe(keys.length);
    // Everyone is someone: a person, or (API-key sessions) the installation.
    expect(all.every((x) => new Map(x.labels).has("user"))).toBe(true);
    expect(all.some((x) => new Map(x.labels).get("user")?.startsWith(INSTALLATION_PREFIX))).toBe(true);
    // The window's sums are the sessions' sums, whoever they are shared with.
    const sums = new UsageSums();
    for (const s of [...sessionsOf(org, day - 1), ...sessionsOf(org, day)]) sums.add(sessionUsage(s, pipeline));
    const sum = (xs: Iterable<WritableSeries>) =>
      [...xs]
        .filter((x) => x.name === USAGE_COUNTERS.tokens.series)
        .reduce((a, x) => a + x.samples.reduce((b, y) => b + (y.t >= from && y.t < to ? y.v : 0), 0), 0);
    expect(sum(all)).toBeGreaterThan(0);
    expect(sum(all)).toBe(sum(sums.series()));
  });

  it("records the newest activity per minute and who was active per hour, as the rules evaluate them", () => {
    const H = HOUR_MS;
    expect(rollupTime(10 * H - 20 * MINUTE_MS)).toBe(10 * H - 20 * MINUTE_MS);
    expect(rollupTime(10 * H - 20 * MINUTE_MS + 1)).toBe(11 * H - 20 * MINUTE_MS);
    const rec = new UsageRecorded(10 * H, 12 * H);
    const labels: [string, string][] = [
      ["instance", COLLECTOR_INSTANCE],
      ["job", "claude-code"],
      ["service_name", "claude-code"],
      ["team", "t"],
      ["user", "a@x"],
    ];
    rec.addActivity({ name: USER_ACTIVITY.series, labels, samples: [9 * H + 50 * MINUTE_MS, 10 * H + 65_000, 10 * H + 130_000].map((t) => ({ t, v: 2 })) });
    const out = [...rec.series()];
    const present = out.find((x) => x.name === RECORDED_USERS.perHour);
    expect(present?.labels).toEqual([
      ["team", "t"],
      ["user", "a@x"],
    ]);
    // 09:50 counts in the roll-up stored at 10:40 (range 09:40-10:40], as do 10:01:05 and 10:02:10.
    expect(present?.samples).toEqual([{ t: 10 * H + 40 * MINUTE_MS, v: 1 }]);
    const last = out.find((x) => x.name === RECORDED_LAST_SAMPLE);
    expect(last?.labels).toEqual([["service_name", "claude-code"]]);
    // Within the 5-minute look-back of each minute: 10:00 sees nothing (09:50 is 10 minutes back).
    expect(last?.samples.slice(0, 3)).toEqual([
      { t: 10 * H + 2 * MINUTE_MS, v: (10 * H + 65_000) / 1000 },
      { t: 10 * H + 3 * MINUTE_MS, v: (10 * H + 130_000) / 1000 },
      { t: 10 * H + 4 * MINUTE_MS, v: (10 * H + 130_000) / 1000 },
    ]);
    expect(last?.samples.at(-1)).toEqual({ t: 10 * H + 7 * MINUTE_MS, v: (10 * H + 130_000) / 1000 });
  });

  it("times the legacy design's panels on its recorded series, renamed one for one", () => {
    expect(legacyExpr('sum(sum_over_time(claude_code_cost_usd_increment{a="b"}[1d])) / count(claude_code_user_activity)')).toBe(
      'sum(sum_over_time(claude_code:cost_usd:increase1m{a="b"}[1d])) / count(claude_code:user_active:present1m)',
    );
    const renamed = Object.fromEntries(
      ["cost_usd", "tokens", "active_seconds", "sessions", "lines_of_code", "commits", "pull_requests", "edit_decisions"].map((n) => [
        `claude_code_${n}_increment`,
        `claude_code:${n}:increase1m`,
      ]),
    );
    for (const [from, to] of Object.entries({ ...renamed, claude_code_user_activity: "claude_code:user_active:present1m" }))
      expect(legacyExpr(from), from).toBe(to);
    const legacy = designDashboardQueries("legacy");
    expect(legacy.map((q) => q.name)).toEqual(dashboardQueries().map((q) => q.name));
    // The legacy design did not attribute cost: its attribution panels read series it never had.
    const attributed: string[] = Object.values(ATTRIBUTED_COUNTERS).map((c) => c.series);
    expect(legacy.some((q) => USAGE_SERIES.some((n) => !attributed.includes(n) && q.expr.includes(n)))).toBe(false);
    expect(legacy.some((q) => q.expr.includes(LEGACY_COUNTERS.cost.record))).toBe(true);
    // The hourly roll-ups (people, spend per person, spend per team and month) cost a sixtieth of their evaluation per minute.
    const rules = ruleQueries("new").filter((r) => !r.name.includes(" #"));
    expect(rules.map((r) => r.everyMs)).toEqual([60_000, 3_600_000, 3_600_000, 3_600_000]);
    // Every alert is timed too, at its group's interval (the global 30 s where a group has none).
    const alerts = ruleQueries("new").filter((r) => r.name.includes(" #"));
    expect(new Set(alerts.map((a) => a.name.split(" / ")[1]!.split(" #")[0]))).toContain("ClaudeCodeRunawaySpend");
    expect(alerts.find((a) => a.name.includes("ClaudeCodeRunawaySpend"))?.everyMs).toBe(300_000);
    expect(alerts.find((a) => a.name.includes("TelemetryCollectorDown"))?.everyMs).toBe(30_000);
    expect(alerts.filter((a) => a.name.includes("ClaudeCodeTeamDailySpendOverBudget"))).toHaveLength(10);
    const timed = rules.map((r) => ({ ...r, kind: "rule" as const, range: "eval", runs: 1, p50Ms: 60, p95Ms: 60, maxMs: 60, series: 1 }));
    expect(rulesPerMinute(timed)).toBe(63);
  });
});

describe("remote-write encoding", () => {
  it("writes protobuf fields and a snappy block of one literal", () => {
    // Label { name: "__name__", value: "m" }, Label { name: "a", value: "b" }: tag 0x0a, length, fields.
    const labels = encodeLabels("m", [["a", "b"]]);
    expect([...labels]).toEqual([0x0a, 13, 0x0a, 8, ...Buffer.from("__name__"), 0x12, 1, 0x6d, 0x0a, 6, 0x0a, 1, 0x61, 0x12, 1, 0x62]);
    const req = new WriteRequestBuilder(8); // grows past its first buffer
    req.add(
      labels,
      [
        { t: 300, v: 1 },
        { t: 2 ** 40, v: 0.5 },
        { t: 5, v: 9 },
      ],
      0,
      2,
    );
    // Sample { value: 1.0 (fixed64), timestamp: 300 (varint 0xac 0x02) }, then 2^40 ms (6-byte varint).
    const s1 = [0x12, 12, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0xac, 0x02];
    const s2 = [0x12, 16, 0x09, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f, 0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20];
    const series = [...labels, ...s1, ...s2];
    const proto = [0x0a, series.length, ...series];
    // Snappy: uncompressed length (varint), literal tag 0xfc with length-1 in 4 bytes, the bytes.
    expect([...req.finish()]).toEqual([proto.length, 0xfc, proto.length - 1, 0, 0, 0, ...proto]);
    expect([req.series, req.samples]).toEqual([1, 2]);
    expect([0, 127, 128, 2 ** 40, 2 ** 53 - 1].map(varintLength)).toEqual([1, 1, 2, 6, 8]);
    expect([...new WriteRequestBuilder().finish()]).toEqual([0]);
  });

  it("puts a series in the same lane every time, and spreads series over the lanes", () => {
    const a = encodeLabels("m", [["session_id", "s-1"]]);
    expect(laneOf(Buffer.from(a), 3)).toBe(laneOf(a, 3));
    const lanes = new Set(Array.from({ length: 30 }, (_, i) => laneOf(encodeLabels("m", [["session_id", `s-${i}`]]), 3)));
    expect([...lanes].sort()).toEqual([0, 1, 2]);
  });
});

describe("command line and query windows", () => {
  it("parses flags with defaults and names the bad one", () => {
    expect(parseBenchArgs([])).toMatchObject({ users: 1000, days: 7, seed: 42, rules: "direct", blockHours: 18, queriesOnly: false, json: false });
    expect(parseBenchArgs(["--users", "10", "--days", "30", "--rules", "promtool", "--json"])).toMatchObject({
      users: 10,
      days: 30,
      rules: "promtool",
      json: true,
    });
    expect(() => parseBenchArgs(["--users", "0"])).toThrow(UsageError);
    expect(parseBenchArgs([]).ingest).toBe("remote-write");
    expect(parseBenchArgs(["--ingest", "promtool", "--block-hours", "6"])).toMatchObject({ ingest: "promtool", blockHours: 6 });
    expect(() => parseBenchArgs(["--ingest", "promtool", "--block-hours", "24"])).toThrow(/block-hours must be/);
    expect(() => parseBenchArgs(["--block-hours", "6"])).toThrow(/--ingest promtool only/);
    expect(() => parseBenchArgs(["--ingest", "vmagent"])).toThrow(/--ingest/);
    expect([
      parseBenchArgs(["--users", "1000"]).blockHours,
      parseBenchArgs(["--users", "3000"]).blockHours,
      parseBenchArgs(["--users", "10000"]).blockHours,
    ]).toEqual([18, 6, 2]);
    expect(() => parseBenchArgs(["--queries-only"])).toThrow(/--keep/);
    expect(() => parseBenchArgs(["--rules", "maybe"])).toThrow(/--rules/);
  });

  it("measures the new design at --users x --days and the legacy one at 1000 x 7 unless told otherwise", () => {
    expect(parseBenchArgs(["--users", "10000", "--days", "3"]).runs).toEqual([
      { design: "new", users: 10000, days: 3, blockHours: 2 },
      { design: "legacy", users: 1000, days: 7, blockHours: 18 },
    ]);
    expect(parseBenchArgs(["--design", "new", "--users", "5"]).runs).toEqual([{ design: "new", users: 5, days: 7, blockHours: 18 }]);
    expect(parseBenchArgs(["--design", "legacy", "--users", "50", "--days", "2"]).runs).toEqual([{ design: "legacy", users: 50, days: 2, blockHours: 18 }]);
    expect(parseBenchArgs(["--legacy-users", "200", "--legacy-days", "3"]).runs[1]).toEqual({ design: "legacy", users: 200, days: 3, blockHours: 18 });
    expect(() => parseBenchArgs(["--design", "new", "--legacy-days", "3"])).toThrow(/--legacy/);
    expect(() => parseBenchArgs(["--design", "old"])).toThrow(/--design/);
    expect(parseBenchArgs([]).reps).toBe(3);
  });

  it("picks the graph step Grafana would (range / width, rounded at the midpoints)", () => {
    expect(graphStepMs(7 * DAY_MS) / 1000).toBe(600);
    expect(graphStepMs(30 * DAY_MS) / 1000).toBe(1800);
    expect(graphStepMs(HOUR_MS) / 1000).toBe(60);
  });
});

describeWithTools(["promtool", "prometheus"], "with the real promtool and Prometheus", () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(path.join(tmpdir(), "bench-test-"));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  // One office at UTC+0: every session starts after 08:30 and has ended by 06:00 the next day.
  const org = buildOrganisation({ seed: 5, users: 5, utcOffsets: [0] });
  const startMs = recentWednesday() * DAY_MS;
  const endMs = startMs + 30 * HOUR_MS;
  const designOf = (design: Design) => (design === "new" ? { usage: usagePipeline(settings) } : {});
  const backfill = (recorded: boolean, design: Design = "new") => {
    const base = tempDir();
    const tsdbDir = path.join(base, "tsdb");
    const workDir = path.join(base, "work");
    const ingest = new PromtoolIngest({ windowMs: 6 * HOUR_MS, tsdbDir, workDir, parallel: 2 });
    return backfillRaw({ org, startMs, endMs, liftKeys: LIFT, recorded, ...designOf(design) }, ingest).then((stats) => ({ stats, tsdbDir, workDir }));
  };
  /** A Prometheus with default settings and its remote-write receiver on, in a fresh folder. */
  const defaultReceiver = async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "prometheus.yml"), "global: {}\n");
    const server = await startPrometheus(
      [`--config.file=${path.join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(dir, "data")}`, "--web.enable-remote-write-receiver"],
      120_000,
    );
    return { dir, server };
  };
  /** Every sample of the range, per series, from a query server on the TSDB. */
  const everySample = async (url: string) => {
    const params = new URLSearchParams({ query: '{__name__=~"claude_code[_:].+"}[2d]', time: String(endMs / 1000 + 60) });
    const body = (await (await fetch(`${url}/api/v1/query?${params}`)).json()) as {
      data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
    };
    return new Map(body.data.result.map((r) => [JSON.stringify(Object.entries(r.metric).sort()), r.values.map(([t, v]) => `${t}=${v}`).join(" ")]));
  };

  it("promtool turns the OpenMetrics text into blocks holding every sample with its labels", async () => {
    const { stats, tsdbDir } = await backfill(true);
    expect(stats.sessions).toBeGreaterThan(3);
    expect(stats.blocks).toBeGreaterThan(0);
    mkdirSync(path.join(tsdbDir, "wal")); // dump opens the TSDB as Prometheus would, WAL included
    const dump = await runToolOk("promtool", ["tsdb", "dump", tsdbDir], { timeoutMs: 120_000, maxStdout: 512 << 20 });
    const lines = dump.stdout.split("\n").filter((l) => l.startsWith("{"));
    expect(lines.length).toBe(stats.samples + stats.recordedSamples);
    const tokenLine = lines.find((l) => l.includes(`__name__="${USAGE_COUNTERS.tokens.series}"`));
    expect(tokenLine).toMatch(/job="claude-code(-desktop)?"/);
    expect(tokenLine).toContain(`instance="${COLLECTOR_INSTANCE}"`);
    expect(tokenLine).not.toContain("session_id");
    expect(lines.some((l) => l.includes(`__name__="${RECORDED_USERS.perHour}"`))).toBe(true);
  }, 120_000);

  it("remote-writes series a real Prometheus accepts with their labels and values", async () => {
    const { server } = await defaultReceiver();
    try {
      const now = Math.floor(Date.now() / 1000) * 1000;
      const labels = encodeLabels(METRICS.cost.prometheus, [
        ["session_id", "s-1"],
        ["team", "t"],
      ]);
      const req = new WriteRequestBuilder();
      req.add(labels, [
        { t: now - 60_000, v: 0.5 },
        { t: now, v: 1.25 },
      ]);
      await remoteWrite(server.url, req.finish());
      const body = (await (await fetch(`${server.url}/api/v1/query?query=${METRICS.cost.prometheus}&time=${now / 1000}`)).json()) as {
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      expect(body.data.result).toEqual([{ metric: { __name__: METRICS.cost.prometheus, session_id: "s-1", team: "t" }, value: [now / 1000, "1.25"] }]);
    } finally {
      await server.stop();
    }
  });

  it("remote-writes the whole range in time order: nothing refused or lost, the same data as promtool's blocks", async () => {
    const viaPromtool = await backfill(true);
    const base = tempDir();
    const opts = { tsdbDir: path.join(base, "tsdb"), workDir: path.join(base, "work"), days: 2 };
    const ingestServer = await startIngestServer(opts);
    let stats;
    try {
      // 3 h slices on the ingest server's 18 h head, 6 h windows: ten slices, series crossing both.
      const ingest = new RemoteWriteIngest({ url: ingestServer.url, tsdbDir: opts.tsdbDir, headBlockMs: INGEST_BLOCK_HOURS * HOUR_MS, checkAppended: true });
      stats = await backfillRaw({ org, startMs, endMs, liftKeys: LIFT, recorded: true, ...designOf("new") }, ingest);
      expect(await selfMetric(ingestServer.url, "prometheus_tsdb_head_samples_appended_total")).toBe(stats.samples + stats.recordedSamples);
    } finally {
      await ingestServer.stop();
    }
    expect(stats.method).toBe("remote-write");
    expect([stats.samples, stats.recordedSamples, stats.series]).toEqual([
      viaPromtool.stats.samples,
      viaPromtool.stats.recordedSamples,
      viaPromtool.stats.series,
    ]);
    expect(stats.units).toBeGreaterThan(3);
    const a = await startQueryServer(opts);
    const b = await startQueryServer({ tsdbDir: viaPromtool.tsdbDir, workDir: viaPromtool.workDir, days: 2 });
    try {
      // As the benchmark does: compare once the servers have compacted what they found.
      await Promise.all([waitForCompaction(a.url, 120_000, true), waitForCompaction(b.url, 120_000, true)]);
      const [x, y] = [await everySample(a.url), await everySample(b.url)];
      expect(x.size).toBe(stats.series + stats.recordedSeries);
      expect([...x.keys()].sort()).toEqual([...y.keys()].sort());
      for (const [k, v] of x) expect(v, k).toBe(y.get(k));
    } finally {
      await a.stop();
      await b.stop();
    }
  }, 300_000);

  it("paces the remote-write ingest to a default Prometheus' 2 h head: 20-minute slices, none refused", async () => {
    const { dir, server } = await defaultReceiver();
    try {
      const ingest = new RemoteWriteIngest({ url: server.url, tsdbDir: path.join(dir, "data"), windowMs: 4 * HOUR_MS, checkAppended: true });
      const stats = await backfillRaw({ org, startMs, endMs, liftKeys: LIFT, recorded: false, ...designOf("new") }, ingest);
      expect(stats.samples).toBeGreaterThan(1000);
      expect(stats.units).toBeGreaterThan(20);
      // Prometheus cut its own blocks from the head as the samples went by.
      await waitForCompaction(server.url, 120_000, true);
      expect(await selfMetric(server.url, "prometheus_tsdb_compactions_total")).toBeGreaterThan(0);
      expect(blockDirs(path.join(dir, "data")).length).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  }, 300_000);

  it.for(["new", "legacy"] as const)(
    "computes the %s design's recorded series as promtool backfills them from its rules",
    { timeout: 300_000 },
    async (design) => {
      const direct = await backfill(true, design);
      const replayed = await backfill(false, design);
      const serverOpts = { tsdbDir: replayed.tsdbDir, workDir: replayed.workDir, days: 2 };
      await backfillRules(serverOpts, startMs, endMs, 2, () => undefined, designRulesFile(design));
      const a = await startQueryServer({ tsdbDir: direct.tsdbDir, workDir: direct.workDir, days: 2 });
      const b = await startQueryServer(serverOpts);
      try {
        await Promise.all([waitForCompaction(a.url, 120_000, true), waitForCompaction(b.url, 120_000, true)]);
        const query = async (url: string, expr: string) => {
          const params = new URLSearchParams({ query: expr, time: String(endMs / 1000 + 3600) });
          const body = (await (await fetch(`${url}/api/v1/query?${params}`)).json()) as {
            data: { result: { metric: Record<string, string>; value: [number, string] }[] };
          };
          return new Map(body.data.result.map((r) => [JSON.stringify(Object.entries(r.metric).sort()), Number(r.value[1])]));
        };
        const compare = async (expr: string, exact: boolean) => {
          const [x, y] = [await query(a.url, expr), await query(b.url, expr)];
          expect(x.size, expr).toBeGreaterThan(0);
          expect([...x.keys()].sort(), expr).toEqual([...y.keys()].sort());
          for (const [k, v] of x) {
            if (exact) expect(v, `${expr} ${k}`).toBeCloseTo(y.get(k) as number, 6);
            else expect(Math.abs(v - (y.get(k) as number)), `${expr} ${k}`).toBeLessThanOrEqual(Math.max(2, 0.05 * v));
          }
        };
        if (design === "legacy")
          for (const c of Object.values(LEGACY_COUNTERS)) await compare(`sum by (${c.by.join(", ")}) (sum_over_time(${c.record}[2d]))`, true);
        await compare(`max by (service_name) (max_over_time(${RECORDED_LAST_SAMPLE}[2d]))`, true);
        // Presence is counted per evaluation: the rule's phase within its interval may move a sample.
        await compare(`count_over_time(${RECORDED_LAST_SAMPLE}[2d])`, false);
        if (design === "legacy") await compare(`count_over_time(${LEGACY_USERS.perMinute}[2d])`, false);
        await compare(`count_over_time(${RECORDED_USERS.perHour}[2d])`, false);
      } finally {
        await a.stop();
        await b.stop();
      }
    },
  );
});

describeWithTools(["otelcol", "prometheus"], "the benchmark's series against the real collector (its events to a stub)", () => {
  it("are, for a small organisation, exactly the series the real collector writes into Prometheus: names, label sets, sums", async () => {
    const hostname = "collector-bench";
    const prometheus = await startTestPrometheus({ configYaml: "global:\n  scrape_interval: 15s\n" });
    const loki = await startStubBackend();
    const collector = await startCollector({
      config: renderedCollectorConfig(settings, { prometheus: prometheus.url, loki: loki.url }),
      env: { HOSTNAME: hostname },
    });
    try {
      const model = buildModel({ seed: 9, users: 8, durationMs: 10 * MINUTE_MS });
      // Delta, as Claude Code sends by default; a burst exports each session once, at its end.
      const stats = await emitBurst(model, otlpExporters({ endpoint: collector.httpEndpoint, protocol: "http/protobuf", temporality: "delta" }));
      expect(stats.exportErrors, stats.lastError).toBe(0);

      const key = (name: string, labels: Iterable<readonly [string, string]>) => `${name}${JSON.stringify([...labels].sort(([a], [b]) => (a < b ? -1 : 1)))}`;
      const pipeline = usagePipeline(settings, hostname);
      const sums = new UsageSums();
      for (const s of model.sessions) sums.add(sessionUsage(s, pipeline, Infinity));
      const expected = new Map([...sums.series()].map((x) => [key(x.name, x.labels), x.samples.reduce((a, y) => a + y.v, 0)]));
      const written = async () => {
        const out = new Map<string, number>();
        for (const name of USAGE_SERIES)
          for (const s of await queryPrometheus(prometheus.url, `sum_over_time(${name}[1h])`))
            out.set(key(name, Object.entries(s.metric)), Number(s.value?.[1]));
        return out;
      };
      const same = (got: Map<string, number>) =>
        got.size === expected.size && [...expected].every(([k, v]) => Math.abs((got.get(k) ?? NaN) - v) <= 1e-9 * Math.max(1, v));
      const got = await waitFor(async () => {
        const g = await written();
        return same(g) ? g : false;
      }, 30_000).catch(() => written());
      expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [k, v] of expected) expect(got.get(k), k).toBeCloseTo(v, 9);
      expect(new Set([...expected.keys()].map((k) => k.slice(0, k.indexOf("[")))).size).toBe(USAGE_SERIES.length);
      expect(expected.size).toBeGreaterThan(50);
    } finally {
      await collector.stop();
      await loki.stop();
      await prometheus.stop();
    }
  });
});

describe("npm run bench without the built tools", () => {
  it("says in one line what is missing and what to run, and exits 1 before any work", () => {
    const empty = mkdtempSync(path.join(tmpdir(), "bench-no-tools-"));
    const root = path.resolve(import.meta.dirname, "..");
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "scripts", "bench.ts"), "--users", "2", "--days", "1"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, TOOLS_DIR: empty },
      timeout: 60_000,
    });
    rmSync(empty, { recursive: true, force: true });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^bench: prometheus \S+, promtool \S+ not built in \S+: run `npm run tools` \(needs Go 1\.26 or newer\)$/),
    ]);
  });
});
