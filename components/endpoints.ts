// Where people and clients reach the stack: from the developer's machine (Docker) or through the
// ingress (Kubernetes). Pure, so the render command and the stack agree.
import type { Settings } from "./settings.js";
import { GRAFANA_PORT } from "./grafana.js";
import { PROMETHEUS_PORT } from "./prometheus.js";
import { ALERTMANAGER_PORT } from "./alertmanager.js";
import { reachableAt } from "./platform/docker-ports.js";

export interface PublicEndpoints {
  /** Base URL for OTLP/gRPC clients. */
  otlpGrpc: string;
  /** Base URL for OTLP/HTTP clients (they append /v1/metrics, /v1/logs). */
  otlpHttp: string;
  grafana: string;
  /** Prometheus for people: published locally; in a cluster only through `kubectl port-forward`. */
  prometheus: string;
  /** Alertmanager (alerts, silences), like Prometheus: published locally, port-forwarded in a cluster. */
  alertmanager: string;
}

export function publicEndpoints(settings: Settings): PublicEndpoints {
  if (settings.target === "kubernetes") {
    const k = settings.kubernetes;
    const grafana = settings.grafana.rootUrl ?? (k.grafanaHost ? `https://${k.grafanaHost}` : `http://localhost:${GRAFANA_PORT}`);
    return {
      otlpGrpc: `https://${k.otlpHost}`,
      otlpHttp: `https://${k.otlpHost}`,
      grafana,
      prometheus: `http://localhost:${PROMETHEUS_PORT}`,
      alertmanager: `http://localhost:${ALERTMANAGER_PORT}`,
    };
  }
  const d = settings.docker;
  // The name other machines use; else where this machine reaches the bind address.
  const host = d.advertisedHost ?? reachableAt(d.bindAddress);
  return {
    otlpGrpc: `http://${host}:${d.ports.otlpGrpc}`,
    otlpHttp: `http://${host}:${d.ports.otlpHttp}`,
    grafana: settings.grafana.rootUrl ?? `http://${host}:${d.ports.grafana}`,
    // Prometheus has no login of its own: published on loopback only (see ServicePort.network).
    prometheus: `http://127.0.0.1:${d.ports.prometheus}`,
    alertmanager: `http://127.0.0.1:${d.ports.alertmanager}`,
  };
}
