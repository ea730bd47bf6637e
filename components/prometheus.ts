// Prometheus: receives Claude Code metrics from the collector by remote write, scrapes
// the stack's own services, evaluates the recording and alerting rules (sending what fires to
// Alertmanager), optionally remote-writes
// everything to a central Mimir / Thanos / Cortex / managed Prometheus.
import { stringify } from "yaml";
import type * as pulumi from "@pulumi/pulumi";
import type { Settings } from "./settings.js";
import type { ConfigFile, ServiceSpec } from "./platform/spec.js";
import { OUT_OF_ORDER_WINDOW } from "./late-samples.js";

export const PROMETHEUS_PORT = 9090;
export const PROMETHEUS_CONFIG_PATH = "/etc/prometheus/prometheus.yml";
export const PROMETHEUS_RULES_PATH = "/etc/prometheus/rules/claude-code.rules.yml";
export const PROMETHEUS_DATA_PATH = "/prometheus";
const SECRETS_DIR = "/etc/prometheus/secrets";
export const REMOTE_WRITE_PASSWORD_FILE = `${SECRETS_DIR}/remote-write-password`;
export const REMOTE_WRITE_TOKEN_FILE = `${SECRETS_DIR}/remote-write-token`;

/** Where the stack's other services are, as the platform names them. */
export interface ScrapeTargets {
  collectorTelemetry: string;
  loki: string;
  grafana: string;
  /** Where fired alerts go (and its metrics are scraped). */
  alertmanager: string;
}

export function renderPrometheusConfig(settings: Settings, targets: ScrapeTargets): string {
  const p = settings.prometheus;
  const job = (name: string, target: string, extra: Record<string, unknown> = {}) => ({
    job_name: name,
    static_configs: [{ targets: [target] }],
    ...extra,
  });
  const config: Record<string, unknown> = {
    global: {
      scrape_interval: p.scrapeInterval,
      evaluation_interval: p.evaluationInterval,
      // Identifies this stack's samples once they are remote-written next to others.
      external_labels: { telemetry_stack: settings.stack },
    },
    rule_files: [PROMETHEUS_RULES_PATH],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [targets.alertmanager] }] }] },
    storage: { tsdb: { out_of_order_time_window: OUT_OF_ORDER_WINDOW } },
    scrape_configs: [
      job("prometheus", `localhost:${PROMETHEUS_PORT}`),
      job("otel-collector", targets.collectorTelemetry),
      job("loki", targets.loki),
      job("grafana", targets.grafana),
      job("alertmanager", targets.alertmanager),
    ],
  };
  if (p.remoteWrite) {
    const rw = p.remoteWrite;
    const entry: Record<string, unknown> = { url: rw.url, name: rw.name };
    if (rw.username) entry.basic_auth = { username: rw.username, password_file: REMOTE_WRITE_PASSWORD_FILE };
    if (rw.bearerToken) entry.authorization = { type: "Bearer", credentials_file: REMOTE_WRITE_TOKEN_FILE };
    if (Object.keys(rw.headers).length > 0) entry.headers = rw.headers;
    entry.queue_config = { max_samples_per_send: 2000, capacity: 10000 };
    config.remote_write = [entry];
  }
  return stringify(config, { lineWidth: 0 });
}

/** Command-line flags; the admin API stays off (no `--web.enable-admin-api`). */
export function prometheusArgs(settings: Settings): string[] {
  const p = settings.prometheus;
  const args = [
    `--config.file=${PROMETHEUS_CONFIG_PATH}`,
    `--storage.tsdb.path=${PROMETHEUS_DATA_PATH}`,
    `--storage.tsdb.retention.time=${p.retentionTime}`,
    // The collector pushes; nothing else can reach this port beyond the stack's network or namespace.
    "--web.enable-remote-write-receiver",
  ];
  if (p.retentionSize) args.push(`--storage.tsdb.retention.size=${p.retentionSize}`);
  return args;
}

/** Secret files Prometheus reads credentials from (never written into the config itself). */
export function prometheusSecretFiles(settings: Settings, secrets: { password?: pulumi.Input<string>; bearerToken?: pulumi.Input<string> }): ConfigFile[] {
  const rw = settings.prometheus.remoteWrite;
  const files: ConfigFile[] = [];
  if (rw?.username && secrets.password) files.push({ path: REMOTE_WRITE_PASSWORD_FILE, content: secrets.password, secret: true });
  if (rw?.bearerToken && secrets.bearerToken) files.push({ path: REMOTE_WRITE_TOKEN_FILE, content: secrets.bearerToken, secret: true });
  return files;
}

export interface PrometheusSpecInput {
  settings: Settings;
  config: string;
  rules: string;
  secretFiles: ConfigFile[];
  configHash: string;
}

export function prometheusSpec({ settings, config, rules, secretFiles, configHash }: PrometheusSpecInput): ServiceSpec {
  return {
    name: "prometheus",
    image: settings.images.prometheus,
    args: prometheusArgs(settings),
    // Only Grafana queries and only the collector writes.
    ports: [{ name: "http", port: PROMETHEUS_PORT, protocol: "http", ingressFrom: ["grafana", "collector"] }],
    files: [{ path: PROMETHEUS_CONFIG_PATH, content: config }, { path: PROMETHEUS_RULES_PATH, content: rules }, ...secretFiles],
    volume: { path: PROMETHEUS_DATA_PATH },
    health: { port: PROMETHEUS_PORT, path: "/-/ready" },
    // The image is busybox-based, so it has wget for a Docker HEALTHCHECK.
    dockerHealthCommand: ["CMD", "wget", "-q", "--spider", `http://127.0.0.1:${PROMETHEUS_PORT}/-/ready`],
    resources: { cpuRequest: "250m", memoryRequestMiB: 1024, cpuLimit: "2", memoryLimitMiB: 4096 },
    runAsUser: 65534,
    readOnlyRootFilesystem: true,
    configHash,
  };
}
