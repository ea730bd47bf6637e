// Every alert of the stack, unit-tested by the real promtool: for each one a case where it fires
// (its labels and its annotations with the values filled in, written out here) and one where it
// stays quiet, with input series shaped as the collector writes them (per person and replica, a
// sample per batch with what it added). promtool's clock starts on Thursday 1970-01-01 00:00 UTC.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseSettings } from "../components/settings.js";
import { alertingGroups, renderRulesFile } from "../components/rules-file.js";
import { API_EVENT_COUNTERS, USAGE_COUNTERS, USER_ACTIVITY } from "../components/usage-series.js";
import type { AlertingSettings } from "../components/settings-alerting.js";
import { describeWithTools, testRules } from "./support/tools.js";

const alertingOf = (alerting: Record<string, unknown>): AlertingSettings =>
  parseSettings({ target: "docker", prometheus: { retentionTime: "35d" }, alerting }, "alerts").alerting;

/** Every alert on, with thresholds the cases below cross or stay under. */
const ALERTING = alertingOf({ dailyBudgetUsd: 500, teamDailyBudgetsUsd: { platform: 100, data: 50 }, monthlyBudgetUsd: 6000, minWeeklyActivePeople: 10 });

const RUNBOOKS = new Map(alertingGroups(ALERTING).flatMap((g) => g.rules.map((r) => [r.alert, r.runbook] as const)));
const NO_DATA = new Map(alertingGroups(ALERTING).flatMap((g) => g.rules.map((r) => [r.alert, r.noData] as const)));

function firing(alert: string, labels: Record<string, string>, summary: string, description: string) {
  const runbook = RUNBOOKS.get(alert);
  if (runbook === undefined) throw new Error(`no alert ${alert}`);
  return { exp_labels: labels, exp_annotations: { summary, description, runbook } };
}

const org = (team: string) => `team="${team}",department="eng",cost_center="cc-${team}",environment="prod"`;
const CLI = 'service_name="claude-code",job="claude-code",instance="collector-a"';
const series = (name: string, labels: string, values: string) => ({ series: `${name}{${CLI},${labels}}`, values });
const cost = (team: string, user: string, values: string) => series(USAGE_COUNTERS.cost.series, `${org(team)},user="${user}",model="m1"`, values);
const activity = (team: string, user: string, values: string) => series(USER_ACTIVITY.series, `${org(team)},user="${user}"`, values);
const requests = (model: string, values: string) => series(API_EVENT_COUNTERS.requests.series, `${org("platform")},model="${model}"`, values);
const errors = (model: string, status: string, values: string) =>
  series(API_EVENT_COUNTERS.errors.series, `${org("platform")},model="${model}",status_code="${status}"`, values);
const collectorUp = (values: string) => ({ series: 'up{job="otel-collector",instance="collector:8888"}', values });

interface AlertTest {
  alertname: string;
  eval_time: string;
  exp_alerts: ReturnType<typeof firing>[];
}

interface Case {
  name: string;
  interval: string;
  input_series: { series: string; values: string }[];
  alert_rule_test: AlertTest[];
}

const SILENT_IN_UTC_WORKING_HOURS = firing(
  "ClaudeCodeTelemetrySilent",
  { severity: "critical" },
  "No Claude Code data for 30m in working hours, while the collector is up",
  "Nothing has arrived from any developer for 30m (working hours 9:00–18:00, UTC+0); the collector answers, so clients or ingest are broken.",
);

const quiet = (alertname: string, eval_time: string): AlertTest => ({ alertname, eval_time, exp_alerts: [] });

