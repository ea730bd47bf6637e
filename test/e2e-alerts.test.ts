// Alerts end to end with the real tools: Claude Code-shaped delta clients (OTel JS SDK) → the real
// collector (rendered config) → the real Prometheus evaluating the rendered rules → the real
// Alertmanager (rendered config, its webhook contact point) → a webhook receiver on 127.0.0.1.
// A quiet organisation fires nothing and notifies no one; then a runaway developer and a team over
// its daily budget reach the receiver with the right labels. The alert groups are evaluated every
// 2 s with `for` 0 s (the expressions are the production ones); Grafana does not run here, so its
// scrape job is left out.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { METER_NAME, METRICS } from "../components/claude/telemetry.js";
import { parseSettings } from "../components/settings.js";
import { renderRulesFile } from "../components/rules-file.js";
import { RECEIVER_SECRET_FILES, renderAlertmanagerConfig } from "../components/alertmanager.js";
import { USAGE_COUNTERS } from "../components/usage-series.js";
import { LOOPBACK, freePort } from "../lib/loopback.js";
import { sleep } from "../lib/poll.js";
import { startLokiDouble, type LokiDouble } from "./support/loki-double.js";
import { renderedCollectorConfig, startCollector, type RunningCollector } from "./support/collector.js";
import { describeWithTools, queryPrometheus, startPrometheus, waitFor, type RunningServer } from "./support/tools.js";
import { RULES_NAME, testPrometheusConfig } from "./support/prometheus-files.js";
import { startAlertmanager, startWebhookReceiver, type RunningAlertmanager, type WebhookReceiver } from "./support/alertmanager.js";

/** Several alert evaluations: what "nothing fired" is checked over. */
const QUIET_WATCH_MS = 10_000;

interface WebhookAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** One Claude Code process of one person (OTel JS SDK, delta, as the managed settings ask). */
async function spend(collector: RunningCollector, team: string, email: string, usd: number): Promise<void> {
  const exporter = new OTLPMetricExporter({ url: `${collector.httpEndpoint}/v1/metrics`, temporalityPreference: AggregationTemporality.DELTA });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": "claude-code", team }),
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
  });
  const cost = provider.getMeter(METER_NAME).createCounter(METRICS.cost.name, { unit: METRICS.cost.unit });
  cost.add(usd, { "session.id": `${email}-1`, "user.email": email, team, model: "claude-sonnet" });
  await sleep(5);
  await provider.forceFlush();
  await provider.shutdown();
}

