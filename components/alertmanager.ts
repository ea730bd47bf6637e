// Alertmanager: receives what the stack's Prometheus rules fire, groups it and routes it to the
// contact points of `alerting.receivers` by severity. With none configured, every alert still shows
// in Grafana (its Alertmanager datasource) and in Alertmanager itself. Secrets (webhook URLs, keys,
// the SMTP password) are files beside the config, which names only their paths.
import { stringify } from "yaml";
import type * as pulumi from "@pulumi/pulumi";
import type { Settings } from "./settings.js";
import type { AlertingSettings, Severity } from "./settings-alerting.js";
import type { ConfigFile, ServiceSpec } from "./platform/spec.js";

export const ALERTMANAGER_PORT = 9093;
export const ALERTMANAGER_CONFIG_PATH = "/etc/alertmanager/alertmanager.yml";
export const ALERTMANAGER_DATA_PATH = "/alertmanager";
const SECRETS_DIR = "/etc/alertmanager/secrets";

/** The contact points a stack can configure, and the secret file of each. */
export const RECEIVER_SECRET_FILES = {
  slack: `${SECRETS_DIR}/slack-webhook-url`,
  pagerduty: `${SECRETS_DIR}/pagerduty-routing-key`,
  email: `${SECRETS_DIR}/smtp-password`,
  webhook: `${SECRETS_DIR}/webhook-url`,
} as const;
export type ReceiverName = keyof typeof RECEIVER_SECRET_FILES;

/** The receiver that gets what no contact point takes: alerts stay visible, nobody is notified. */
export const VISIBLE_ONLY_RECEIVER = "visible-in-grafana";

/** The secret values of the configured contact points (Pulumi secrets when deploying, placeholders when rendering). */
export type ReceiverSecrets = Partial<Record<ReceiverName, pulumi.Input<string>>>;

/** The secret each configured receiver needs, read from the settings. */
export function receiverSecretValues(a: AlertingSettings): Partial<Record<ReceiverName, string>> {
  const r = a.receivers;
  return {
    ...(r.slack ? { slack: r.slack.webhookUrl } : {}),
    ...(r.pagerduty ? { pagerduty: r.pagerduty.routingKey } : {}),
    ...(r.email?.password ? { email: r.email.password } : {}),
    ...(r.webhook ? { webhook: r.webhook.url } : {}),
  };
}

/** Timings of notification grouping; tests shorten them. */
export interface NotificationTiming {
  readonly groupWait: string;
  readonly groupInterval: string;
  readonly repeatInterval: string;
}

export const DEFAULT_NOTIFICATION_TIMING: NotificationTiming = { groupWait: "30s", groupInterval: "5m", repeatInterval: "4h" };

const TITLE = "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}{{ if .CommonLabels.team }} ({{ .CommonLabels.team }}){{ end }}";
const TEXT = "{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\nWhat to do: {{ .Annotations.runbook }}\n{{ end }}";

function receiverConfigs(a: AlertingSettings): { name: ReceiverName; severities: readonly Severity[]; config: Record<string, unknown> }[] {
  const r = a.receivers;
  const out: { name: ReceiverName; severities: readonly Severity[]; config: Record<string, unknown> }[] = [];
  if (r.slack) {
    const slack = {
      api_url_file: RECEIVER_SECRET_FILES.slack,
      send_resolved: true,
      title: TITLE,
      text: TEXT,
      ...(r.slack.channel ? { channel: r.slack.channel } : {}),
    };
    out.push({ name: "slack", severities: r.slack.severities, config: { slack_configs: [slack] } });
  }
  if (r.pagerduty) {
    const pd = { routing_key_file: RECEIVER_SECRET_FILES.pagerduty, send_resolved: true, severity: "{{ .CommonLabels.severity }}", description: TITLE };
    out.push({ name: "pagerduty", severities: r.pagerduty.severities, config: { pagerduty_configs: [pd] } });
  }
  if (r.email) {
    const e = r.email;
    const email = {
      to: e.to,
      from: e.from,
      smarthost: e.smarthost,
      require_tls: e.requireTls,
      send_resolved: true,
      ...(e.username ? { auth_username: e.username, auth_password_file: RECEIVER_SECRET_FILES.email } : {}),
      headers: { Subject: TITLE },
      text: TEXT,
    };
    out.push({ name: "email", severities: e.severities, config: { email_configs: [email] } });
  }
  if (r.webhook) {
    out.push({
      name: "webhook",
      severities: r.webhook.severities,
      config: { webhook_configs: [{ url_file: RECEIVER_SECRET_FILES.webhook, send_resolved: true }] },
    });
  }
  return out;
}

