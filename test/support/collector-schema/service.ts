// The `service` block (core service.Config and service/telemetry in v0.129.0). Internal metrics
// are configured with OpenTelemetry declarative-config readers; `metrics.address` is still decoded
// but has been ignored since v0.123.0 (feature gate telemetry.disableAddressFieldForInternalTelemetry,
// stable in v0.128.0), so it is reported rather than accepted.

import { anything, bool, componentId, deprecated, duration, int, list, mapOf, obj, oneOf, str } from "./shape.js";
import type { Check } from "./shape.js";

const level = oneOf(["none", "basic", "normal", "detailed"], { caseInsensitive: true });
const nullableString: Check = (value, path, out) => {
  if (value !== null) str()(value, path, out);
};

const logs = obj({
  level: oneOf(["debug", "info", "warn", "error", "dpanic", "panic", "fatal"], { caseInsensitive: true }),
  development: bool(),
  encoding: oneOf(["json", "console"]),
  disable_caller: bool(),
  disable_stacktrace: bool(),
  sampling: obj({ enabled: bool(), tick: duration(), initial: int({ min: 0 }), thereafter: int({ min: 0 }) }),
  output_paths: list(str()),
  error_output_paths: list(str()),
  initial_fields: mapOf(anything()),
  processors: list(mapOf(anything())),
});

// otelconf v0.3.0 MetricReader: exactly one of pull / periodic.
const producers = list(mapOf(anything()));
const prometheusPull = obj({
  host: str(),
  port: int({ min: 1, max: 65535 }),
  without_units: bool(),
  without_type_suffix: bool(),
  without_scope_info: bool(),
  with_resource_constant_labels: obj({ included: list(str()), excluded: list(str()) }),
});
const reader = obj(
  {
    pull: obj({ exporter: obj({ prometheus: prometheusPull }, { required: ["prometheus"] }), producers }),
    periodic: obj({
      interval: int({ min: 0 }),
      timeout: int({ min: 0 }),
      exporter: obj({ otlp: mapOf(anything()), console: anything() }),
      producers,
    }),
    producers,
  },
  {
    rules: (v, path, out) => {
      const kinds = ["pull", "periodic"].filter((k) => v[k] !== undefined);
      if (kinds.length !== 1) out.push(`${path}: set exactly one of pull or periodic`);
    },
  },
);

const metrics = obj(
  {
    level,
    address: deprecated("ignored since v0.123.0; use readers with a pull prometheus exporter"),
    readers: list(reader),
    views: list(mapOf(anything())),
  },
  {
    rules: (v, path, out) => {
      const lvl = typeof v.level === "string" ? v.level.toLowerCase() : "normal";
      if (v.views !== undefined && lvl !== "detailed") out.push(`${path}.views: only allowed with level detailed`);
      const readers = Array.isArray(v.readers) ? v.readers : [];
      if (lvl !== "none" && readers.length === 0 && "readers" in v) {
        out.push(`${path}.readers: at least one reader is needed unless level is none`);
      }
    },
  },
);

const traces = obj({
  level,
  propagators: list(oneOf(["tracecontext", "b3", "baggage", "jaeger", "ottrace", "xray"])),
  processors: list(mapOf(anything())),
  sampler: mapOf(anything()),
  limits: mapOf(anything()),
});

const telemetry = obj({ resource: mapOf(nullableString), logs, metrics, traces });

// Pipeline ids and the component lists are checked against definitions in wiring.ts.
const pipeline = obj(
  {
    receivers: list(componentId(), { minItems: 1 }),
    processors: list(componentId()),
    exporters: list(componentId(), { minItems: 1 }),
  },
  { required: ["receivers", "exporters"] },
);

export const serviceSchema = obj(
  { extensions: list(componentId()), pipelines: mapOf(pipeline), telemetry },
  { required: ["pipelines"] },
);