/** Cases evaluated every minute (promtool evaluates every group at the file's interval). */
function cases(): Case[] {
  return [
    {
      name: "spend over the organisation's and a team's daily budget",
      interval: "1m",
      input_series: [
        // 10 USD a minute for an hour: 610 USD by 60m, over 500 (organisation) and 100 (platform).
        cost("platform", "a@x", "10x60"),
        // 0.5 USD a minute: 30.5 USD, under data's 50.
        cost("data", "d@x", "0.5x60"),
        activity("platform", "a@x", "1x60"),
        collectorUp("1x60"),
      ],
      alert_rule_test: [
        quiet("ClaudeCodeDailySpendOverBudget", "30m"),
        {
          alertname: "ClaudeCodeDailySpendOverBudget",
          eval_time: "60m",
          exp_alerts: [
            firing(
              "ClaudeCodeDailySpendOverBudget",
              { severity: "warning" },
              "Claude Code spend over the last 24 hours is above the daily budget",
              "640.50 USD spent in the last 24 hours; the daily budget is 500 USD.",
            ),
          ],
        },
        {
          alertname: "ClaudeCodeTeamDailySpendOverBudget",
          eval_time: "60m",
          exp_alerts: [
            firing(
              "ClaudeCodeTeamDailySpendOverBudget",
              { severity: "warning", team: "platform", budget_usd: "100" },
              "Team platform spent more than its daily budget",
              "610.00 USD spent by platform in the last 24 hours; its daily budget is 100 USD.",
            ),
          ],
        },
      ],
    },
    {
      name: "API errors: a model's error ratio, 429 and 5xx surges",
      interval: "1m",
      input_series: [
        // m1: 10 requests and 1 server error a minute: 1 in 11 fail, 10 5xx in 10 minutes.
        requests("m1", "10x30"),
        errors("m1", "500", "1x30"),
        // m2: 100 requests and 3 rate-limited a minute: 30 429s in 10 minutes, under 3 % failing.
        requests("m2", "100x30"),
        errors("m2", "429", "3x30"),
        // m3: a few errors among few requests: under the 20-request minimum.
        requests("m3", "0.5x30"),
        errors("m3", "529", "0.5x30"),
      ],
      alert_rule_test: [
        quiet("ClaudeCodeApiErrorRatioHigh", "4m"),
        {
          alertname: "ClaudeCodeApiErrorRatioHigh",
          eval_time: "20m",
          exp_alerts: [
            firing(
              "ClaudeCodeApiErrorRatioHigh",
              { severity: "warning", model: "m1" },
              "Many Claude API requests to m1 fail",
              "9.091% of the requests to m1 in the last 10m failed after their retries (threshold 5%, from 20 requests).",
            ),
          ],
        },
        {
          alertname: "ClaudeCodeApiRateLimited",
          eval_time: "20m",
          exp_alerts: [
            firing(
              "ClaudeCodeApiRateLimited",
              { severity: "warning", model: "m2" },
              "m2: rate limited (429)",
              "30 requests to m2 failed with rate limited (429) in the last 10m (threshold 20).",
            ),
          ],
        },
        {
          alertname: "ClaudeCodeApiServerErrors",
          eval_time: "20m",
          exp_alerts: [
            firing(
              "ClaudeCodeApiServerErrors",
              { severity: "warning", model: "m1" },
              "m1: server errors (5xx)",
              "10 requests to m1 failed with server errors (5xx) in the last 10m (threshold 10).",
            ),
          ],
        },
      ],
    },
    {
      name: "silence in working hours while the collector is up; quiet at night, at the weekend and when the collector is down",
      interval: "5m",
      input_series: [
        // Up until Saturday, then down on Monday 1970-01-05 from 09:00.
        collectorUp("1x1044 0x100"),
        // Data until Thursday 08:00, then nothing.
        activity("platform", "a@x", "1x96"),
      ],
      alert_rule_test: [
        quiet("ClaudeCodeTelemetrySilent", "8h30m"),
        {
          alertname: "ClaudeCodeTelemetrySilent",
          eval_time: "10h",
          exp_alerts: [SILENT_IN_UTC_WORKING_HOURS],
        },
        // Thursday 20:00, Saturday 10:00, Monday 10:00 with the collector down.
        quiet("ClaudeCodeTelemetrySilent", "20h"),
        quiet("ClaudeCodeTelemetrySilent", "58h"),
        quiet("ClaudeCodeTelemetrySilent", "106h"),
      ],
    },
    {
      name: "no data at all while the collector is up (Thursday 10:00): exactly the no-data alerts fire",
      interval: "5m",
      input_series: [collectorUp("1x200")],
      alert_rule_test: [...NO_DATA.entries()]
        .filter(([, noData]) => noData === "quiet")
        .map(([alert]) => quiet(alert, "10h"))
        .concat([
          {
            alertname: "ClaudeCodeTelemetryMissing",
            eval_time: "10h",
            exp_alerts: [
              firing(
                "ClaudeCodeTelemetryMissing",
                { severity: "warning" },
                "No Claude Code telemetry has arrived for 6h",
                "Check the client settings (CLAUDE_CODE_ENABLE_TELEMETRY, exporters, endpoint, token) and the collector's refused/failed counters.",
              ),
            ],
          },
          {
            alertname: "ClaudeCodeAdoptionBelowFloor",
            eval_time: "10h",
            exp_alerts: [
              firing(
                "ClaudeCodeAdoptionBelowFloor",
                { severity: "warning" },
                "Fewer people used Claude Code this week than expected",
                "0 people used Claude Code in the last 7 days (installations counted for sessions with no identity of a person); the floor is 10.",
              ),
            ],
          },
          {
            alertname: "ClaudeCodeTelemetrySilent",
            eval_time: "10h",
            exp_alerts: [SILENT_IN_UTC_WORKING_HOURS],
          },
        ]),
    },
    {
      name: "the plumbing: a full queue drops data, rules fail, notifications fail",
      interval: "1m",
      input_series: [
        { series: 'otelcol_exporter_enqueue_failed_metric_points{exporter="prometheus_remote_write",job="otel-collector"}', values: "0x5 0+50x20" },
        { series: 'otelcol_exporter_enqueue_failed_log_records{exporter="otlp_http/loki",job="otel-collector"}', values: "0x25" },
        {
          series: 'prometheus_rule_evaluation_failures_total{rule_group="/etc/prometheus/rules/claude-code.rules.yml;claude_code_spend",job="prometheus"}',
          values: "0x5 0+1x20",
        },
        { series: 'alertmanager_notifications_failed_total{integration="slack",job="alertmanager"}', values: "0+2x25" },
        { series: 'alertmanager_notifications_failed_total{integration="email",job="alertmanager"}', values: "0x25" },
        collectorUp("1x25"),
      ],
      alert_rule_test: [
        quiet("TelemetryDropped", "5m"),
        {
          alertname: "TelemetryDropped",
          eval_time: "15m",
          exp_alerts: [
            firing(
              "TelemetryDropped",
              { severity: "critical", exporter: "prometheus_remote_write" },
              "The collector drops telemetry for prometheus_remote_write: its queue is full",
              "833.3m items per second are lost for good.",
            ),
          ],
        },
        quiet("PrometheusRuleEvaluationFailing", "10m"),
        {
          alertname: "PrometheusRuleEvaluationFailing",
          eval_time: "20m",
          exp_alerts: [
            firing(
              "PrometheusRuleEvaluationFailing",
              { severity: "warning", rule_group: "/etc/prometheus/rules/claude-code.rules.yml;claude_code_spend" },
              "Rules of /etc/prometheus/rules/claude-code.rules.yml;claude_code_spend fail to evaluate",
              "An alert of that group cannot fire while its rule fails.",
            ),
          ],
        },
        {
          alertname: "AlertNotificationsFailing",
          eval_time: "20m",
          exp_alerts: [
            firing(
              "AlertNotificationsFailing",
              { severity: "warning", integration: "slack" },
              "Alertmanager fails to send notifications through slack",
              "Alerts still show in Grafana and Alertmanager, but do not reach people.",
            ),
          ],
        },
      ],
    },
  ];
}

