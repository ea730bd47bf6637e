// Who may send to the OTLP receivers: anyone who can reach them on loopback, or only bearers of the
// stack's ingest token wherever they are reachable beyond this machine (Kubernetes, or a local stack
// published on the network after docker.networkExposureAcknowledged).
import type { Settings } from "./settings.js";
import { isLoopbackIpv4 } from "./settings-fields.js";

/** The local stack's OTLP receivers and Grafana are published beyond this machine. */
export function publishedBeyondLoopback(settings: Settings): boolean {
  return settings.target === "docker" && !isLoopbackIpv4(settings.docker.bindAddress);
}

/** The OTLP receivers require a token wherever the ingest is reachable beyond this machine. */
export function requiresIngestToken(settings: Settings): boolean {
  return settings.target === "kubernetes" || publishedBeyondLoopback(settings);
}

/** During a token rotation (generation > 1, previous token still accepted) two tokens are valid. */
export function acceptsPreviousToken(settings: Settings): boolean {
  return requiresIngestToken(settings) && settings.kubernetes?.acceptPreviousToken === true && settings.kubernetes.ingestTokenGeneration > 1;
}
