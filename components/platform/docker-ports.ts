// Which ports the Docker platform publishes on the host, and where: the services name their ports,
// the stack's docker settings give each published one its host port and address. Pure functions.
import type { DockerPorts, DockerSettings } from "../settings.js";
import type { ServiceName } from "../images.js";
import type { ServicePort, ServiceSpec } from "./spec.js";

export const LOOPBACK = "127.0.0.1";

/** Where this machine reaches a port published on `address`: 0.0.0.0 (every interface) includes loopback. */
export const reachableAt = (address: string) => (address === "0.0.0.0" ? LOOPBACK : address);

/** The docker.ports setting of each published port, by service and port name; other ports stay unpublished. */
const PUBLISHED: { readonly [S in ServiceName]: Readonly<Record<string, keyof DockerPorts>> } = {
  collector: { "otlp-grpc": "otlpGrpc", "otlp-http": "otlpHttp", health: "collectorHealth" },
  prometheus: { http: "prometheus" },
  loki: { http: "loki" },
  grafana: { http: "grafana" },
  alertmanager: { http: "alertmanager" },
};

export interface PublishedPort {
  readonly port: ServicePort;
  readonly hostPort: number;
  /** The bind address for client-facing (`network`) ports, loopback for the rest. */
  readonly address: string;
}

/** The service's published ports, in the spec's order. */
export function publishedPorts(spec: ServiceSpec, docker: DockerSettings): PublishedPort[] {
  return spec.ports.flatMap((port) => {
    const setting = PUBLISHED[spec.name][port.name];
    return setting ? [{ port, hostPort: docker.ports[setting], address: port.network ? docker.bindAddress : LOOPBACK }] : [];
  });
}
