// The OpenTelemetry Collector as a service: its ports, ingest-token environment and container spec.
// What it runs (receivers, privacy policy, exporters) is rendered by collector-config.ts.
import type { Settings } from "./settings.js";
import type { ServiceSpec } from "./platform/spec.js";
import { promLabel } from "./claude/telemetry.js";
import { IDENTITY_HASH_KEY_ENV } from "./privacy.js";

export const COLLECTOR_PORTS = {
  otlpGrpc: 4317,
  otlpHttp: 4318,
  health: 13133,
  /** The collector's own metrics (accepted / refused / dropped, queue sizes). */
  telemetry: 8888,
} as const;

/** gRPC service paths of OTLP metrics and logs export (what a gRPC request's path starts with). */
export const OTLP_GRPC_SERVICES = ["/opentelemetry.proto.collector.metrics.v1.MetricsService", "/opentelemetry.proto.collector.logs.v1.LogsService"] as const;

export const COLLECTOR_CONFIG_PATH = "/etc/otelcol-contrib/config.yaml";
/** Environment variable that carries the ingest token into the bearer token extension. */
export const INGEST_TOKEN_ENV = "OTLP_INGEST_TOKEN";
/** The previous generation's token, accepted while a rotation rolls out. */
export const PREVIOUS_INGEST_TOKEN_ENV = "OTLP_INGEST_TOKEN_PREVIOUS";

/** Prometheus labels the collector guarantees on every Claude Code series. */
export function guaranteedLabels(settings: Settings): string[] {
  return ["service.name", ...settings.collector.labelAttributes].map(promLabel);
}

export interface CollectorSpecInput {
  settings: Settings;
  config: string;
  /** Ingest token (a secret); only when the receivers require it. */
  ingestToken?: import("@pulumi/pulumi").Input<string>;
  previousIngestToken?: import("@pulumi/pulumi").Input<string>;
  /** Key of the identity hash (a secret); only with privacy.identity `hash`. */
  identityHashKey?: import("@pulumi/pulumi").Input<string>;
  configHash: string;
}

export function collectorSpec({ settings, config, ingestToken, previousIngestToken, identityHashKey, configHash }: CollectorSpecInput): ServiceSpec {
  const { memoryLimitMiB: memLimit, replicas, maxReplicas } = settings.collector;
  return {
    name: "collector",
    image: settings.images.collector,
    args: [`--config=${COLLECTOR_CONFIG_PATH}`],
    ports: [
      // gRPC and HTTP share the public host: the ingress tells them apart by path.
      { name: "otlp-grpc", port: COLLECTOR_PORTS.otlpGrpc, protocol: "grpc", network: true, public: true, ingressPaths: [...OTLP_GRPC_SERVICES] },
      { name: "otlp-http", port: COLLECTOR_PORTS.otlpHttp, protocol: "http", network: true, public: true, ingressPaths: ["/v1/metrics", "/v1/logs"] },
      { name: "health", port: COLLECTOR_PORTS.health, protocol: "http", network: true, ingressFrom: [] },
      { name: "telemetry", port: COLLECTOR_PORTS.telemetry, protocol: "http", ingressFrom: ["prometheus"] },
    ],
    files: [{ path: COLLECTOR_CONFIG_PATH, content: config }],
    secretEnv:
      ingestToken || identityHashKey
        ? {
            ...(ingestToken ? { [INGEST_TOKEN_ENV]: ingestToken } : {}),
            ...(previousIngestToken ? { [PREVIOUS_INGEST_TOKEN_ENV]: previousIngestToken } : {}),
            ...(identityHashKey ? { [IDENTITY_HASH_KEY_ENV]: identityHashKey } : {}),
          }
        : undefined,
    health: { port: COLLECTOR_PORTS.health, path: "/" },
    // The contrib image is distroless: no shell or HTTP client for a Docker HEALTHCHECK.
    resources: {
      cpuRequest: "200m",
      memoryRequestMiB: Math.ceil(memLimit / 2),
      cpuLimit: "2",
      // Headroom above memory_limiter's limit so the limiter, not the OOM killer, acts first.
      memoryLimitMiB: Math.ceil(memLimit * 1.25),
    },
    runAsUser: 10001,
    readOnlyRootFilesystem: true,
    // Bounded where the settings bound it (a Kubernetes stack always does); platforms that cannot scale ignore it.
    scaling: replicas !== undefined && maxReplicas !== undefined ? { min: replicas, max: maxReplicas, targetCpuPercent: 70 } : undefined,
    configHash,
  };
}
