// Loki 3: single binary on a filesystem, receives Claude Code events on its native OTLP endpoint.
// Log attributes become structured metadata (event_name, tool_name, cost_usd, …); the org attributes
// become index labels so LogQL selects a team's events without scanning everything.
import { stringify } from "yaml";
import type { Settings } from "./settings.js";
import type { ServiceSpec } from "./platform/spec.js";

export const LOKI_PORT = 3100;
export const LOKI_CONFIG_PATH = "/etc/loki/config.yaml";
export const LOKI_DATA_PATH = "/loki";

export function renderLokiConfig(settings: Settings): string {
  const config = {
    auth_enabled: false,
    server: { http_listen_port: LOKI_PORT, grpc_listen_port: 9095, log_level: "info" },
    common: {
      path_prefix: LOKI_DATA_PATH,
      replication_factor: 1,
      // Single binary: the ring lives in memory and advertises loopback, whatever the container's interfaces.
      instance_addr: "127.0.0.1",
      ring: { kvstore: { store: "inmemory" } },
      storage: { filesystem: { chunks_directory: `${LOKI_DATA_PATH}/chunks`, rules_directory: `${LOKI_DATA_PATH}/rules` } },
    },
    schema_config: {
      configs: [
        {
          from: "2024-01-01",
          store: "tsdb",
          object_store: "filesystem",
          // v13 is the schema that supports structured metadata, which OTLP attributes land in.
          schema: "v13",
          index: { prefix: "index_", period: "24h" },
        },
      ],
    },
    limits_config: {
      retention_period: settings.loki.retentionPeriod,
      allow_structured_metadata: true,
      volume_enabled: true,
      otlp_config: {
        resource_attributes: {
          attributes_config: [{ action: "index_label", attributes: [...settings.collector.labelAttributes] }],
        },
      },
    },
    compactor: {
      working_directory: `${LOKI_DATA_PATH}/compactor`,
      retention_enabled: true,
      delete_request_store: "filesystem",
    },
    analytics: { reporting_enabled: false },
  };
  return stringify(config, { lineWidth: 0 });
}

export function lokiSpec(settings: Settings, config: string, configHash: string): ServiceSpec {
  return {
    name: "loki",
    image: settings.images.loki,
    args: [`-config.file=${LOKI_CONFIG_PATH}`],
    // Grafana queries, the collector pushes, Prometheus scrapes Loki's own metrics.
    ports: [{ name: "http", port: LOKI_PORT, protocol: "http", ingressFrom: ["grafana", "collector", "prometheus"] }],
    files: [{ path: LOKI_CONFIG_PATH, content: config }],
    volume: { path: LOKI_DATA_PATH },
    health: { port: LOKI_PORT, path: "/ready" },
    resources: { cpuRequest: "250m", memoryRequestMiB: 512, cpuLimit: "2", memoryLimitMiB: 2048 },
    runAsUser: 10001,
    readOnlyRootFilesystem: true,
    configHash,
  };
}
