// The Alertmanager config and its provisioning: routes by severity to every configured contact
// point, secrets only in secret files, Grafana's datasources pointing at it; checked by the real
// amtool, and, for routing, by the real Alertmanager delivering to a webhook receiver.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseSettings, type Settings } from "../components/settings.js";
import { RECEIVER_SECRET_FILES, VISIBLE_ONLY_RECEIVER, renderAlertmanagerConfig } from "../components/alertmanager.js";
import { placeholderSpecs } from "../components/render-files.js";
import { DATASOURCE_UIDS } from "../components/grafana-provisioning.js";
import { PLACEHOLDERS } from "../components/placeholders.js";
import { describeWithTools } from "./support/tools.js";
import { amtoolCheckConfig, startAlertmanager, startWebhookReceiver } from "./support/alertmanager.js";

const SECRETS = {
  slack: "https://hooks.slack.example/services/T0/B0/s3cr3t-slack",
  pagerduty: "0123456789abcdef0123456789ABCDEF",
  email: "smtp-s3cr3t-password",
  webhook: "https://hooks.example.com/claude-code?token=s3cr3t-hook",
};

const settingsWith = (receivers: Record<string, unknown>): Settings => parseSettings({ target: "docker", alerting: { receivers } }, "am");

const ALL = settingsWith({
  slack: { webhookUrl: SECRETS.slack, channel: "#claude-code" },
  pagerduty: { routingKey: SECRETS.pagerduty },
  email: { to: "finance@example.com", from: "alerts@example.com", smarthost: "smtp.example.com:587", username: "alerts", password: SECRETS.email },
  webhook: { url: SECRETS.webhook, severities: ["critical"] },
});

type Obj = Record<string, any>;

describe("alertmanager config", () => {
  it("routes each severity to every contact point that takes it, the rest only shown", () => {
    const c: Obj = parse(renderAlertmanagerConfig(ALL.alerting));
    expect(c.route.receiver).toBe(VISIBLE_ONLY_RECEIVER);
    expect(c.route.routes).toEqual([
      { receiver: "slack", matchers: ['severity=~"critical|warning"'], continue: true },
      { receiver: "pagerduty", matchers: ['severity=~"critical"'], continue: true },
      { receiver: "email", matchers: ['severity=~"critical|warning"'], continue: true },
      { receiver: "webhook", matchers: ['severity=~"critical"'], continue: true },
    ]);
    // Every receiver a route names exists, and each once.
    const names = c.receivers.map((r: Obj) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const r of [c.route, ...c.route.routes]) expect(names).toContain(r.receiver);
    expect(c.receivers.find((r: Obj) => r.name === "slack").slack_configs[0]).toMatchObject({
      api_url_file: RECEIVER_SECRET_FILES.slack,
      channel: "#claude-code",
    });
    expect(c.receivers.find((r: Obj) => r.name === "pagerduty").pagerduty_configs[0].routing_key_file).toBe(RECEIVER_SECRET_FILES.pagerduty);
    expect(c.receivers.find((r: Obj) => r.name === "email").email_configs[0]).toMatchObject({
      auth_username: "alerts",
      auth_password_file: RECEIVER_SECRET_FILES.email,
    });
    expect(c.receivers.find((r: Obj) => r.name === "webhook").webhook_configs[0].url_file).toBe(RECEIVER_SECRET_FILES.webhook);
  });

  it("with no contact point, alerts are only shown (one receiver, no routes)", () => {
    const c: Obj = parse(renderAlertmanagerConfig(settingsWith({}).alerting));
    expect(c.receivers).toEqual([{ name: VISIBLE_ONLY_RECEIVER }]);
    expect(c.route.routes).toEqual([]);
  });

  it("keeps every secret out of the config and every other file: secret files only, placeholders when rendered", () => {
    const specs = placeholderSpecs(ALL);
    const am = specs.alertmanager;
    const secretFiles = am.files.filter((f) => f.secret);
    expect(secretFiles.map((f) => [f.path, f.content])).toEqual([
      [RECEIVER_SECRET_FILES.slack, PLACEHOLDERS.slack],
      [RECEIVER_SECRET_FILES.pagerduty, PLACEHOLDERS.pagerduty],
      [RECEIVER_SECRET_FILES.email, PLACEHOLDERS.email],
      [RECEIVER_SECRET_FILES.webhook, PLACEHOLDERS.webhook],
    ]);
    const everything = JSON.stringify(Object.values(specs).map((s) => ({ ...s, files: s.files.map((f) => f.content) })));
    for (const value of Object.values(SECRETS)) expect(everything).not.toContain(value);
  });

  it("Grafana's datasources include this Alertmanager, and the Prometheus one points its alert view at it", () => {
    const grafana = placeholderSpecs(ALL).grafana;
    const file = grafana.files.find((f) => f.path.endsWith("datasources/claude-code.yaml"));
    const ds: Obj = parse(String(file?.content));
    const uids = ds.datasources.map((d: Obj) => d.uid);
    expect(uids).toContain(DATASOURCE_UIDS.alertmanager);
    const prom = ds.datasources.find((d: Obj) => d.type === "prometheus");
    expect(uids).toContain(prom.jsonData.alertmanagerUid);
    expect(ds.datasources.find((d: Obj) => d.uid === DATASOURCE_UIDS.alertmanager).url).toBe("http://alertmanager:9093");
  });

  it("Prometheus sends its alerts to it", () => {
    const prom = placeholderSpecs(ALL).prometheus;
    const c: Obj = parse(String(prom.files.find((f) => f.path.endsWith("prometheus.yml"))?.content));
    expect(c.alerting.alertmanagers).toEqual([{ static_configs: [{ targets: ["alertmanager:9093"] }] }]);
  });

  it("refuses contact points with bad values, naming the key and never repeating a secret", () => {
    const bad = () =>
      parseSettings(
        {
          target: "docker",
          alerting: { receivers: { slack: { webhookUrl: "http://not-https.example/s3cr3t-x" }, pagerduty: { routingKey: "short-s3cr3t" } } },
        },
        "x",
      );
    expect(bad).toThrow(/alerting\.receivers\.slack\.webhookUrl/);
    expect(bad).toThrow(/alerting\.receivers\.pagerduty\.routingKey/);
    try {
      bad();
    } catch (e) {
      expect(String(e)).not.toContain("s3cr3t");
    }
    expect(() =>
      parseSettings(
        { target: "docker", alerting: { receivers: { email: { to: "a@example.com", from: "b@example.com", smarthost: "smtp:25", password: "p" } } } },
        "x",
      ),
    ).toThrow(/username and password/);
  });
});

