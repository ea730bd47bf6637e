// Recording and alerting rules, checked and unit-tested by the real promtool: input series go in,
// recorded totals and firing alerts must come out exactly.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { RECORDED_LAST_SAMPLE, RECORDED_USERS, addDurations, recordingGroups } from "../components/prometheus-rules.js";
import { alertingGroups, renderRulesFile } from "../components/rules-file.js";
import { USAGE_COUNTERS, USER_ACTIVITY } from "../components/usage-series.js";
import { durationMs } from "../lib/duration.js";
import { checkRules, describeWithTools, testRules } from "./support/tools.js";

describe("rule helpers", () => {
  it("parses and adds Prometheus durations", () => {
    expect(durationMs("1m30s")).toBe(90_000);
    expect(durationMs("1d")).toBe(86_400_000);
    expect(addDurations("1m", "1m", "1m")).toBe("180s");
    expect(addDurations("500ms", "1s")).toBe("1500ms");
    expect(() => durationMs("5 minutes")).toThrow(/not a Prometheus duration/);
  });

  it("rolls up each hour after its samples are in, over exactly that hour", () => {
    const [last, rollup] = recordingGroups({ interval: "2s", rollupInterval: "10s", rollupOffset: "3s" });
    expect(last?.interval).toBe("2s");
    expect(rollup?.interval).toBe("10s");
    expect(rollup?.queryOffset).toBe("3s");
    expect(rollup?.rules[0]?.expr).toContain("[10s]");
  });

  it("reads only the collector's usage series, on both Claude Code service names", () => {
    for (const r of recordingGroups().flatMap((g) => g.rules)) {
      expect(r.expr).toMatch(new RegExp(`${USER_ACTIVITY.series}|${USAGE_COUNTERS.cost.series}`));
      expect(r.expr).toContain('service_name=~"claude-code|claude-code-desktop"');
    }
  });
});

const values = (points: (number | null)[]) => points.map((p) => (p === null ? "_" : String(p))).join(" ");
const blanks = (n: number) => Array<null>(n).fill(null);
const org = (team: string) => `team="${team}",department="eng",cost_center="cc-${team}",environment="prod"`;
const cost = (labels: string, points: (number | null)[]) => ({ series: `${USAGE_COUNTERS.cost.series}{${labels}}`, values: values(points) });
const activity = (labels: string, points: (number | null)[]) => ({ series: `${USER_ACTIVITY.series}{${labels}}`, values: values(points) });
const CLI = 'service_name="claude-code"';

/**
 * A firing alert as Prometheus reports it: its labels (severity included) and its annotations with
 * the labels filled in, written out here rather than read from the rules under test.
 */
const RUNBOOKS = new Map(alertingGroups().flatMap((g) => g.rules.map((r) => [r.alert, r.runbook] as const)));
const firing = (alert: string, labels: Record<string, string>, summary: string, description: string) => ({
  exp_labels: labels,
  exp_annotations: { summary, description, runbook: RUNBOOKS.get(alert) },
});
const EXPECTED = {
  exportFailingLoki: firing(
    "TelemetryExportFailing",
    { severity: "critical", exporter: "otlp_http/loki" },
    "The collector fails to deliver telemetry to otlp_http/loki",
    "Data is queued and retried, then dropped. Check that Prometheus and Loki are up and accept OTLP.",
  ),
  refusing: firing(
    "TelemetryCollectorRefusing",
    { severity: "warning", receiver: "otlp" },
    "The collector's otlp receiver refuses incoming telemetry",
    "Usually memory_limiter back-pressure or bad requests; look at the collector's log.",
  ),
  collectorDown: firing(
    "TelemetryCollectorDown",
    { severity: "critical", job: "otel-collector" },
    "The OpenTelemetry Collector is not answering scrapes",
    "Claude Code clients cannot deliver telemetry while the collector is down; they drop what they cannot send.",
  ),
  lokiDown: firing(
    "TelemetryBackendDown",
    { severity: "critical", job: "loki" },
    "loki is not answering scrapes",
    "The stack's storage, dashboards or notifications are unavailable.",
  ),
  missing: firing(
    "ClaudeCodeTelemetryMissing",
    { severity: "warning" },
    "No Claude Code telemetry has arrived for 6h",
    "Check the client settings (CLAUDE_CODE_ENABLE_TELEMETRY, exporters, endpoint, token) and the collector's refused/failed counters.",
  ),
};

