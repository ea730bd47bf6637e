// Ingresses for public ports, written for ingress-nginx with cert-manager. Pure functions.
//
// Design:
// - One public host per service: the collector (OTLP ingest) on `otlpHost`, Grafana on `grafanaHost`.
//   Other services have no host; a public port there is reported and skipped.
// - ingress-nginx picks the backend protocol per Ingress (annotation `backend-protocol: GRPC`), so a
//   service's gRPC ports and HTTP ports are two Ingress objects on the same host. They share the host
//   by path: gRPC requests are `POST /<package>.<Service>/<Method>`, so the gRPC Ingress routes the
//   service prefixes (e.g. `/opentelemetry.proto.collector.metrics.v1.MetricsService`) and the HTTP
//   Ingress routes its own paths (e.g. `/v1/metrics`); `ServicePort.ingressPaths` gives them. Two
//   ports claiming the same path on one host is refused, rather than left to the controller to pick.
// - TLS on every Ingress, with one certificate per host: cert-manager's ingress-shim lets only one
//   Ingress own a Certificate, so exactly one Ingress per host (the HTTP one when there is one)
//   carries `cert-manager.io/cluster-issuer`, and every Ingress of the host uses its secret.
// - mTLS (settings.clientCaPem) on the OTLP host: ingress-nginx verifies client certificates per
//   host (nginx `ssl_verify_client` is a server-level directive), so every Ingress of the host
//   carries the same auth-tls annotations, pointing at a Secret holding the CA bundle as `ca.crt`.
import type * as k8s from "@pulumi/kubernetes";
import type { ServiceName } from "../images.js";
import type { KubernetesSettings } from "../settings.js";
import type { ServicePort, ServiceSpec } from "./spec.js";
import { objectName, type KubernetesNaming } from "./kubernetes-names.js";

export const ANNOTATIONS = {
  clusterIssuer: "cert-manager.io/cluster-issuer",
  backendProtocol: "nginx.ingress.kubernetes.io/backend-protocol",
  proxyBodySize: "nginx.ingress.kubernetes.io/proxy-body-size",
  authTlsSecret: "nginx.ingress.kubernetes.io/auth-tls-secret",
  authTlsVerifyClient: "nginx.ingress.kubernetes.io/auth-tls-verify-client",
  authTlsVerifyDepth: "nginx.ingress.kubernetes.io/auth-tls-verify-depth",
} as const;

/** Key of the CA bundle in the client-CA Secret, the name ingress-nginx reads. */
export const CLIENT_CA_KEY = "ca.crt";

/**
 * Request bodies up to this size pass the ingress (nginx's default is 1m). Matches the collector's
 * default gRPC message limit; a large batch of log events with prompts can exceed 1m.
 */
const MAX_BODY = "4m";

/** The setting that gives a service its public host; the other services have none. */
const HOST_SETTING: { readonly [S in ServiceName]?: "otlpHost" | "grafanaHost" } = { collector: "otlpHost", grafana: "grafanaHost" };

/** Whether the service can have a public host (Grafana's is optional: without it, `kubectl port-forward`). */
export const hasHostSetting = (service: ServiceName): boolean => HOST_SETTING[service] !== undefined;

/** The public host of a service, if it has one. */
export function publicHost(settings: KubernetesSettings, service: ServiceName): string | undefined {
  const setting = HOST_SETTING[service];
  return setting && settings[setting];
}

/** Whether the service's host requires client certificates. */
export function requiresClientCertificates(settings: KubernetesSettings, service: ServiceName): boolean {
  return service === "collector" && settings.clientCaPem !== undefined;
}

export function tlsSecretName(naming: KubernetesNaming, service: ServiceName): string {
  return `${objectName(naming, service)}-tls`;
}

export function clientCaSecretName(naming: KubernetesNaming, service: ServiceName): string {
  return `${objectName(naming, service)}-client-ca`;
}

export interface IngressRoute {
  readonly path: string;
  readonly port: ServicePort;
}

export interface IngressPlan {
  /** Object name: `${prefix}-${service}` for HTTP, `…-grpc` for gRPC. */
  readonly name: string;
  readonly protocol: ServicePort["protocol"];
  readonly host: string;
  readonly routes: readonly IngressRoute[];
  /** This Ingress carries the cert-manager annotation (one per host). */
  readonly ownsCertificate: boolean;
}

/** The public ports that get an Ingress (a public port without a host gets none). */
export function exposedPorts(settings: KubernetesSettings, spec: ServiceSpec): ServicePort[] {
  return publicHost(settings, spec.name) ? spec.ports.filter((p) => p.public) : [];
}

/** The Ingresses of a service: none, one per protocol with public ports. Throws on a path claimed twice. */
export function planIngresses(naming: KubernetesNaming, settings: KubernetesSettings, spec: ServiceSpec): IngressPlan[] {
  const host = publicHost(settings, spec.name);
  const ports = exposedPorts(settings, spec);
  if (!host || ports.length === 0) return [];
  const claimed = new Map<string, string>();
  const plans: IngressPlan[] = [];
  for (const protocol of ["http", "grpc"] as const) {
    const routes: IngressRoute[] = [];
    for (const port of ports.filter((p) => p.protocol === protocol)) {
      for (const path of port.ingressPaths ?? ["/"]) {
        const other = claimed.get(path);
        if (other) {
          throw new Error(
            `service ${spec.name}: ports ${other} and ${port.name} both route path ${path} on ${host}; ` + `give them distinct ServicePort.ingressPaths`,
          );
        }
        claimed.set(path, port.name);
        routes.push({ path, port });
      }
    }
    if (routes.length === 0) continue;
    plans.push({
      name: objectName(naming, spec.name) + (protocol === "grpc" ? "-grpc" : ""),
      protocol,
      host,
      routes,
      ownsCertificate: plans.length === 0,
    });
  }
  return plans;
}

export function ingressAnnotations(naming: KubernetesNaming, settings: KubernetesSettings, service: ServiceName, plan: IngressPlan): Record<string, string> {
  const a: Record<string, string> = { [ANNOTATIONS.proxyBodySize]: MAX_BODY };
  if (plan.protocol === "grpc") a[ANNOTATIONS.backendProtocol] = "GRPC";
  if (plan.ownsCertificate) a[ANNOTATIONS.clusterIssuer] = settings.clusterIssuer;
  if (requiresClientCertificates(settings, service)) {
    a[ANNOTATIONS.authTlsSecret] = `${naming.namespace}/${clientCaSecretName(naming, service)}`;
    a[ANNOTATIONS.authTlsVerifyClient] = "on";
    // Client certificate plus one intermediate CA.
    a[ANNOTATIONS.authTlsVerifyDepth] = "2";
  }
  return a;
}

export function ingressSpec(
  naming: KubernetesNaming,
  settings: KubernetesSettings,
  service: ServiceName,
  plan: IngressPlan,
): k8s.types.input.networking.v1.IngressSpec {
  return {
    ingressClassName: settings.ingressClass,
    tls: [{ hosts: [plan.host], secretName: tlsSecretName(naming, service) }],
    rules: [
      {
        host: plan.host,
        http: {
          paths: plan.routes.map((r) => ({
            path: r.path,
            pathType: "Prefix",
            backend: { service: { name: objectName(naming, service), port: { name: r.port.name } } },
          })),
        },
      },
    ],
  };
}
