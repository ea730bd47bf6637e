// Recording and alerting rules, checked and unit-tested by the real promtool: input series go in,
// recorded totals and firing alerts must come out exactly.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { METRICS } from "../components/claude/telemetry.js";
import {
  RECORDED_COUNTERS,
  RECORDED_LAST_SAMPLE,
  RECORDED_USERS,
  addDurations,
  recordingGroups,
  renderRulesFile,
  withIdentity,
} from "../components/prometheus-rules.js";
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

  it("takes identity from email first, then the org identity, then the account", () => {
    const expr = withIdentity("x");
    expect(expr.indexOf('"user_account_uuid"')).toBeLessThan(expr.indexOf('"enduser_id"'));
    expect(expr.indexOf('"enduser_id"')).toBeLessThan(expr.indexOf('"user_email"'));
    expect(expr).not.toContain('"user_id"');
  });

  it("keeps the window of every recorded increase equal to its group's interval", () => {
    const [usage, rollup] = recordingGroups({ interval: "2s", queryOffset: "3s", seriesLookback: "1h", rollupInterval: "10s" });
    expect(usage?.interval).toBe("2s");
    for (const r of usage?.rules ?? []) if (r.record.includes(":increase")) expect(r.expr).toContain("[1h] offset 2s");
    expect(rollup?.interval).toBe("10s");
    expect(rollup?.queryOffset).toBe("7s");
    expect(rollup?.rules[0]?.expr).toContain("[10s]");
  });

  it("filters raw series on both Claude Code service names", () => {
    for (const r of recordingGroups().flatMap((g) => g.rules)) {
      if (/claude_code_[a-z_]+_total/.test(r.expr)) expect(r.expr).toContain('service_name=~"claude-code|claude-code-desktop"');
    }
  });
});

const values = (points: (number | null)[]) => points.map((p) => (p === null ? "_" : String(p))).join(" ");
const blanks = (n: number) => Array<null>(n).fill(null);
const org = (team: string) => `team="${team}",department="eng",cost_center="cc-${team}",environment="prod"`;
const cost = (labels: string, points: (number | null)[]) => ({ series: `${METRICS.cost.prometheus}{${labels}}`, values: values(points) });
const CLI = 'service_name="claude-code"';

/**
 * A firing alert as Prometheus reports it: its labels (severity included) and its annotations with
 * the labels filled in, written out here rather than read from the rules under test.
 */
const firing = (labels: Record<string, string>, summary: string, description: string) => ({
  exp_labels: labels,
  exp_annotations: { summary, description },
});
const EXPECTED = {
  exportFailingLoki: firing(
    { severity: "critical", exporter: "otlp_http/loki" },
    "The collector fails to deliver telemetry to otlp_http/loki",
    "Data is queued and retried, then dropped. Check that Prometheus and Loki are up and accept OTLP.",
  ),
  refusing: firing(
    { severity: "warning", receiver: "otlp" },
    "The collector's otlp receiver refuses incoming telemetry",
    "Usually memory_limiter back-pressure or bad requests; look at the collector's log.",
  ),
  collectorDown: firing(
    { severity: "critical", job: "otel-collector" },
    "The OpenTelemetry Collector is not answering scrapes",
    "Claude Code clients cannot deliver telemetry while the collector is down; they drop what they cannot send.",
  ),
  lokiDown: firing({ severity: "critical", job: "loki" }, "loki is not answering scrapes", "The stack's storage or dashboards are unavailable."),
  missing: firing(
    { severity: "warning" },
    "No Claude Code telemetry has arrived for 6h",
    "Check the client settings (CLAUDE_CODE_ENABLE_TELEMETRY, exporters, endpoint, token) and the collector's refused/failed counters.",
  ),
};

const sum = (rec: string, by: string, range = "60m") => `sum by (${by}) (sum_over_time(${rec}{}[${range}]))`;

