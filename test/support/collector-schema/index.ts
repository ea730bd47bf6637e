// Strict schema of the OpenTelemetry Collector (contrib) configuration for the pinned image, per
// component, plus pipeline wiring checks. Written from the config structs of collector v0.129.0:
// the contrib 0.129.1 images are release artifacts built from the v0.129.0 sources.
//
//   validateCollectorConfig(parsedYaml) → ["exporters.prometheus.namespce: unknown key", …]
//
// Upstream sources: the component config.go files (and the core config/* packages they embed) of
// open-telemetry/opentelemetry-collector and opentelemetry-collector-contrib, cross-checked with the
// core CHANGELOG for what changed around v0.129.0. Keys added later (e.g. the prometheus exporter's
// translation_strategy, otlphttp profiles_endpoint, confighttp keep_alives_enabled) are unknown here
// on purpose: the pinned image would refuse them.

import type { Registry } from "./component.js";
import { EXPORTERS } from "./exporters.js";
import { EXTENSIONS } from "./extensions.js";
import { PROCESSORS } from "./processors.js";
import { RECEIVERS } from "./receivers.js";
import { serviceSchema } from "./service.js";
import { isRecord, parseComponentId } from "./shape.js";
import type { Problems } from "./shape.js";
import { checkWiring } from "./wiring.js";

/** The collector image version this schema describes (compare with the image tag). */
export const COLLECTOR_SCHEMA_VERSION = "0.129.1";
/** The source release whose config structs the schema follows. */
export const COLLECTOR_SOURCE_VERSION = "0.129.0";

const REGISTRIES = { receivers: RECEIVERS, processors: PROCESSORS, exporters: EXPORTERS, extensions: EXTENSIONS };
const SINGULAR: Record<string, string> = {
  receivers: "receiver", processors: "processor", exporters: "exporter", extensions: "extension", connectors: "connector",
};
/** Component types this schema knows, per section (connectors: none). */
export const SUPPORTED_COMPONENTS = Object.fromEntries(
  Object.entries(REGISTRIES).map(([kind, registry]) => [kind, Object.keys(registry)]),
) as Record<keyof typeof REGISTRIES, string[]>;

function checkSection(kind: string, value: unknown, registry: Registry, out: Problems): void {
  if (value === undefined || value === null) return;
  if (!isRecord(value)) {
    out.push(`${kind}: expected a mapping`);
    return;
  }
  for (const [id, componentConfig] of Object.entries(value)) {
    const parsed = parseComponentId(id);
    if (!parsed) {
      out.push(`${kind}.${id}: invalid component id (expected type[/name])`);
      continue;
    }
    const spec = registry[parsed.type];
    if (!spec) {
      out.push(`${kind}.${id}: unknown ${SINGULAR[kind]} type "${parsed.type}"`);
      continue;
    }
    spec.schema(componentConfig, `${kind}.${id}`, out);
  }
}

/** Every problem found in a parsed collector config; empty when it is valid. */
export function validateCollectorConfig(config: unknown): string[] {
  const out: Problems = [];
  if (!isRecord(config)) return ["config: expected a mapping"];
  for (const key of Object.keys(config)) {
    if (!["receivers", "processors", "exporters", "extensions", "connectors", "service"].includes(key)) {
      out.push(`${key}: unknown key`);
    }
  }
  for (const [kind, registry] of Object.entries(REGISTRIES)) checkSection(kind, config[kind], registry, out);
  checkSection("connectors", config.connectors, {}, out);
  if (config.service === undefined) out.push("service: required");
  else serviceSchema(config.service, "service", out);
  checkWiring(config, REGISTRIES, out);
  return out;
}
