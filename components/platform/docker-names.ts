// Names and labels of what the Docker platform creates, for the platform, the policy pack and the
// documents that tell people how to remove them. No dependencies: the pack imports it without
// loading a provider.
import type { ServiceName } from "../images.js";

/** On a container that publishes a port beyond loopback on purpose (docker.networkExposureAcknowledged). */
export const NETWORK_EXPOSURE_LABEL = "claude-code-telemetry/network-exposure";

/** The services that keep data on a volume (ServiceSpec.volume). */
export const SERVICES_WITH_DATA: readonly ServiceName[] = ["prometheus", "loki", "grafana", "alertmanager"];

export const containerName = (prefix: string, service: ServiceName) => `${prefix}-${service}`;

/** A service's data volume: kept when the stack is destroyed. */
export const volumeName = (prefix: string, service: ServiceName) => `${containerName(prefix, service)}-data`;
