// How services of the stack address each other on each platform (pure: the render command and the
// platforms share it, so rendered configs are exactly the deployed ones).
import type { KubernetesStackSettings, Settings } from "../settings.js";
import type { ServiceName } from "../images.js";
import { serviceHost } from "./kubernetes-names.js";

/** On Docker, each container has its service name as an alias on the stack's network. */
export function dockerHostOf(service: ServiceName): string {
  return service;
}

/** In a cluster, each service is a ClusterIP Service in the stack's namespace. */
export function kubernetesHostOf(settings: KubernetesStackSettings, service: ServiceName): string {
  return serviceHost({ prefix: settings.namePrefix, namespace: settings.kubernetes.namespace }, service);
}

export function hostResolver(settings: Settings): (service: ServiceName) => string {
  if (settings.target === "docker") return dockerHostOf;
  return (s) => kubernetesHostOf(settings, s);
}
