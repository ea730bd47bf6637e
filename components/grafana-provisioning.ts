// Grafana provisioning files: datasources with fixed UIDs (dashboards reference them, so they never
// hit a UID mismatch) and the dashboard provider that loads the project's dashboards into one folder.
import { stringify } from "yaml";
import { imageVersion } from "./images.js";
import type { Settings } from "./settings.js";

export const DATASOURCE_UIDS = { prometheus: "claude-code-prometheus", loki: "claude-code-loki", alertmanager: "claude-code-alertmanager" } as const;
export const DASHBOARD_FOLDER = { uid: "claude-code", title: "Claude Code" } as const;

export const GRAFANA_PROVISIONING_DIR = "/etc/grafana/provisioning";
export const GRAFANA_DASHBOARDS_DIR = "/etc/grafana/dashboards/claude-code";

export interface DatasourceUrls {
  prometheus: string;
  loki: string;
  alertmanager: string;
}

export function renderDatasources(settings: Settings, urls: DatasourceUrls): string {
  return stringify({
    apiVersion: 1,
    datasources: [
      {
        name: "Prometheus",
        uid: DATASOURCE_UIDS.prometheus,
        type: "prometheus",
        access: "proxy",
        url: urls.prometheus,
        isDefault: true,
        editable: false,
        jsonData: {
          httpMethod: "POST",
          timeInterval: settings.prometheus.scrapeInterval,
          prometheusType: "Prometheus",
          prometheusVersion: imageVersion(settings.images.prometheus),
          // Shows the stack's Prometheus alert rules in Grafana's alerting view.
          manageAlerts: true,
          alertmanagerUid: DATASOURCE_UIDS.alertmanager,
        },
      },
      {
        name: "Loki",
        uid: DATASOURCE_UIDS.loki,
        type: "loki",
        access: "proxy",
        url: urls.loki,
        editable: false,
        jsonData: { maxLines: 1000 },
      },
      {
        // Firing alerts, silences and contact points of the stack's Alertmanager, in Grafana.
        name: "Alertmanager",
        uid: DATASOURCE_UIDS.alertmanager,
        type: "alertmanager",
        access: "proxy",
        url: urls.alertmanager,
        editable: false,
        jsonData: { implementation: "prometheus", handleGrafanaManagedAlerts: false },
      },
    ],
  });
}

export function renderDashboardProvider(): string {
  return stringify({
    apiVersion: 1,
    providers: [
      {
        name: "claude-code",
        folder: DASHBOARD_FOLDER.title,
        folderUid: DASHBOARD_FOLDER.uid,
        type: "file",
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path: GRAFANA_DASHBOARDS_DIR, foldersFromFilesStructure: false },
      },
    ],
  });
}
