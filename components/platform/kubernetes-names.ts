// Names, labels and data keys shared by the Kubernetes resources of one service. Pure functions.
import type { ServiceName } from "../images.js";
import type { ConfigFile, ServiceSpec } from "./spec.js";

/** What one stack's Kubernetes objects have in common. */
export interface KubernetesNaming {
  /** Prefix of every object name; also the `app.kubernetes.io/part-of` label. */
  readonly prefix: string;
  readonly namespace: string;
}

/** Role of each service, for `app.kubernetes.io/component`. */
const COMPONENT: Readonly<Record<ServiceName, string>> = {
  collector: "ingest",
  prometheus: "metrics-store",
  loki: "log-store",
  grafana: "dashboards",
  alertmanager: "alerting",
};

/** `${prefix}-${service}`: the name of the service's workload, Service, ConfigMap, Secret, … */
export function objectName(naming: KubernetesNaming, service: ServiceName): string {
  return `${naming.prefix}-${service}`;
}

/** In-cluster DNS name of the service's Service (resolves through the pod's DNS search path). */
export function serviceHost(naming: KubernetesNaming, service: ServiceName): string {
  return `${objectName(naming, service)}.${naming.namespace}.svc`;
}

/** The labels a selector uses; never change them: Deployment and StatefulSet selectors are immutable. */
export function selectorLabels(naming: KubernetesNaming, service: ServiceName): Record<string, string> {
  return { "app.kubernetes.io/name": service, "app.kubernetes.io/instance": objectName(naming, service) };
}

export function stackLabels(naming: KubernetesNaming): Record<string, string> {
  return { "app.kubernetes.io/part-of": naming.prefix, "app.kubernetes.io/managed-by": "pulumi" };
}

export function serviceLabels(naming: KubernetesNaming, service: ServiceName): Record<string, string> {
  return { ...selectorLabels(naming, service), ...stackLabels(naming), "app.kubernetes.io/component": COMPONENT[service] };
}

/** ConfigMap/Secret key of a file: its absolute path with `/` turned into `_` (keys allow `-._a-zA-Z0-9`). */
export function fileKey(path: string): string {
  return path.replace(/^\/+/, "").replace(/[^-._a-zA-Z0-9]/g, "_");
}

const PORT_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Checks what Kubernetes would reject later with a less helpful message. Throws on the first problem. */
export function checkSpec(naming: KubernetesNaming, spec: ServiceSpec): void {
  const where = `service ${spec.name}`;
  const name = objectName(naming, spec.name);
  // Service names are DNS-1035 labels: a letter first.
  if (!/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) throw new Error(`${where}: '${name}' is not a valid Kubernetes Service name`);
  const ports = new Set<string>();
  for (const p of spec.ports) {
    if (!PORT_NAME.test(p.name)) throw new Error(`${where}: port name '${p.name}' must be ≤ 15 lower-case letters, digits and '-'`);
    if (ports.has(p.name)) throw new Error(`${where}: port name '${p.name}' is used twice`);
    ports.add(p.name);
    for (const path of p.ingressPaths ?? []) {
      if (!path.startsWith("/")) throw new Error(`${where}: ingress path '${path}' of port ${p.name} must start with '/'`);
    }
  }
  if (spec.scaling && spec.volume) throw new Error(`${where}: a horizontally scaled service cannot have a persistent volume`);
  if (spec.scaling && (spec.scaling.min < 1 || spec.scaling.max < spec.scaling.min)) {
    throw new Error(`${where}: scaling needs 1 ≤ min ≤ max (got ${spec.scaling.min}..${spec.scaling.max})`);
  }
  const keys = new Map<string, string>();
  const claim = (key: string, what: string) => {
    const other = keys.get(key);
    if (other) throw new Error(`${where}: ${what} and ${other} map to the same key '${key}'`);
    keys.set(key, what);
  };
  for (const f of spec.files) {
    if (!f.path.startsWith("/")) throw new Error(`${where}: file path '${f.path}' must be absolute`);
    claim(fileKey(f.path), `file ${f.path}`);
  }
  for (const k of Object.keys(spec.secretEnv ?? {})) {
    if (!ENV_NAME.test(k)) throw new Error(`${where}: secret environment variable name '${k}' is not a valid Secret key`);
    claim(k, `secret env ${k}`);
  }
}

export function plainFiles(spec: ServiceSpec): ConfigFile[] {
  return spec.files.filter((f) => !f.secret);
}

export function secretFiles(spec: ServiceSpec): ConfigFile[] {
  return spec.files.filter((f) => f.secret);
}
