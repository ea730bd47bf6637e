// What the project's pipeline writes into Prometheus (components/usage-series.ts says why): Claude
// Code sends delta counters, one export every 60 s per session with only the streams that changed
// since the previous export (the OTel SDK's delta temporality: an unchanged stream sends nothing),
// and the collector sums every batch's deltas per person and label set into one gauge sample, dated
// when the batch is summed; sums of zero are dropped. Modelled here:
//
//   - a session's export at time t lands in the batch that closes at the next multiple of the batch
//     processor's timeout after t (collector.batchTimeout, 5 s by default); one collector replica,
//     so every series has the same `instance`;
//   - each usage counter's series keeps the attributes the signal_to_metrics connector lists
//     (components/collector-usage.ts, read from its config here), present and non-empty ones only,
//     with `user` the first present of user.email, enduser.id, user.account_uuid; `job` is
//     service.name and `instance` the collector's host name; no scope labels, no session id;
//   - the activity series counts, per person and batch, the data points that are not zero.
//
// test/bench.test.ts checks the names, label sets and per-series sums against what the real collector
// writes into the real Prometheus. Also here: the series the project's two recording rules make
// of the activity series (components/prometheus-rules.ts), computed as Prometheus evaluates them.
import { METRICS, promLabel, type MetricKey } from "../components/claude/telemetry.js";
import { usageConnector } from "../components/collector-usage.js";
import { RUN_MARKER_ATTRIBUTE } from "../components/privacy.js";
import { DEFAULT_RECORDING_OPTIONS, ORG_LABELS, RECORDED_LAST_SAMPLE, RECORDED_USERS, USER_LABEL } from "../components/prometheus-rules.js";
import type { Settings } from "../components/settings.js";
import { liftedKeys } from "../components/collector-config.js";
import { ATTRIBUTED_COUNTERS, USAGE_COUNTERS, USER_ACTIVITY, USER_ATTRIBUTE, resolveUser } from "../components/usage-series.js";
import { durationMs } from "../lib/duration.js";
import { commonAttributes, resourceAttributes, sessionRecords, type Attributes, type SimSession } from "../simulator/index.js";
import type { WritableSeries } from "./openmetrics.js";
import { EXPORT_INTERVAL_MS, exportTimes, type SeriesSample } from "./series.js";

/** `instance` of every series: the host name of the one collector replica modelled. */
export const COLLECTOR_INSTANCE = "otel-collector-0";

export type Labels = readonly (readonly [string, string])[];

/** The parts of the collector's configuration the series depend on. */
export interface UsagePipeline {
  /** Resource attributes transform/labels copies onto data points that lack them. */
  readonly liftKeys: readonly string[];
  /** Per Claude Code metric (wire name): the usage series it is summed into, and the attributes kept. */
  readonly counters: ReadonlyMap<string, readonly { readonly series: string; readonly keys: readonly string[] }[]>;
  /** Attributes the activity series keeps. */
  readonly activityKeys: readonly string[];
  readonly batchMs: number;
  readonly instance: string;
  /** privacy.identityChain: who a session's series belong to. */
  readonly identityChain: readonly string[];
}

interface ConnectorConfig {
  readonly datapoints: readonly { readonly name: string; readonly attributes: readonly { readonly key: string }[] }[];
}

/** The pipeline the rendered collector config runs for these settings. */
export function usagePipeline(settings: Settings, instance = COLLECTOR_INSTANCE): UsagePipeline {
  const c = settings.collector;
  const connector = usageConnector({
    labelAttributes: c.labelAttributes,
    optional: [...settings.privacy.extraMetricLabels, RUN_MARKER_ATTRIBUTE],
  }) as unknown as ConnectorConfig;
  const keysOf = (series: string) => {
    const def = connector.datapoints.find((d) => d.name === series);
    if (!def) throw new Error(`the usage connector writes no ${series}`);
    return def.attributes.map((a) => a.key);
  };
  const counters = new Map<string, { series: string; keys: string[] }[]>();
  for (const u of [...Object.values(USAGE_COUNTERS), ...Object.values(ATTRIBUTED_COUNTERS)]) {
    const name = METRICS[u.metric].name as string;
    counters.set(name, [...(counters.get(name) ?? []), { series: u.series, keys: keysOf(u.series) }]);
  }
  return {
    liftKeys: liftedKeys(c.labelAttributes),
    counters,
    activityKeys: keysOf(USER_ACTIVITY.series),
    batchMs: durationMs(c.batchTimeout),
    instance,
    identityChain: settings.privacy.identityChain,
  };
}

/** The batch an export at `t` lands in closes at the next multiple of the batch timeout. */
export function batchTime(t: number, batchMs: number): number {
  return (Math.floor(t / batchMs) + 1) * batchMs;
}