function unitTests() {
  const C = RECORDED_COUNTERS;
  return {
    rule_files: ["rules.yml"],
    evaluation_interval: "1m",
    tests: [
      {
        name: "exact totals per team and person, whatever the session's shape",
        interval: "1m",
        input_series: [
          // One request, one export: the whole session is its first sample.
          cost(`${CLI},${org("t1")},session_id="a",user_email="a@x",model="m1"`, [null, null, 0.5]),
          // Grows, and stays flat while the session idles.
          cost(`${CLI},${org("t1")},session_id="b",user_email="b@x",model="m1"`, [null, 1, 2, 3, 3, 3, 5]),
          // Counter reset (the client restarted under the same session id): counted from zero.
          cost(`${CLI},${org("t2")},session_id="c",user_account_uuid="u-c",model="m2"`, [null, 4, 6, 1, 2]),
          // Desktop app; the org identity wins over the account.
          cost(`service_name="claude-code-desktop",${org("t2")},session_id="d",enduser_id="e-1",user_account_uuid="u-d",model="m2"`, [null, 2, 2]),
          // Not Claude Code: ignored.
          cost(`service_name="other",${org("t2")},session_id="e",user_email="e@x",model="m2"`, [null, 7, 8, 9]),
          // API key, no identity: in the team's total, without a person.
          cost(`${CLI},${org("t1")},session_id="f",model="m1"`, [null, 1]),
          // Silent for 30 minutes (laptop asleep), then more: not counted twice.
          cost(`${CLI},${org("t2")},session_id="g",user_email="g@x",model="m1"`, [null, 1, ...blanks(30), 3]),
          {
            series: `${METRICS.tokens.prometheus}{${CLI},${org("t1")},session_id="a",user_email="a@x",model="m1",type="cacheRead"}`,
            values: values([null, 100, 250]),
          },
          { series: `${METRICS.session.prometheus}{${CLI},${org("t1")},session_id="a",user_email="a@x"}`, values: values([null, 1, 1, 1, 1, 1]) },
          { series: `${METRICS.session.prometheus}{${CLI},${org("t1")},session_id="b",user_email="b@x"}`, values: values([null, 1, 1]) },
          { series: `${METRICS.session.prometheus}{${CLI},${org("t1")},session_id="f"}`, values: values([null, null, null, 1, 1, 1, 1, 1, 1, 1, 1]) },
        ],
        promql_expr_test: [
          {
            expr: sum(C.cost.record, "team"),
            eval_time: "60m",
            exp_samples: [
              { labels: '{team="t1"}', value: 6.5 },
              { labels: '{team="t2"}', value: 13 },
            ],
          },
          {
            expr: sum(C.cost.record, "user"),
            eval_time: "60m",
            exp_samples: [
              { labels: "{}", value: 1 },
              { labels: '{user="a@x"}', value: 0.5 },
              { labels: '{user="b@x"}', value: 5 },
              { labels: '{user="e-1"}', value: 2 },
              { labels: '{user="g@x"}', value: 3 },
              { labels: '{user="u-c"}', value: 8 },
            ],
          },
          {
            expr: sum(C.cost.record, "service_name"),
            eval_time: "60m",
            exp_samples: [
              { labels: '{service_name="claude-code"}', value: 17.5 },
              { labels: '{service_name="claude-code-desktop"}', value: 2 },
            ],
          },
          { expr: sum(C.tokens.record, "type, model"), eval_time: "60m", exp_samples: [{ labels: '{model="m1",type="cacheRead"}', value: 250 }] },
          { expr: sum(C.sessions.record, "team"), eval_time: "60m", exp_samples: [{ labels: '{team="t1"}', value: 3 }] },
          // Summed over part of the time: only what arrived in that window (b: 3 → 5 between 4m and 6m).
          { expr: `sum(sum_over_time(${C.cost.record}{user="b@x"}[2m]))`, eval_time: "7m", exp_samples: [{ labels: "{}", value: 2 }] },
          // People, not installations or sessions; sessions without identity are not people.
          {
            expr: `count(group by (user) (count_over_time(${RECORDED_USERS.perMinute}{user!=""}[60m])))`,
            eval_time: "60m",
            exp_samples: [{ labels: "{}", value: 2 }],
          },
          {
            expr: `count(group by (user) (count_over_time(${RECORDED_USERS.perHour}{user!=""}[1h])))`,
            eval_time: "70m",
            exp_samples: [{ labels: "{}", value: 2 }],
          },
          { expr: `max(max_over_time(${RECORDED_LAST_SAMPLE}[1h]))`, eval_time: "60m", exp_samples: [{ labels: "{}", value: 600 }] },
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
          { series: `${METRICS.session.prometheus}{${CLI}}`, values: "1x40" },
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
          { series: `${METRICS.session.prometheus}{${CLI}}`, values: "1x30" },
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
        input_series: [{ series: `${METRICS.session.prometheus}{${CLI}}`, values: "1" }],
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
    writeFileSync(path.join(dir, "short.yml"), renderRulesFile({ interval: "2s", queryOffset: "2s", seriesLookback: "1h", rollupInterval: "10s" }));
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
    if (first) first.value = 6.4;
    writeFileSync(path.join(dir, "tests-wrong.yml"), stringify(tests, { lineWidth: 0 }));
    const res = await testRules(path.join(dir, "tests-wrong.yml"));
    expect(res.code).not.toBe(0);
    expect(res.stdout + res.stderr).toContain("FAILED");
  });
});