/**
 * Cases that read the hourly roll-ups, evaluated every hour: promtool evaluates every group at the
 * test file's interval, so a roll-up evaluated every minute would count each hour 60 times.
 */
function hourlyCases(): Case[] {
  return [
    {
      name: "the month's spend, projected at the last 7 days' pace, past the monthly budget",
      interval: "10m",
      input_series: [
        // 5 USD every 10 minutes for two days (1440 USD), then nothing. On 5 January 00:00 the
        // forecast is 1440 + 1440 / 7 × 27 days left = 6994.29, over 6000 while the spend is not.
        cost("platform", "a@x", "5x287"),
        activity("platform", "a@x", "1x287"),
      ],
      alert_rule_test: [
        {
          alertname: "ClaudeCodeMonthlySpendForecastOverBudget",
          eval_time: "96h",
          exp_alerts: [
            firing(
              "ClaudeCodeMonthlySpendForecastOverBudget",
              { severity: "warning" },
              "Claude Code spend is on course to exceed the monthly budget",
              "This month's spend so far plus the last 7 days' daily pace until the month ends comes to 6994.29 USD; the monthly budget is 6000 USD.",
            ),
          ],
        },
        quiet("ClaudeCodeMonthlySpendForecastOverBudget", "2h"),
      ],
    },
    {
      name: "one person's hour far above their own pace, above the floor",
      interval: "10m",
      input_series: [
        // A week at 6 USD an hour, then 120 USD an hour for two hours: 20× their pace.
        cost("platform", "spike@x", "1x1008 20x12"),
        activity("platform", "spike@x", "1x1020"),
        // 30 USD an hour all along: above the floor, at their usual pace.
        cost("platform", "steady@x", "5x1014"),
        activity("platform", "steady@x", "1x1014"),
        // 20× their pace, but 12 USD: under the 20 USD floor.
        cost("platform", "small@x", "0.1x1008 2x6"),
        activity("platform", "small@x", "1x1014"),
        // No history: the floor alone decides (180 USD in the hour).
        cost("data", "new@x", "_x1008 30x12"),
        activity("data", "new@x", "_x1008 1x12"),
      ],
      alert_rule_test: [
        quiet("ClaudeCodeRunawaySpend", "168h"),
        // Evaluated hourly here, so "for 5m" holds from the second evaluation over the threshold:
        // new@x (over the floor since 168h, no history) at 169h; spike@x at 170h, when new@x is
        // compared with its own first hour and is no longer far above it.
        {
          alertname: "ClaudeCodeRunawaySpend",
          eval_time: "169h",
          exp_alerts: [
            firing(
              "ClaudeCodeRunawaySpend",
              { severity: "critical", user: "new@x" },
              "new@x is spending far above their usual pace",
              "180.00 USD in the last hour: above 5× their average per active hour of the past 7 days, and above the floor of 20 USD.",
            ),
          ],
        },
        {
          alertname: "ClaudeCodeRunawaySpend",
          eval_time: "170h",
          exp_alerts: [
            firing(
              "ClaudeCodeRunawaySpend",
              { severity: "critical", user: "spike@x" },
              "spike@x is spending far above their usual pace",
              "120.00 USD in the last hour: above 5× their average per active hour of the past 7 days, and above the floor of 20 USD.",
            ),
          ],
        },
      ],
    },
    {
      name: "weekly active people under the floor",
      interval: "10m",
      input_series: [activity("platform", "a@x", "1x40"), activity("platform", "b@x", "1x40"), activity("data", "c@x", "1x40")],
      alert_rule_test: [
        {
          alertname: "ClaudeCodeAdoptionBelowFloor",
          eval_time: "6h",
          exp_alerts: [
            firing(
              "ClaudeCodeAdoptionBelowFloor",
              { severity: "warning" },
              "Fewer people used Claude Code this week than expected",
              "3 people used Claude Code in the last 7 days (installations counted for sessions with no identity of a person); the floor is 10.",
            ),
          ],
        },
      ],
    },
    {
      name: "adoption at the floor stays quiet",
      interval: "10m",
      input_series: Array.from({ length: 10 }, (_, i) => activity("platform", `p${i}@x`, "1x40")),
      alert_rule_test: [quiet("ClaudeCodeAdoptionBelowFloor", "6h")],
    },
    {
      name: "a quiet organisation: small spend, few errors, data arriving, enough people: nothing fires",
      interval: "10m",
      input_series: [
        ...Array.from({ length: 12 }, (_, i) => cost(i % 2 ? "platform" : "data", `p${i}@x`, "0.05x200")),
        ...Array.from({ length: 12 }, (_, i) => activity(i % 2 ? "platform" : "data", `p${i}@x`, "1x200")),
        requests("m1", "50x200"),
        errors("m1", "500", "0.05x200"),
        collectorUp("1x200"),
      ],
      alert_rule_test: [...NO_DATA.keys()].map((alert) => quiet(alert, "30h")),
    },
  ];
}