/** One series the collector writes, with its samples as a map of batch time → value (not yet in order). */
interface OutSeries {
  readonly name: string;
  readonly labels: Labels;
  readonly points: Map<number, number>;
}

/** What one session adds to its person's usage series, per output series (keyed by name and labels). */
export interface SessionUsage {
  readonly series: ReadonlyMap<string, OutSeries>;
  /** Newest batch time the session contributes to. */
  readonly lastMs: number;
  /**
   * Whether its series name someone (`user`): with an identity chain that does not end in the
   * installation id, those of people without any identity attribute are shared by everyone alike
   * (same team, same client), and the collector sums them together.
   */
  readonly identified: boolean;
}

const byName = (a: readonly [string, string], b: readonly [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

export function labelsKey(name: string, labels: Labels): string {
  let key = name;
  for (const [k, v] of labels) key += `\u0000${k}\u0001${v}`;
  return key;
}

/** Output labels: the kept attributes present and non-empty, sanitised, plus job and instance; sorted. */
function outputLabels(keys: readonly string[], attrs: Readonly<Record<string, string>>, own: Attributes, job: string, instance: string): [string, string][] {
  const out: [string, string][] = [];
  for (const k of keys) {
    const raw = own[k];
    const v = raw !== undefined ? String(raw) : attrs[k];
    if (v !== undefined && v !== "") out.push([promLabel(k), v]);
  }
  out.push(["job", job], ["instance", instance]);
  return out.sort(byName);
}

/**
 * The data points of a session's delta exports, summed into the usage series of its person by batch.
 * `intervalMs`: the client's export interval (Infinity: one export at exit, as a burst sends).
 */
export function sessionUsage(session: SimSession, p: UsagePipeline, intervalMs = EXPORT_INTERVAL_MS): SessionUsage {
  const resource = resourceAttributes(session);
  // A data point's attributes: the session's common ones, resource ones lifted where missing, `user`.
  const attrs: Record<string, string> = {};
  for (const k of p.liftKeys) if (resource[k] !== undefined) attrs[k] = String(resource[k]);
  const common = commonAttributes(session);
  for (const k in common) attrs[k] = String(common[k]);
  const identity = resolveUser(attrs, p.identityChain);
  if (identity !== undefined) attrs[USER_ATTRIBUTE] = identity;
  const job = String(resource["service.name"]);

  // Streams: one per metric and attribute set (the metric's own attributes tell them apart in a session).
  const streams = new Map<string, { metric: MetricKey; own: Attributes; times: number[]; values: number[] }>();
  let lastRecordMs = session.endMs;
  for (const r of sessionRecords(session, undefined, "metrics")) {
    if (r.kind !== "metric") continue;
    lastRecordMs = Math.max(lastRecordMs, r.atMs);
    let key: string = r.metric;
    for (const k in r.own) key += `\u0000${k}\u0001${r.own[k]}`;
    let s = streams.get(key);
    if (!s) streams.set(key, (s = { metric: r.metric, own: r.own, times: [], values: [] }));
    s.times.push(r.atMs);
    s.values.push(r.value);
  }
  const ticks = exportTimes(session.startMs, Math.ceil(lastRecordMs / 1000) * 1000, intervalMs);
  const series = new Map<string, OutSeries>();
  const target = (name: string, labels: Labels): Map<number, number> => {
    const key = labelsKey(name, labels);
    let s = series.get(key);
    if (!s) series.set(key, (s = { name, labels, points: new Map() }));
    return s.points;
  };
  const activity = target(USER_ACTIVITY.series, outputLabels(p.activityKeys, attrs, {}, job, p.instance));
  let lastMs = -Infinity;
  for (const s of streams.values()) {
    const sums = (p.counters.get(METRICS[s.metric].name) ?? []).map((c) => target(c.series, outputLabels(c.keys, attrs, s.own, job, p.instance)));
    let i = 0;
    for (const t of ticks) {
      if (i >= s.times.length) break;
      if ((s.times[i] as number) > t) continue; // nothing recorded since the previous export: no data point
      let delta = 0;
      while (i < s.times.length && (s.times[i] as number) <= t) delta += s.values[i++] as number;
      const b = batchTime(t, p.batchMs);
      lastMs = Math.max(lastMs, b);
      for (const into of sums) into.set(b, (into.get(b) ?? 0) + delta);
      if (delta !== 0) activity.set(b, (activity.get(b) ?? 0) + 1);
    }
  }
  if (activity.size === 0) series.delete(labelsKey(USER_ACTIVITY.series, outputLabels(p.activityKeys, attrs, {}, job, p.instance)));
  return { series, lastMs, identified: identity !== undefined };
}

/** Sums the sessions of one person (or any set) into the series the collector writes. */
export class UsageSums {
  private readonly sums = new Map<string, OutSeries>();

  add(usage: SessionUsage): void {
    for (const [key, s] of usage.series) {
      let into = this.sums.get(key);
      if (!into) this.sums.set(key, (into = { name: s.name, labels: s.labels, points: new Map() }));
      for (const [t, v] of s.points) into.points.set(t, (into.points.get(t) ?? 0) + v);
    }
  }

  /** Every series with its samples in time order, sums of zero dropped (filter/zero_usage). */
  *series(): Generator<WritableSeries & { readonly key: string }> {
    for (const [key, s] of this.sums) {
      const samples: SeriesSample[] = [];
      for (const [t, v] of s.points) if (v !== 0) samples.push({ t, v });
      if (samples.length === 0) continue;
      samples.sort((a, b) => a.t - b.t);
      yield { key, name: s.name, labels: s.labels, samples };
    }
  }
}

// ---- the recording rules' series ---------------------------------------------------------------

const LOOKBACK_DELTA_MS = 5 * 60_000;
const INTERVAL_MS = durationMs(DEFAULT_RECORDING_OPTIONS.interval);
const ROLLUP_MS = durationMs(DEFAULT_RECORDING_OPTIONS.rollupInterval);
const ROLLUP_OFFSET_MS = durationMs(DEFAULT_RECORDING_OPTIONS.rollupOffset);

/** How far before a window the activity samples its recorded series read go back (the roll-up's hour). */
export const USAGE_RECORDED_LOOKBACK_MS = ROLLUP_MS;

function keep(labels: Labels, by: readonly string[]): [string, string][] {
  const m = new Map(labels);
  const out: [string, string][] = [];
  for (const l of [...by].sort()) {
    const v = m.get(l);
    if (v !== undefined && v !== "") out.push([l, v]);
  }
  return out;
}

/** The hourly roll-up's evaluation (its samples' timestamp) that counts a sample at `t`: range (q - 1h, q]. */
export function rollupTime(t: number): number {
  return Math.ceil((t + ROLLUP_OFFSET_MS) / ROLLUP_MS) * ROLLUP_MS - ROLLUP_OFFSET_MS;
}

/**
 * The two recording rules' series for evaluation times in [fromMs, toMs), from the activity series
 * (their samples from an hour before the window on):
 *   claude_code:last_sample:timestamp_seconds = max by (service_name) (timestamp(activity)), every
 *     minute: the newest activity sample within the 5 m look-back;
 *   claude_code:user_active:present1h = group by (org labels, user) (count_over_time(activity[1h])),
 *     every hour, ROLLUP_OFFSET_MS (20 m) late: stored at the offset evaluation time q, 1 for anyone with a sample in (q - 1h, q].
 */
export class UsageRecorded {
  private readonly present = new Map<string, { labels: [string, string][]; times: Set<number> }>();
  private readonly newest = new Map<string, { labels: [string, string][]; times: Set<number> }>();

  constructor(
    private readonly fromMs: number,
    private readonly toMs: number,
  ) {}

  addActivity(s: WritableSeries): void {
    const person = keep(s.labels, [...ORG_LABELS, USER_LABEL]);
    const pk = labelsKey("", person);
    let p = this.present.get(pk);
    if (!p) this.present.set(pk, (p = { labels: person, times: new Set() }));
    const service = keep(s.labels, ["service_name"]);
    const sk = labelsKey("", service);
    let n = this.newest.get(sk);
    if (!n) this.newest.set(sk, (n = { labels: service, times: new Set() }));
    for (const { t } of s.samples) {
      if (t > this.toMs || t <= this.fromMs - ROLLUP_MS) continue;
      const q = rollupTime(t);
      if (q >= this.fromMs && q < this.toMs) p.times.add(q);
      n.times.add(t);
    }
  }

  *series(): Generator<WritableSeries> {
    for (const p of this.present.values()) {
      if (p.times.size === 0) continue;
      yield { name: RECORDED_USERS.perHour, labels: p.labels, samples: [...p.times].sort((a, b) => a - b).map((t) => ({ t, v: 1 })) };
    }
    for (const n of this.newest.values()) {
      const times = [...n.times].sort((a, b) => a - b);
      const samples: SeriesSample[] = [];
      let i = -1; // index of the newest sample at or before q
      for (let q = Math.ceil(this.fromMs / INTERVAL_MS) * INTERVAL_MS; q < this.toMs; q += INTERVAL_MS) {
        while (i + 1 < times.length && (times[i + 1] as number) <= q) i++;
        const t = times[i];
        if (t !== undefined && t > q - LOOKBACK_DELTA_MS) samples.push({ t: q, v: t / 1000 });
      }
      if (samples.length > 0) yield { name: RECORDED_LAST_SAMPLE, labels: n.labels, samples };
    }
  }
}
