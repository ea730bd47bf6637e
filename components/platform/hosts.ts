// How services of the stack address each other on each platform (pure: the render command and the
// platforms share it, so rendered configs are exactly the deployed ones).
import type { Settings } from "../settings.js";
import type { ServiceName } from "../images.js";

/** On Docker, each container has its service name as an alias on the stack's network. */
export function dockerHostOf(service: ServiceName): string {
  return service;
}

/** Name of a service's Kubernetes objects. */
export function kubernetesName(settings: Settings, service: ServiceName): string {
  return `${settings.docker.namePrefix}-${service}`;
}

/** In a cluster, each service is a ClusterIP Service in the stack's namespace. */
export function kubernetesHostOf(settings: Settings, service: ServiceName): string {
  const ns = settings.kubernetes?.namespace ?? "claude-telemetry";
  return `${kubernetesName(settings, service)}.${ns}.svc.cluster.local`;
}

export function hostResolver(settings: Settings): (service: ServiceName) => string {
  return settings.target === "kubernetes" ? (s) => kubernetesHostOf(settings, s) : dockerHostOf;
}
