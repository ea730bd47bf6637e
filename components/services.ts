// Builds the five service descriptions from the settings: every generated config file is rendered
// here, once, for both the deployment and the `render` command.
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import type { Settings } from "./settings.js";
import type { ServiceName } from "./images.js";
import type { ServiceSpec } from "./platform/spec.js";
import { COLLECTOR_PORTS, collectorSpec } from "./collector.js";
import { renderCollectorConfig } from "./collector-config.js";
import { PROMETHEUS_PORT, prometheusSecretFiles, prometheusSpec, renderPrometheusConfig } from "./prometheus.js";
import { renderRulesFile } from "./rules-file.js";
import { ALERTMANAGER_PORT, alertmanagerSecretFiles, alertmanagerSpec, renderAlertmanagerConfig, type ReceiverSecrets } from "./alertmanager.js";
import { LOKI_PORT, lokiSpec, renderLokiConfig } from "./loki.js";
import { GRAFANA_PORT, grafanaSpec } from "./grafana.js";
import { renderDashboardProvider, renderDatasources } from "./grafana-provisioning.js";
import { dashboardFiles } from "../dashboards/index.js";
import { dashboardPolicy } from "../dashboards/privacy.js";
import { policyOf } from "./privacy.js";
import { publicEndpoints } from "./endpoints.js";
import { requiresIngestToken } from "./ingest-auth.js";

/** Secret material the services need; Pulumi secrets when deploying, placeholders when rendering. */
export interface ServiceSecrets {
  grafanaAdminPassword: pulumi.Input<string>;
  /** Present when the OTLP receivers require a bearer token. */
  ingestToken?: pulumi.Input<string>;
  /** The previous generation's token, while a rotation rolls out. */
  previousIngestToken?: pulumi.Input<string>;
  remoteWritePassword?: pulumi.Input<string>;
  remoteWriteBearerToken?: pulumi.Input<string>;
  /** Key of the identity hash; present when privacy.identity is `hash`. */
  identityHashKey?: pulumi.Input<string>;
  /** Secrets of the configured alert contact points. */
  receivers?: ReceiverSecrets;
}

export type ServiceSpecs = Record<ServiceName, ServiceSpec>;

function hash(...parts: string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 16);
}

export function buildServiceSpecs(settings: Settings, hostOf: (s: ServiceName) => string, secrets: ServiceSecrets): ServiceSpecs {
  const requireToken = requiresIngestToken(settings);
  if (requireToken && secrets.ingestToken === undefined) throw new Error("an ingest token is required for this target");
  if (settings.privacy.identity === "hash" && secrets.identityHashKey === undefined)
    throw new Error("an identity hash key is required for privacy.identity: hash");

  const collectorConfig = renderCollectorConfig(settings, {
    prometheusRemoteWrite: `http://${hostOf("prometheus")}:${PROMETHEUS_PORT}/api/v1/write`,
    lokiOtlp: `http://${hostOf("loki")}:${LOKI_PORT}/otlp`,
    requireToken,
    acceptPreviousToken: requireToken && secrets.previousIngestToken !== undefined,
  });
  const prometheusConfig = renderPrometheusConfig(settings, {
    collectorTelemetry: `${hostOf("collector")}:${COLLECTOR_PORTS.telemetry}`,
    loki: `${hostOf("loki")}:${LOKI_PORT}`,
    grafana: `${hostOf("grafana")}:${GRAFANA_PORT}`,
    alertmanager: `${hostOf("alertmanager")}:${ALERTMANAGER_PORT}`,
  });
  const rules = renderRulesFile({ alerting: settings.alerting });
  const alertmanagerConfig = renderAlertmanagerConfig(settings.alerting);
  const lokiConfig = renderLokiConfig(settings);
  const datasources = renderDatasources(settings, {
    prometheus: `http://${hostOf("prometheus")}:${PROMETHEUS_PORT}`,
    loki: `http://${hostOf("loki")}:${LOKI_PORT}`,
    alertmanager: `http://${hostOf("alertmanager")}:${ALERTMANAGER_PORT}`,
  });
  const dashboardProvider = renderDashboardProvider();
  const dashboards = dashboardFiles(dashboardPolicy(policyOf(settings)));

  return {
    collector: collectorSpec({
      settings,
      config: collectorConfig,
      ingestToken: requireToken ? secrets.ingestToken : undefined,
      previousIngestToken: requireToken ? secrets.previousIngestToken : undefined,
      identityHashKey: settings.privacy.identity === "hash" ? secrets.identityHashKey : undefined,
      // The generation is in the hash so a rotated token (a Secret change) rolls the collectors.
      configHash: hash(collectorConfig, settings.images.collector, String(settings.kubernetes?.ingestTokenGeneration ?? 0)),
    }),
    prometheus: prometheusSpec({
      settings,
      config: prometheusConfig,
      rules,
      secretFiles: prometheusSecretFiles(settings, { password: secrets.remoteWritePassword, bearerToken: secrets.remoteWriteBearerToken }),
      configHash: hash(prometheusConfig, rules, settings.images.prometheus),
    }),
    alertmanager: alertmanagerSpec({
      settings,
      config: alertmanagerConfig,
      secretFiles: alertmanagerSecretFiles(secrets.receivers ?? {}),
      configHash: hash(alertmanagerConfig, settings.images.alertmanager),
    }),
    loki: lokiSpec(settings, lokiConfig, hash(lokiConfig, settings.images.loki)),
    grafana: grafanaSpec({
      settings,
      publicUrl: publicEndpoints(settings).grafana,
      datasources,
      dashboardProvider,
      dashboards,
      adminPassword: secrets.grafanaAdminPassword,
      configHash: hash(datasources, dashboardProvider, ...Object.entries(dashboards).flat(), settings.images.grafana),
    }),
  };
}