const sum = (rec: string, by: string, range = "60m") => `sum by (${by}) (sum_over_time(${rec}{}[${range}]))`;

function unitTests() {
  const C = USAGE_COUNTERS;
  return {
    rule_files: ["rules.yml"],
    evaluation_interval: "1m",
    tests: [
      {
        // Series shaped as the collector writes them: per person, a sample per batch with what it added.
        name: "dashboards' sums, people per hour and the last sample, from the collector's increments",
        interval: "1m",
        input_series: [
          cost(`${CLI},${org("t1")},user="a@x",model="m1",instance="c1"`, [null, 0.5]),
          // Sparse: a sample only where something was added; a second replica writes its own series.
          cost(`${CLI},${org("t1")},user="b@x",model="m1",instance="c1"`, [null, 1, null, 1, ...blanks(30), 2]),
          cost(`${CLI},${org("t1")},user="b@x",model="m1",instance="c2"`, [null, null, 1]),
          cost(`service_name="claude-code-desktop",${org("t2")},user="e-1",model="m2",instance="c1"`, [null, 2]),
          // API key, no identity: in the team's total, without a person.
          cost(`${CLI},${org("t2")},model="m2",instance="c1"`, [null, 1]),
          activity(`${CLI},${org("t1")},user="a@x",instance="c1"`, [null, 3]),
          activity(`${CLI},${org("t1")},user="b@x",instance="c1"`, [null, 2, null, 1, ...blanks(30), 1]),
          activity(`${CLI},${org("t1")},user="b@x",instance="c2"`, [null, null, 1]),
          activity(`${CLI},${org("t2")},instance="c1"`, [null, 1]),
          // Not Claude Code: ignored by the rules.
          activity(`service_name="other",${org("t2")},user="o@x",instance="c1"`, [null, 1, 1, 1]),
        ],
        promql_expr_test: [
          {
            expr: sum(C.cost.series, "team"),
            eval_time: "60m",
            exp_samples: [
              { labels: '{team="t1"}', value: 5.5 },
              { labels: '{team="t2"}', value: 3 },
            ],
          },
          {
            expr: sum(C.cost.series, "user"),
            eval_time: "60m",
            exp_samples: [
              { labels: "{}", value: 1 },
              { labels: '{user="a@x"}', value: 0.5 },
              { labels: '{user="b@x"}', value: 5 },
              { labels: '{user="e-1"}', value: 2 },
            ],
          },
          // Part of the time: only what was added in that window (b at 34m).
          { expr: `sum(sum_over_time(${C.cost.series}{user="b@x"}[2m]))`, eval_time: "35m", exp_samples: [{ labels: "{}", value: 2 }] },
          // People per hour, from the roll-up (one series per person, replicas merged).
          {
            expr: `count(group by (user) (count_over_time(${RECORDED_USERS.perHour}{user!=""}[2h])))`,
            eval_time: "100m",
            exp_samples: [{ labels: "{}", value: 2 }],
          },
          { expr: `count(${RECORDED_USERS.perHour}{user="b@x"})`, eval_time: "62m", exp_samples: [{ labels: "{}", value: 1 }] },
          // The newest Claude Code sample (34m), kept past the 5-minute look-back.
          { expr: `max(max_over_time(${RECORDED_LAST_SAMPLE}[1h]))`, eval_time: "60m", exp_samples: [{ labels: "{}", value: 2040 }] },
        ],
      },
      {
        name: "an exporter failing on logs alone alerts, with its name",
        interval: "1m",
        input_series: [
          // The collector's own counters under the names the pinned release exposes (no `_total`).
          { series: 'otelcol_exporter_send_failed_log_records{exporter="otlp_http/loki",job="otel-collector"}', values: "0+10x40" },
          { series: 'otelcol_exporter_send_failed_metric_points{exporter="prometheus_remote_write",job="otel-collector"}', values: "0x40" },
          { series: 'otelcol_receiver_refused_metric_points{receiver="otlp",transport="http",job="otel-collector"}', values: "0+5x40" },
          { series: 'up{job="otel-collector"}', values: "1x5 0x30" },
          { series: 'up{job="loki"}', values: "1x40" },
          { series: 'up{job="grafana"}', values: "1x40" },
          { series: `${USER_ACTIVITY.series}{${CLI}}`, values: "1x40" },
        ],
        alert_rule_test: [
          { alertname: "TelemetryExportFailing", eval_time: "20m", exp_alerts: [EXPECTED.exportFailingLoki] },
          { alertname: "TelemetryCollectorRefusing", eval_time: "20m", exp_alerts: [EXPECTED.refusing] },
          { alertname: "TelemetryCollectorDown", eval_time: "8m", exp_alerts: [] },
          { alertname: "TelemetryCollectorDown", eval_time: "12m", exp_alerts: [EXPECTED.collectorDown] },
          { alertname: "TelemetryBackendDown", eval_time: "20m", exp_alerts: [] },
          { alertname: "ClaudeCodeTelemetryMissing", eval_time: "30m", exp_alerts: [] },
        ],
      },
      {
        name: "a backend that stops answering scrapes alerts after 5 minutes, with its job",
        interval: "1m",
        input_series: [
          { series: 'up{job="loki"}', values: "1x10 0x20" },
          { series: 'up{job="grafana"}', values: "1x30" },
          { series: `${USER_ACTIVITY.series}{${CLI}}`, values: "1x30" },
        ],
        alert_rule_test: [
          { alertname: "TelemetryBackendDown", eval_time: "9m", exp_alerts: [] },
          { alertname: "TelemetryBackendDown", eval_time: "14m", exp_alerts: [] },
          { alertname: "TelemetryBackendDown", eval_time: "17m", exp_alerts: [EXPECTED.lokiDown] },
        ],
      },
      {
        name: "silence for six hours alerts",
        interval: "10m",
        input_series: [{ series: `${USER_ACTIVITY.series}{${CLI}}`, values: "1" }],
        alert_rule_test: [
          { alertname: "ClaudeCodeTelemetryMissing", eval_time: "5h", exp_alerts: [] },
          // No collector counters at all (nothing refused or failed yet): quiet, not an error.
          { alertname: "TelemetryExportFailing", eval_time: "5h", exp_alerts: [] },
          { alertname: "TelemetryCollectorRefusing", eval_time: "5h", exp_alerts: [] },
          { alertname: "ClaudeCodeTelemetryMissing", eval_time: "6h30m", exp_alerts: [EXPECTED.missing] },
        ],
      },
    ],
  };
}