describeWithTools(["amtool", "alertmanager"], "alertmanager config with the real amtool and Alertmanager", () => {
  const withLocalSecrets = (config: string, dir: string) =>
    Object.values(RECEIVER_SECRET_FILES).reduce((text, file) => text.replaceAll(file, `${dir}/${path(file)}`), config);
  const path = (file: string) => file.slice(file.lastIndexOf("/") + 1);

  it("amtool accepts the config with every contact point, and with none", async () => {
    for (const settings of [ALL, settingsWith({})]) {
      const files = Object.fromEntries(Object.values(RECEIVER_SECRET_FILES).map((f) => [path(f), "x"]));
      const res = await amtoolCheckConfig(withLocalSecrets(renderAlertmanagerConfig(settings.alerting), "."), files);
      expect(res.code, res.stdout + res.stderr).toBe(0);
      expect(res.stdout).toContain("SUCCESS");
    }
  });

  it("amtool rejects a route to a receiver that does not exist (the check can fail)", async () => {
    const c: Obj = parse(renderAlertmanagerConfig(ALL.alerting));
    c.route.routes[0].receiver = "nobody";
    const res = await amtoolCheckConfig(JSON.stringify(c));
    expect(res.code).not.toBe(0);
    expect(res.stdout + res.stderr).toContain("nobody");
  });

  it("delivers an alert to the webhook contact point with its labels, and a warning not to a critical-only one", async () => {
    const critical = await startWebhookReceiver();
    const all = await startWebhookReceiver();
    // Two webhook contact points need two configs' worth of receivers: render one, add a second route.
    const c: Obj = parse(
      renderAlertmanagerConfig(settingsWith({ webhook: { url: critical.url, severities: ["critical"] } }).alerting, {
        groupWait: "1s",
        groupInterval: "1s",
        repeatInterval: "1h",
      }),
    );
    c.receivers.find((r: Obj) => r.name === "webhook").webhook_configs[0] = { url: critical.url, send_resolved: true };
    c.receivers.push({ name: "all", webhook_configs: [{ url: all.url }] });
    c.route.routes.push({ receiver: "all", matchers: ['severity=~"critical|warning"'], continue: true });
    const am = await startAlertmanager(JSON.stringify(c));
    try {
      const post = (labels: Record<string, string>) =>
        fetch(`${am.url}/api/v2/alerts`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify([{ labels, annotations: { summary: "s" } }]),
        });
      expect((await post({ alertname: "ClaudeCodeRunawaySpend", severity: "critical", user: "a@example.com" })).status).toBe(200);
      expect((await post({ alertname: "ClaudeCodeDailySpendOverBudget", severity: "warning" })).status).toBe(200);
      const alerts = (r: { received: unknown[] }) =>
        r.received.flatMap((p) => (p as { alerts: { labels: Record<string, string> }[] }).alerts.map((a) => a.labels));
      await all.waitFor(() => alerts(all).length >= 2);
      await critical.waitFor(() => alerts(critical).length >= 1);
      // Time for a wrongly routed warning to arrive too.
      await new Promise((r) => setTimeout(r, 3000));
      expect(alerts(critical)).toEqual([{ alertname: "ClaudeCodeRunawaySpend", severity: "critical", user: "a@example.com" }]);
      expect(
        alerts(all)
          .map((l) => l.alertname)
          .sort(),
      ).toEqual(["ClaudeCodeDailySpendOverBudget", "ClaudeCodeRunawaySpend"]);
    } finally {
      await am.stop();
      await critical.close();
      await all.close();
    }
  }, 60_000);
});
