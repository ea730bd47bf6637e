// Grafana: provisioned datasources and dashboards, admin password from a secret file, no anonymous
// access, no sign-up, no phoning home.
import type * as pulumi from "@pulumi/pulumi";
import type { Settings } from "./settings.js";
import type { ConfigFile, ServiceSpec } from "./platform/spec.js";
import { GRAFANA_DASHBOARDS_DIR, GRAFANA_PROVISIONING_DIR } from "./grafana-provisioning.js";
import { grafanaEntrypoint } from "./grafana-entrypoint.js";

export const GRAFANA_PORT = 3000;
export const GRAFANA_DATA_PATH = "/var/lib/grafana";
export const GRAFANA_ADMIN_PASSWORD_FILE = "/etc/grafana/secrets/admin-password";

/** Grafana reads any setting from GF_<SECTION>_<KEY>; `__FILE` reads the value from a file. */
export function grafanaEnv(settings: Settings, publicUrl: string): Record<string, string> {
  return {
    GF_SECURITY_ADMIN_USER: settings.grafana.adminUser,
    GF_SECURITY_ADMIN_PASSWORD__FILE: GRAFANA_ADMIN_PASSWORD_FILE,
    GF_SECURITY_COOKIE_SECURE: String(publicUrl.startsWith("https://")),
    GF_SECURITY_DISABLE_GRAVATAR: "true",
    GF_AUTH_ANONYMOUS_ENABLED: "false",
    GF_USERS_ALLOW_SIGN_UP: "false",
    GF_ANALYTICS_REPORTING_ENABLED: "false",
    GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
    GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES: "false",
    GF_NEWS_NEWS_FEED_ENABLED: "false",
    GF_SERVER_ROOT_URL: publicUrl,
    GF_PATHS_PROVISIONING: GRAFANA_PROVISIONING_DIR,
    GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: `${GRAFANA_DASHBOARDS_DIR}/claude-code-overview.json`,
  };
}

export interface GrafanaSpecInput {
  settings: Settings;
  publicUrl: string;
  datasources: string;
  dashboardProvider: string;
  dashboards: Readonly<Record<string, string>>;
  adminPassword: pulumi.Input<string>;
  configHash: string;
}

export function grafanaSpec(input: GrafanaSpecInput): ServiceSpec {
  const { settings } = input;
  const files: ConfigFile[] = [
    { path: `${GRAFANA_PROVISIONING_DIR}/datasources/claude-code.yaml`, content: input.datasources },
    { path: `${GRAFANA_PROVISIONING_DIR}/dashboards/claude-code.yaml`, content: input.dashboardProvider },
    ...Object.entries(input.dashboards).map(([name, json]) => ({ path: `${GRAFANA_DASHBOARDS_DIR}/${name}`, content: json })),
    { path: GRAFANA_ADMIN_PASSWORD_FILE, content: input.adminPassword, secret: true },
  ];
  return {
    name: "grafana",
    image: settings.images.grafana,
    // The admin password is set from the secret file at every start, not only on the first one.
    entrypoint: grafanaEntrypoint(GRAFANA_ADMIN_PASSWORD_FILE),
    ports: [
      {
        name: "http",
        port: GRAFANA_PORT,
        protocol: "http",
        network: true,
        // For people: through the ingress where Grafana has a host, otherwise `kubectl port-forward`.
        public: true,
        ingressFrom: ["ingress-controller", "prometheus"],
      },
    ],
    files,
    env: grafanaEnv(settings, input.publicUrl),
    volume: { path: GRAFANA_DATA_PATH },
    health: { port: GRAFANA_PORT, path: "/api/health" },
    dockerHealthCommand: ["CMD", "wget", "-q", "--spider", `http://127.0.0.1:${GRAFANA_PORT}/api/health`],
    resources: { cpuRequest: "100m", memoryRequestMiB: 256, cpuLimit: "1", memoryLimitMiB: 1024 },
    runAsUser: 472,
    // Grafana writes plugins and its database under /var/lib/grafana (the volume) but also unpacks to /tmp.
    readOnlyRootFilesystem: false,
    configHash: input.configHash,
  };
}