describeWithTools(["promtool"], "rules with promtool", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "rules-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("the production rules file and a short-interval variant pass promtool check rules", async () => {
    writeFileSync(path.join(dir, "prod.yml"), renderRulesFile());
    writeFileSync(path.join(dir, "short.yml"), renderRulesFile({ recording: { interval: "2s", rollupInterval: "10s", rollupOffset: "2s" } }));
    const res = await checkRules(path.join(dir, "prod.yml"), path.join(dir, "short.yml"));
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("promtool check rules rejects a broken expression (the check can fail)", async () => {
    writeFileSync(path.join(dir, "bad.yml"), stringify({ groups: [{ name: "g", rules: [{ record: "x:y", expr: "sum by (team) (rate(foo[5m])" }] }] }));
    const res = await checkRules(path.join(dir, "bad.yml"));
    expect(res.code).not.toBe(0);
  });

  it("recording and alerting rules give the expected outputs (promtool test rules)", async () => {
    writeFileSync(path.join(dir, "rules.yml"), renderRulesFile());
    writeFileSync(path.join(dir, "tests.yml"), stringify(unitTests(), { lineWidth: 0 }));
    const res = await testRules(path.join(dir, "tests.yml"));
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain("SUCCESS");
  });

  it("the unit tests can fail: a wrong expected total is reported", async () => {
    const tests = unitTests();
    const first = tests.tests[0]?.promql_expr_test?.[0]?.exp_samples[0];
    if (first) first.value = 5.4;
    writeFileSync(path.join(dir, "tests-wrong.yml"), stringify(tests, { lineWidth: 0 }));
    const res = await testRules(path.join(dir, "tests-wrong.yml"));
    expect(res.code).not.toBe(0);
    expect(res.stdout + res.stderr).toContain("FAILED");
  });
});
