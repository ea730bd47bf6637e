// The collector's usage pipeline (components/usage-series.ts says why): cumulative counters turned
// into deltas, a `user` attribute from the identity chain, every batch's deltas summed per person
// and label set by the signal_to_metrics connector, written as gauges of amounts added, under one
// resource per collector replica. Pure: collector-config.ts places the pieces in pipelines.
import { METRICS } from "./claude/telemetry.js";
import { EVENTS } from "./claude/telemetry.js";
import {
  API_EVENT_COMMON_ATTRIBUTES,
  API_EVENT_COUNTERS,
  ATTRIBUTED_COUNTERS,
  COMMON_ATTRIBUTES,
  INSTALLATION_ATTRIBUTE,
  INSTALLATION_PREFIX,
  USAGE_COUNTERS,
  USER_ACTIVITY,
  USER_ATTRIBUTE,
} from "./usage-series.js";

const q = JSON.stringify;

/** A number data point's value whatever its type (the other getter reads 0): type-stable for the sums. */
const VALUE = "Double(datapoint.value_int) + datapoint.value_double";
const NON_ZERO = "(datapoint.value_int != 0 or datapoint.value_double != 0)";
/** Only delta sums are summed: a cumulative value summed per batch would count history again. */
const DELTA_SUM = "metric.type == METRIC_DATA_TYPE_SUM and metric.aggregation_temporality == AGGREGATION_TEMPORALITY_DELTA";

/**
 * How long cumulative_to_delta remembers a cumulative stream (clients configured by hand). A stream
 * forgotten and then resumed counts its whole value again: longer than a weekend with the laptop shut.
 */
export const CUMULATIVE_STREAM_MEMORY = "168h";

export function cumulativeToDelta(): Record<string, unknown> {
  // auto: a stream that started after the collector counts its first value whole; one that was
  // already running when the collector started is only a baseline (its earlier usage is unknown).
  return { initial_value: "auto", max_staleness: CUMULATIVE_STREAM_MEMORY };
}

/**
 * OTTL giving each data point or event its `user`: the first attribute of the chain present (later
 * statements win, so they run in reverse). An attribute is read from the item, else from its
 * resource (a client that does not copy OTEL_RESOURCE_ATTRIBUTES onto items); `user.id` names an
 * installation and is written with INSTALLATION_PREFIX.
 */
export function identityChainStatements(ctx: "datapoint" | "log", chain: readonly string[]): string[] {
  const user = `${ctx}.attributes[${q(USER_ATTRIBUTE)}]`;
  const present = (path: string) => `${path} != nil and ${path} != ""`;
  const value = (k: string, path: string) => (k === INSTALLATION_ATTRIBUTE ? `Concat([${q(INSTALLATION_PREFIX)}, ${path}], "")` : path);
  return [...chain].reverse().flatMap((k) => {
    const own = `${ctx}.attributes[${q(k)}]`;
    const resource = `resource.attributes[${q(k)}]`;
    return [`set(${user}, ${value(k, resource)}) where ${present(resource)}`, `set(${user}, ${value(k, own)}) where ${present(own)}`];
  });
}

interface Extras {
  /** Org attributes the stack guarantees as labels beyond the defaults (collector.labelAttributes). */
  readonly labelAttributes: readonly string[];
  /** Further attributes kept when present (privacy.extraMetricLabels, the verify run marker). */
  readonly optional: readonly string[];
}

const kept = (keys: readonly string[]) => [...new Set(keys)].map((key) => ({ key, optional: true }));

/** The signal_to_metrics connector's config: one sum per usage counter, and the activity count. */
export function usageConnector(extras: Extras): Record<string, unknown> {
  const common = [...COMMON_ATTRIBUTES, ...extras.labelAttributes, ...extras.optional];
  const resource = [{ key: "service.name" }];
  const sums = [...Object.values(USAGE_COUNTERS), ...Object.values(ATTRIBUTED_COUNTERS)].map((c) => ({
    name: c.series,
    description: `Amount of ${METRICS[c.metric].name} added since the previous sample (per person and label set)`,
    conditions: [`metric.name == ${q(METRICS[c.metric].name)} and ${DELTA_SUM}`],
    attributes: kept([...common, ...c.own]),
    include_resource_attributes: resource,
    sum: { value: VALUE },
  }));
  const activity = {
    name: USER_ACTIVITY.series,
    description: "Non-zero Claude Code data points a person sent in the batch: a sample means they were active",
    conditions: [`IsMatch(metric.name, "^claude_code\\\\.") and ${DELTA_SUM} and ${NON_ZERO}`],
    attributes: kept(common),
    include_resource_attributes: resource,
    sum: { value: "1.0" },
  };
  return { error_mode: "propagate", datapoints: [...sums, activity] };
}

/**
 * The signal_to_metrics connector that counts API requests and errors from the events, per batch
 * (the events' org attributes are lifted from the resource first, as for the metrics).
 */
export function apiEventsConnector(labelAttributes: readonly string[]): Record<string, unknown> {
  const resource = [{ key: "service.name" }];
  const logs = Object.values(API_EVENT_COUNTERS).map((c) => ({
    name: c.series,
    description: `${EVENTS[c.event].name} events counted in the batch (per org labels and the event's own)`,
    conditions: [[`log.attributes["event.name"] == ${q(EVENTS[c.event].name)}`, ...("where" in c ? [c.where] : [])].join(" and ")],
    attributes: kept([...API_EVENT_COMMON_ATTRIBUTES, ...labelAttributes, ...c.own]),
    include_resource_attributes: resource,
    sum: { value: "1.0" },
  }));
  return { error_mode: "propagate", logs };
}

/** After the sums: gauges (amounts added, summed by the queries), under this replica's resource. */
export function usageOutputStatements(): Record<string, unknown>[] {
  return [
    {
      context: "resource",
      statements: [
        `delete_key(resource.attributes, "signal_to_metrics.service.instance.id")`,
        `set(resource.attributes["service.instance.id"], "\${env:HOSTNAME}")`,
      ],
    },
    { context: "metric", statements: ["convert_sum_to_gauge()"] },
  ];
}

/** Drops sums that added nothing (a cumulative client's unchanged counters). */
export function dropZeroCondition(): string {
  return `datapoint.value_int == 0 and datapoint.value_double == 0`;
}
