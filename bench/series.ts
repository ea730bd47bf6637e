// What one Claude Code session leaves in Prometheus: one series per metric and attribute set, with a
// cumulative sample at every metric export while the process lives (OTEL_METRIC_EXPORT_INTERVAL,
// 60 s by default, plus the flush at exit). Labels are those the project's pipeline writes:
//
//   Claude Code data point attributes (metric attributes, standard attributes, org attributes)
//   → collector transform/labels: service.name and the org attributes lifted from the resource where
//     a data point lacks them
//   → prometheusremotewrite (collector 0.129): attribute keys sanitised (dots → underscores), `job`
//     from service.namespace/service.name, `instance` from service.instance.id (Claude Code sets
//     none), no other resource attribute (resource_to_telemetry_conversion off) and no scope labels.
import { METRICS, promLabel, type MetricKey } from "../components/claude/telemetry.js";
import { resourceAttributes, sessionRecords, type Attributes, type SimSession } from "../simulator/index.js";

export const EXPORT_INTERVAL_MS = 60_000;

export interface SeriesSample {
  readonly t: number;
  readonly v: number;
}

export interface SessionSeries {
  readonly metric: MetricKey;
  /** Prometheus metric name (with `_total`). */
  readonly name: string;
  /** Labels without `__name__`, sorted by name. */
  readonly labels: readonly (readonly [string, string])[];
  /** Cumulative values at each export, in time order. */
  readonly samples: readonly SeriesSample[];
}

/**
 * Prometheus labels of a data point after the collector: `liftKeys` are the resource attributes the
 * transform processor copies onto data points that lack them (service.name plus the collector's
 * `labelAttributes`).
 */
const labelNames = new Map<string, string>();
/** promLabel, remembered: the same few dozen keys come back for every series. */
function labelName(key: string): string {
  let name = labelNames.get(key);
  if (name === undefined) labelNames.set(key, (name = promLabel(key)));
  return name;
}

export function pipelineLabels(resource: Attributes, point: Attributes, liftKeys: readonly string[]): [string, string][] {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(point)) attrs[k] = String(v);
  for (const k of liftKeys) if (attrs[k] === undefined && resource[k] !== undefined) attrs[k] = String(resource[k]);
  // The translator sorts attribute keys and joins values whose sanitised keys collide with ";".
  const out = new Map<string, string>();
  for (const key of Object.keys(attrs).sort()) {
    const name = labelName(key);
    const prev = out.get(name);
    out.set(name, prev === undefined ? (attrs[key] as string) : `${prev};${attrs[key]}`);
  }
  const service = resource["service.name"];
  if (service !== undefined) {
    const ns = resource["service.namespace"];
    out.set("job", ns === undefined ? String(service) : `${ns}/${service}`);
  }
  const instance = resource["service.instance.id"];
  if (instance !== undefined) out.set("instance", String(instance));
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Export times of a session's process: every interval after start, and the flush at exit. */
export function exportTimes(startMs: number, endMs: number, intervalMs = EXPORT_INTERVAL_MS): number[] {
  const times: number[] = [];
  for (let t = startMs + intervalMs; t < endMs; t += intervalMs) times.push(t);
  times.push(endMs);
  return times;
}

/** Records of one series carry the same keys in the same order (they are built by the same code). */
function seriesKey(metric: MetricKey, attributes: Attributes): string {
  let key: string = metric;
  for (const k in attributes) key += `\u0000${k}\u0001${attributes[k]}`;
  return key;
}

/**
 * Every series of a session with its samples. With cumulative temporality each export carries every
 * series recorded so far, so a series has a sample at each export from its first record to the end.
 */
export function sessionSeries(session: SimSession, liftKeys: readonly string[], intervalMs = EXPORT_INTERVAL_MS): SessionSeries[] {
  const resource = resourceAttributes(session);
  const grouped = new Map<string, { metric: MetricKey; attributes: Attributes; adds: { t: number; v: number }[] }>();
  let lastRecordMs = session.endMs;
  for (const r of sessionRecords(session)) {
    if (r.kind !== "metric") continue;
    lastRecordMs = Math.max(lastRecordMs, r.atMs);
    const key = seriesKey(r.metric, r.attributes);
    let g = grouped.get(key);
    if (!g) grouped.set(key, (g = { metric: r.metric, attributes: r.attributes, adds: [] }));
    g.adds.push({ t: r.atMs, v: r.value });
  }
  const ticks = exportTimes(session.startMs, Math.ceil(lastRecordMs / 1000) * 1000, intervalMs);
  const out: SessionSeries[] = [];
  for (const g of grouped.values()) {
    const samples: SeriesSample[] = [];
    let sum = 0;
    let i = 0;
    for (const t of ticks) {
      while (i < g.adds.length && (g.adds[i] as { t: number }).t <= t) sum += (g.adds[i++] as { v: number }).v;
      if (i > 0) samples.push({ t, v: sum });
    }
    out.push({ metric: g.metric, name: METRICS[g.metric].prometheus, labels: pipelineLabels(resource, g.attributes, liftKeys), samples });
  }
  return out;
}