describe("alert definitions", () => {
  it("every alert has a summary, description, runbook, severity, `for` and a no-data behaviour; names are unique per expression", () => {
    const rules = alertingGroups(ALERTING).flatMap((g) => g.rules);
    for (const r of rules) {
      expect(r.summary.length, r.alert).toBeGreaterThan(10);
      expect(r.description.length, r.alert).toBeGreaterThan(10);
      expect(r.runbook.length, r.alert).toBeGreaterThan(20);
      expect(["warning", "critical"]).toContain(r.severity);
      expect(r.for).toMatch(/^\d+[smh]$/);
      expect(["fires", "quiet"]).toContain(r.noData);
    }
    const keys = rules.map((r) => `${r.alert}|${JSON.stringify(r.labels ?? {})}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("budget, forecast and adoption alerts exist only when their setting is given", () => {
    const names = (a: AlertingSettings) => new Set(alertingGroups(a).flatMap((g) => g.rules.map((r) => r.alert)));
    const none = names(alertingOf({}));
    for (const n of [
      "ClaudeCodeDailySpendOverBudget",
      "ClaudeCodeTeamDailySpendOverBudget",
      "ClaudeCodeMonthlySpendForecastOverBudget",
      "ClaudeCodeAdoptionBelowFloor",
    ])
      expect(none.has(n), n).toBe(false);
    for (const n of ["ClaudeCodeRunawaySpend", "ClaudeCodeApiErrorRatioHigh", "ClaudeCodeTelemetrySilent", "TelemetryDropped"])
      expect(none.has(n), n).toBe(true);
    expect(
      alertingGroups(ALERTING)
        .flatMap((g) => g.rules)
        .filter((r) => r.alert === "ClaudeCodeTeamDailySpendOverBudget"),
    ).toHaveLength(2);
  });

  it("refuses a monthly budget Prometheus cannot see a whole month for, and bad working hours", () => {
    expect(() => parseSettings({ target: "docker", alerting: { monthlyBudgetUsd: 1000 } }, "x")).toThrow(/alerting\.monthlyBudgetUsd.*retentionTime of 31d/s);
    expect(() => parseSettings({ target: "docker", alerting: { workingHours: { start: 18, end: 9 } } }, "x")).toThrow(
      /workingHours\.end.*must be after start/s,
    );
    expect(() => parseSettings({ target: "docker", alerting: { teamDailyBudgetsUsd: { platform: -5 } } }, "x")).toThrow(/teamDailyBudgetsUsd/);
  });
});

describeWithTools(["promtool"], "alerts with promtool", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "alert-rules-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (tests: Case[], alerting = ALERTING, name = "alerts", evaluationInterval = "1m") => {
    writeFileSync(path.join(dir, `${name}.rules.yml`), renderRulesFile({ alerting }));
    const file = { rule_files: [`${name}.rules.yml`], evaluation_interval: evaluationInterval, tests };
    writeFileSync(path.join(dir, `${name}.tests.yml`), stringify(file, { lineWidth: 0 }));
    return testRules(path.join(dir, `${name}.tests.yml`));
  };

  it("every alert fires where it should, with its values, and stays quiet where it should", async () => {
    for (const res of [await run(cases()), await run(hourlyCases(), ALERTING, "hourly", "1h")]) {
      expect(res.code, res.stdout + res.stderr).toBe(0);
      expect(res.stdout).toContain("SUCCESS");
    }
  });

  it("every alert has a case where it fires", () => {
    const fired = new Set([...cases(), ...hourlyCases()].flatMap((c) => c.alert_rule_test.filter((t) => t.exp_alerts.length > 0).map((t) => t.alertname)));
    const untested = [...NO_DATA.keys()].filter(
      (a) => !fired.has(a) && !["TelemetryCollectorDown", "TelemetryCollectorRefusing", "TelemetryExportFailing", "TelemetryBackendDown"].includes(a),
    );
    // The four left out fire in test/rules.test.ts.
    expect(untested).toEqual([]);
  });

  it("a higher monthly budget, and working hours in another time zone, move the thresholds", async () => {
    const shifted = alertingOf({ monthlyBudgetUsd: 8000, workingHours: { utcOffset: -5 } });
    const forecast = hourlyCases()[0]!;
    const silence = cases().find((c) => c.name.startsWith("silence"))!;
    const res = await run([{ ...forecast, alert_rule_test: [quiet("ClaudeCodeMonthlySpendForecastOverBudget", "96h")] }], shifted, "shifted-forecast", "1h");
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const tests: Case[] = [
      // 10:00 UTC is 05:00 at UTC-5: quiet; 15:00 UTC is 10:00 there.
      {
        ...silence!,
        alert_rule_test: [
          quiet("ClaudeCodeTelemetrySilent", "10h"),
          {
            alertname: "ClaudeCodeTelemetrySilent",
            eval_time: "15h",
            exp_alerts: [
              firing(
                "ClaudeCodeTelemetrySilent",
                { severity: "critical" },
                "No Claude Code data for 30m in working hours, while the collector is up",
                "Nothing has arrived from any developer for 30m (working hours 9:00–18:00, UTC-5); the collector answers, so clients or ingest are broken.",
              ),
            ],
          },
        ],
      },
    ];
    const shiftedSilence = await run(tests, shifted, "shifted");
    expect(shiftedSilence.code, shiftedSilence.stdout + shiftedSilence.stderr).toBe(0);
  });

  it("the cases can fail: a runaway alert expected for the steady person is reported", async () => {
    const tests = hourlyCases();
    const runaway = tests[1]!.alert_rule_test[2]!;
    runaway.exp_alerts.push(
      firing(
        "ClaudeCodeRunawaySpend",
        { severity: "critical", user: "steady@x" },
        "steady@x is spending far above their usual pace",
        "30.00 USD in the last hour",
      ),
    );
    const res = await run(tests, ALERTING, "wrong", "1h");
    expect(res.code).not.toBe(0);
    expect(res.stdout + res.stderr).toContain("FAILED");
  });
});