/**
 * The config: one child route per contact point, matching its severities, each with `continue` so
 * an alert reaches every contact point that takes its severity; the root receiver has no contact
 * point (the alert is only shown).
 */
export function renderAlertmanagerConfig(a: AlertingSettings, timing: NotificationTiming = DEFAULT_NOTIFICATION_TIMING): string {
  const receivers = receiverConfigs(a);
  const config = {
    route: {
      receiver: VISIBLE_ONLY_RECEIVER,
      // One notification per alert and team (a budget, an outage) rather than one per series.
      group_by: ["alertname", "team"],
      group_wait: timing.groupWait,
      group_interval: timing.groupInterval,
      repeat_interval: timing.repeatInterval,
      routes: receivers.map((r) => ({ receiver: r.name, matchers: [`severity=~"${r.severities.join("|")}"`], continue: true })),
    },
    receivers: [{ name: VISIBLE_ONLY_RECEIVER }, ...receivers.map((r) => ({ name: r.name, ...r.config }))],
  };
  return stringify(config, { lineWidth: 0 });
}

/** The secret files of the configured contact points. */
export function alertmanagerSecretFiles(secrets: ReceiverSecrets): ConfigFile[] {
  return (Object.entries(secrets) as [ReceiverName, pulumi.Input<string> | undefined][]).flatMap(([name, content]) =>
    content === undefined ? [] : [{ path: RECEIVER_SECRET_FILES[name], content, secret: true }],
  );
}

export function alertmanagerArgs(): string[] {
  return [
    `--config.file=${ALERTMANAGER_CONFIG_PATH}`,
    `--storage.path=${ALERTMANAGER_DATA_PATH}`,
    // One replica: no gossip port, no peers.
    "--cluster.listen-address=",
  ];
}

export interface AlertmanagerSpecInput {
  settings: Settings;
  config: string;
  secretFiles: ConfigFile[];
  configHash: string;
}

export function alertmanagerSpec({ settings, config, secretFiles, configHash }: AlertmanagerSpecInput): ServiceSpec {
  return {
    name: "alertmanager",
    image: settings.images.alertmanager,
    args: alertmanagerArgs(),
    // Prometheus sends alerts (and scrapes it), Grafana shows alerts and manages silences.
    ports: [{ name: "http", port: ALERTMANAGER_PORT, protocol: "http", ingressFrom: ["prometheus", "grafana"] }],
    files: [{ path: ALERTMANAGER_CONFIG_PATH, content: config }, ...secretFiles],
    volume: { path: ALERTMANAGER_DATA_PATH },
    health: { port: ALERTMANAGER_PORT, path: "/-/ready" },
    // The image is busybox-based, so it has wget for a Docker HEALTHCHECK.
    dockerHealthCommand: ["CMD", "wget", "-q", "--spider", `http://127.0.0.1:${ALERTMANAGER_PORT}/-/ready`],
    resources: { cpuRequest: "50m", memoryRequestMiB: 64, cpuLimit: "500m", memoryLimitMiB: 256 },
    runAsUser: 65534,
    readOnlyRootFilesystem: true,
    configHash,
  };
}
