// Processors: memory_limiter and batch (core), deltatocumulative, transform, resource, attributes
// and filter (contrib).

import { ottlErrorMode } from "./common.js";
import type { Registry, Signal } from "./component.js";
import { SIGNALS } from "./component.js";
import { anything, at, bool, duration, int, list, obj, oneOf, str } from "./shape.js";
import type { Check } from "./shape.js";
import { actionKeyValue, attributesMatch } from "./attribute-actions.js";

const positive = (v: unknown): boolean => typeof v === "number" && v > 0;
/** Set to something other than zero (an env reference or a mistyped value counts: reported elsewhere). */
const given = (v: unknown): boolean => v !== undefined && v !== null && v !== 0;

const memoryLimiter = obj(
  {
    check_interval: duration(),
    limit_mib: int({ min: 0 }),
    spike_limit_mib: int({ min: 0 }),
    limit_percentage: int({ min: 0, max: 100 }),
    spike_limit_percentage: int({ min: 0, max: 100 }),
    min_gc_interval_when_soft_limited: duration(),
    min_gc_interval_when_hard_limited: duration(),
  },
  {
    // memorylimiter.Config.Validate
    rules: (v, path, out) => {
      if (v.check_interval === undefined || v.check_interval === "0" || v.check_interval === "0s") {
        out.push(`${path}.check_interval: must be greater than zero`);
      }
      if (!given(v.limit_mib) && !given(v.limit_percentage)) {
        out.push(`${path}: one of limit_mib or limit_percentage must be greater than zero`);
      }
      if (positive(v.limit_mib) && typeof v.spike_limit_mib === "number" && v.spike_limit_mib >= (v.limit_mib as number)) {
        out.push(`${path}.spike_limit_mib: must be smaller than limit_mib`);
      }
      if (positive(v.limit_percentage) && typeof v.spike_limit_percentage === "number" &&
          v.spike_limit_percentage >= (v.limit_percentage as number)) {
        out.push(`${path}.spike_limit_percentage: must be smaller than limit_percentage`);
      }
    },
  },
);

const batch = obj(
  {
    timeout: duration(),
    send_batch_size: int({ min: 0 }),
    send_batch_max_size: int({ min: 0 }),
    metadata_keys: list(str()),
    metadata_cardinality_limit: int({ min: 0 }),
  },
  {
    rules: (v, path, out) => {
      const size = v.send_batch_size;
      const max = v.send_batch_max_size;
      if (positive(max) && typeof size === "number" && size > (max as number)) {
        out.push(`${path}.send_batch_max_size: must be greater than or equal to send_batch_size`);
      }
    },
  },
);

const deltatocumulative = obj({ max_stale: duration(), max_streams: int({ min: 0 }) });

// transformprocessor: each *_statements list is either all OTTL strings (flat style, context
// inferred from the paths) or all statement groups; the two styles cannot be mixed.
const CONTEXTS: Record<Signal, readonly string[]> = {
  traces: ["resource", "scope", "span", "spanevent"],
  metrics: ["resource", "scope", "metric", "datapoint"],
  logs: ["resource", "scope", "log"],
};

function statements(signal: Signal): Check {
  const group = obj(
    {
      context: oneOf(CONTEXTS[signal], { caseInsensitive: true }),
      conditions: list(str()),
      statements: list(str(), { minItems: 1 }),
      error_mode: ottlErrorMode,
    },
    { required: ["statements"] },
  );
  return (value, path, out) => {
    if (value === null || value === undefined) return;
    if (!Array.isArray(value)) {
      out.push(`${path}: expected a list`);
      return;
    }
    const flat = value.filter((s) => typeof s === "string").length;
    if (flat > 0 && flat < value.length) {
      out.push(`${path}: mixes flat statements and statement groups; use one style`);
      return;
    }
    value.forEach((item, i) => (typeof item === "string" ? undefined : group(item, at(path, i), out)));
  };
}

const transform = obj({
  error_mode: ottlErrorMode,
  trace_statements: statements("traces"),
  metric_statements: statements("metrics"),
  log_statements: statements("logs"),
  flatten_data: bool(),
});

const resource = obj(
  { attributes: list(actionKeyValue, { minItems: 1 }) },
  { required: ["attributes"] },
);

const attributes = obj(
  { actions: list(actionKeyValue, { minItems: 1 }), include: attributesMatch, exclude: attributesMatch },
  { required: ["actions"] },
);

// filterprocessor: the legacy include/exclude matchers and the OTTL condition lists.
const keyValue = obj({ key: str(), value: anything() }, { required: ["key"] });
const regexpCache = obj({ cacheenabled: bool(), cachemaxnumentries: int({ min: 0 }) });
const matchType = oneOf(["strict", "regexp"]);
const metricMatch = obj({
  match_type: oneOf(["strict", "regexp", "expr"]),
  regexp: regexpCache,
  metric_names: list(str()),
  resource_attributes: list(keyValue),
});
const logMatch = obj({
  match_type: matchType,
  resource_attributes: list(keyValue),
  record_attributes: list(keyValue),
  severity_texts: list(str()),
  severity_number: obj({ min: str(), match_undefined: bool() }),
  bodies: list(str()),
});
const conditions = list(str());

const filter = obj({
  error_mode: ottlErrorMode,
  spans: obj({ include: attributesMatch, exclude: attributesMatch }),
  metrics: obj({
    include: metricMatch,
    exclude: metricMatch,
    regexp: regexpCache,
    metric: conditions,
    datapoint: conditions,
  }),
  logs: obj({ include: logMatch, exclude: logMatch, log_record: conditions }),
  traces: obj({ span: conditions, spanevent: conditions }),
});

export const PROCESSORS: Registry = {
  memory_limiter: { schema: memoryLimiter, signals: SIGNALS },
  batch: { schema: batch, signals: SIGNALS },
  deltatocumulative: { schema: deltatocumulative, signals: ["metrics"] },
  transform: { schema: transform, signals: SIGNALS },
  resource: { schema: resource, signals: SIGNALS },
  attributes: { schema: attributes, signals: SIGNALS },
  filter: { schema: filter, signals: SIGNALS },
};