describeWithTools(["otelcol", "prometheus", "alertmanager"], "alerts end to end: real collector, Prometheus, Alertmanager; events to the Loki double", () => {
  let dir: string;
  let receiver: WebhookReceiver;
  let alertmanager: RunningAlertmanager;
  let prometheus: RunningServer;
  let loki: LokiDouble;
  let collector: RunningCollector;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "e2e-alerts-"));
    receiver = await startWebhookReceiver();
    const settings = parseSettings(
      {
        target: "docker",
        alerting: {
          teamDailyBudgetsUsd: { platform: 5, data: 5 },
          runawayMinHourlyUsd: 3,
          receivers: { webhook: { url: receiver.url } },
        },
      },
      "e2e-alerts",
    );
    // The contact point's URL is a secret file beside the config, as on the platforms.
    const urlFile = path.join(dir, "webhook-url");
    writeFileSync(urlFile, receiver.url);
    const amConfig = renderAlertmanagerConfig(settings.alerting, { groupWait: "1s", groupInterval: "1s", repeatInterval: "1h" });
    expect(amConfig).not.toContain(receiver.url);
    alertmanager = await startAlertmanager(amConfig.replace(RECEIVER_SECRET_FILES.webhook, urlFile));

    loki = await startLokiDouble();
    const telemetryPort = await freePort();
    const targets = {
      collectorTelemetry: `${LOOPBACK}:${telemetryPort}`,
      loki: loki.url.replace(/^http:\/\//, ""),
      grafana: `${LOOPBACK}:1`,
      alertmanager: alertmanager.url.replace(/^http:\/\//, ""),
    };
    const rules = renderRulesFile({
      alerting: settings.alerting,
      alertTiming: { interval: "2s", for: "0s" },
      recording: { interval: "2s", rollupInterval: "10s", rollupOffset: "3s" },
    });
    prometheus = await startPrometheus({
      configYaml: (listen) => testPrometheusConfig(settings, listen, targets, { interval: "1s", withoutJobs: ["grafana"] }),
      ruleFiles: { [RULES_NAME]: rules },
    });
    collector = await startCollector({
      config: renderedCollectorConfig(settings, { prometheus: prometheus.url, loki: loki.url }),
      ports: { telemetry: telemetryPort },
    });
  }, 120_000);

  afterAll(async () => {
    await collector?.stop();
    await prometheus?.stop();
    await alertmanager?.stop();
    await loki?.stop();
    await receiver?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const teamCost = async (team: string) =>
    Number((await queryPrometheus(prometheus.url, `sum(sum_over_time(${USAGE_COUNTERS.cost.series}{team="${team}"}[10m]))`))[0]?.value?.[1] ?? 0);
  const prometheusAlerts = async () => {
    const res = await fetch(`${prometheus.url}/api/v1/alerts`);
    return ((await res.json()) as { data: { alerts: WebhookAlert[] } }).data.alerts;
  };
  const notified = (): WebhookAlert[] => receiver.received.flatMap((p) => (p as { alerts: WebhookAlert[] }).alerts);

  it("a quiet organisation fires nothing and notifies no one", async () => {
    await spend(collector, "data", "dana@example.com", 0.5);
    await spend(collector, "data", "dev@example.com", 1.25);
    await waitFor(async () => (await teamCost("data")) === 1.75, 30_000);
    // Every target answers (no plumbing alert either), and the rules run.
    await waitFor(async () => (await queryPrometheus(prometheus.url, "min(up)"))[0]?.value?.[1] === "1", 30_000);
    // Before the first sample, "no telemetry at all" is true and fires (as it should on a stack that
    // receives nothing); once the data is in, it resolves. From then on nothing may fire.
    await waitFor(async () => (await prometheusAlerts()).length === 0, 30_000);
    receiver.received.length = 0;
    await sleep(QUIET_WATCH_MS);
    expect(await prometheusAlerts()).toEqual([]);
    expect(notified().filter((a) => a.status === "firing")).toEqual([]);
  }, 90_000);

  it("a runaway developer and a team over its daily budget reach the webhook with their labels", async () => {
    await spend(collector, "platform", "runaway@example.com", 6);
    await spend(collector, "platform", "steady@example.com", 0.5);
    await waitFor(async () => (await teamCost("platform")) === 6.5, 30_000);
    const find = (name: string) => notified().filter((a) => a.labels.alertname === name && a.status === "firing");
    await waitFor(() => find("ClaudeCodeRunawaySpend").length > 0 && find("ClaudeCodeTeamDailySpendOverBudget").length > 0, 60_000).catch(() => {
      throw new Error(`the webhook got ${JSON.stringify(notified())}`);
    });
    const [runaway] = find("ClaudeCodeRunawaySpend");
    expect(runaway?.labels).toEqual({
      alertname: "ClaudeCodeRunawaySpend",
      severity: "critical",
      user: "runaway@example.com",
      telemetry_stack: "e2e-alerts",
    });
    expect(runaway?.annotations.description).toContain("6.00 USD in the last hour");
    const [team] = find("ClaudeCodeTeamDailySpendOverBudget");
    expect(team?.labels).toEqual({
      alertname: "ClaudeCodeTeamDailySpendOverBudget",
      severity: "warning",
      team: "platform",
      budget_usd: "5",
      // Prometheus' external label: which stack fired it, once several send to one Alertmanager.
      telemetry_stack: "e2e-alerts",
    });
    expect(team?.annotations.description).toBe("6.50 USD spent by platform in the last 24 hours; its daily budget is 5 USD.");
    // Nobody else: not the steady developer, not the team under its budget.
    const others = notified().filter((a) => a.labels.user === "steady@example.com" || a.labels.team === "data" || a.labels.user === "dana@example.com");
    expect(others).toEqual([]);
    expect(
      new Set(
        notified()
          .filter((a) => a.status === "firing")
          .map((a) => a.labels.alertname),
      ),
    ).toEqual(new Set(["ClaudeCodeRunawaySpend", "ClaudeCodeTeamDailySpendOverBudget"]));
  }, 120_000);
});
