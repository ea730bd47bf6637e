// Samples and export times both designs use (SeriesSample, exportTimes, firstAtOrAfter), and the
// legacy design (the pipeline before the collector summed usage per person, usage.ts): what one
// Claude Code session left in Prometheus: one series per metric and attribute set, with a
// cumulative sample at every metric export while the process lives (OTEL_METRIC_EXPORT_INTERVAL,
// 60 s by default, plus the flush at exit). Labels are those that pipeline wrote:
//
//   Claude Code data point attributes (metric attributes, standard attributes, org attributes)
//   → collector transform/labels: service.name and the org attributes lifted from the resource where
//     a data point lacks them
//   → prometheus_remote_write (collector 0.161): attribute keys sanitised (dots → underscores), `job`
//     from service.namespace/service.name, `instance` from service.instance.id (Claude Code sets
//     none), the meter's name and version as `otel_scope_name` / `otel_scope_version`, and no other
//     resource attribute (no resource labels). test/bench.test.ts checked these label sets against
//     what the real collector wrote into the real Prometheus while it ran that pipeline.
import { METER_NAME, METRICS, promLabel, type MetricKey } from "../components/claude/telemetry.js";
import { commonAttributes, resourceAttributes, sessionRecords, type Attributes, type MetricRecord, type SimSession } from "../simulator/index.js";

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

/** The instrumentation scope of Claude Code's meter: its name, and the client's version. */
export interface MeterScope {
  readonly name: string;
  readonly version: string;
}

export function pipelineLabels(resource: Attributes, point: Attributes, liftKeys: readonly string[], scope?: MeterScope): [string, string][] {
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
  if (scope) {
    out.set("otel_scope_name", scope.name);
    if (scope.version) out.set("otel_scope_version", scope.version);
  }
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Export times of a session's process: every interval after start, and the flush at exit. */
export function exportTimes(startMs: number, endMs: number, intervalMs = EXPORT_INTERVAL_MS): number[] {
  const times: number[] = [];
  for (let t = startMs + intervalMs; t < endMs; t += intervalMs) times.push(t);
  times.push(endMs);
  return times;
}

/** A metric's own attributes come in the same key order on every record of its series. */
function seriesKey(metric: MetricKey, own: Attributes): string {
  let key: string = metric;
  for (const k in own) key += `\u0000${k}\u0001${own[k]}`;
  return key;
}

const byName = (a: readonly [string, string], b: readonly [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/**
 * The labels of a data point with the session's common attributes and `own` on top, from the
 * session's labels (`base`, sorted) merged with those of `own`; undefined when a label of `own`
 * would collide with one of the base (the general pipelineLabels then decides).
 */
function withOwnLabels(
  base: readonly (readonly [string, string])[],
  baseNames: ReadonlySet<string>,
  own: Attributes,
): (readonly [string, string])[] | undefined {
  const extra: [string, string][] = [];
  for (const k in own) {
    const name = labelName(k);
    if (baseNames.has(name)) return undefined;
    extra.push([name, String(own[k])]);
  }
  extra.sort(byName);
  for (let i = 1; i < extra.length; i++) if ((extra[i] as [string, string])[0] === (extra[i - 1] as [string, string])[0]) return undefined;
  const out: (readonly [string, string])[] = [];
  let i = 0;
  let j = 0;
  while (i < base.length || j < extra.length) {
    const a = base[i];
    const b = extra[j];
    // The session's own pair objects, shared by its series.
    if (a && (!b || a[0] < b[0])) {
      out.push(a);
      i++;
    } else {
      out.push(b as [string, string]);
      j++;
    }
  }
  return out;
}

/**
 * Every series of a session with its samples. With cumulative temporality each export carries every
 * series recorded so far, so a series has a sample at each export from its first record to the end.
 */
export function sessionSeries(session: SimSession, liftKeys: readonly string[], intervalMs = EXPORT_INTERVAL_MS): SessionSeries[] {
  const resource = resourceAttributes(session);
  // Labels every series of the session shares, worked out once.
  const scope: MeterScope = { name: METER_NAME, version: session.installation.serviceVersion };
  const base = pipelineLabels(resource, commonAttributes(session), liftKeys, scope);
  const baseNames = new Set(base.map(([k]) => k));
  const grouped = new Map<string, { metric: MetricKey; record: MetricRecord; own: Attributes; times: number[]; values: number[] }>();
  let lastRecordMs = session.endMs;
  for (const r of sessionRecords(session, undefined, "metrics")) {
    if (r.kind !== "metric") continue;
    lastRecordMs = Math.max(lastRecordMs, r.atMs);
    const key = seriesKey(r.metric, r.own);
    let g = grouped.get(key);
    if (!g) grouped.set(key, (g = { metric: r.metric, record: r, own: r.own, times: [], values: [] }));
    g.times.push(r.atMs);
    g.values.push(r.value);
  }
  const ticks = exportTimes(session.startMs, Math.ceil(lastRecordMs / 1000) * 1000, intervalMs);
  const out: SessionSeries[] = [];
  for (const g of grouped.values()) {
    const samples: SeriesSample[] = [];
    const first = g.times[0] as number;
    let k = 0;
    while ((ticks[k] as number) < first) k++; // the last tick is at or after every record
    let sum = 0;
    let i = 0;
    for (; k < ticks.length; k++) {
      const t = ticks[k] as number;
      while (i < g.times.length && (g.times[i] as number) <= t) sum += g.values[i++] as number;
      samples.push({ t, v: sum });
    }
    const labels = withOwnLabels(base, baseNames, g.own) ?? pipelineLabels(resource, g.record.attributes, liftKeys, scope);
    out.push({ metric: g.metric, name: METRICS[g.metric].prometheus, labels, samples });
  }
  return out;
}

/** First index with t >= ms, by binary search over samples in time order. */
export function firstAtOrAfter(samples: readonly SeriesSample[], ms: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((samples[mid] as SeriesSample).t < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
