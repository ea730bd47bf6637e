// Legacy design: the recorded series of the per-session design's recording rules (legacy-rules.ts),
// computed from the per-session samples series.ts generates, as Prometheus would record them
// evaluating the rules every minute.
//
// Why not only `promtool tsdb create-blocks-from rules`: it replays each rule as range queries and
// costs about 1.5 µs per series and step; with every series of the last day in each step (the rules'
// 1d look-back), 1000 developers x 7 days take far longer than the raw backfill. `--rules promtool`
// still runs it; test/bench.test.ts checks that both give the same recorded series.
//
// Per series (one session's counter, samples every minute) at each evaluation time q:
//   cur  = last sample in (q - 5m, q]  (Prometheus' look-back delta)
//   prev = last sample at or before q - interval (within the 1d look-back, always the case here)
//   recorded increase = cur - prev when it grew, cur when there is no prev (a new series)
// summed by the rule's labels after `user` is taken from the first identity label present.
import { DEFAULT_RECORDING_OPTIONS, IDENTITY_LABELS, RECORDED_COUNTERS, RECORDED_LAST_SAMPLE, RECORDED_USERS } from "./legacy-rules.js";
import { ORG_LABELS, USER_LABEL } from "../components/prometheus-rules.js";
import { METRICS } from "../components/claude/telemetry.js";
import { durationMs } from "../lib/duration.js";
import type { SeriesSample, SessionSeries } from "./series.js";

const LOOKBACK_DELTA_MS = 5 * 60_000;
const INTERVAL_MS = durationMs(DEFAULT_RECORDING_OPTIONS.interval);
const ROLLUP_MS = durationMs(DEFAULT_RECORDING_OPTIONS.rollupInterval);
const SESSION_METRIC = METRICS.session.prometheus;
const COUNTERS = Object.values(RECORDED_COUNTERS);

export interface RecordedOutput {
  readonly name: string;
  readonly labels: readonly (readonly [string, string])[];
  readonly samples: readonly SeriesSample[];
}

/** How long after a series' last sample it can still change a recorded series (the roll-up's hour). */
export const RECORDED_TAIL_MS = ROLLUP_MS + INTERVAL_MS;

/** The rules' identity: the first of IDENTITY_LABELS a series carries becomes `user`. */
export function withUser(labels: readonly (readonly [string, string])[]): Map<string, string> {
  const m = new Map(labels);
  const identity = IDENTITY_LABELS.map((l) => m.get(l)).find((v) => v !== undefined && v !== "");
  if (identity !== undefined) m.set(USER_LABEL, identity);
  return m;
}

/** The label set `sum by (by)` keeps (labels absent or empty are dropped, as Prometheus does). */
function keep(labels: Map<string, string>, by: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (const l of [...by].sort()) {
    const v = labels.get(l);
    if (v !== undefined && v !== "") out.push([l, v]);
  }
  return out;
}

/** Sample at or before t with t > after, by binary search over samples in time order. */
function lastAtOrBefore(samples: readonly SeriesSample[], t: number, after = -Infinity): SeriesSample | undefined {
  let lo = 0;
  let hi = samples.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((samples[mid] as SeriesSample).t <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  const s = found >= 0 ? samples[found] : undefined;
  return s && s.t > after ? s : undefined;
}

/** Per-interval increases of one series at evaluation times q = k·interval, as the counter rules record them. */
export function seriesIncreases(samples: readonly SeriesSample[], intervalMs = INTERVAL_MS): SeriesSample[] {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last) return [];
  const out: SeriesSample[] = [];
  for (let q = Math.ceil(first.t / intervalMs) * intervalMs; q <= last.t + LOOKBACK_DELTA_MS; q += intervalMs) {
    const cur = lastAtOrBefore(samples, q, q - LOOKBACK_DELTA_MS);
    if (!cur) continue;
    const prev = lastAtOrBefore(samples, q - intervalMs);
    const v = !prev || cur.v < prev.v ? cur.v : cur.v - prev.v;
    if (!prev || cur.v !== prev.v) out.push({ t: q, v });
  }
  return out;
}

/** Sums the recorded series of every session added, keeping evaluation times in [fromMs, toMs). */
export class RecordedSeries {
  private readonly sums = new Map<string, { name: string; labels: [string, string][]; points: Map<number, number> }>();

  constructor(
    private readonly fromMs: number,
    private readonly toMs: number,
  ) {}

  /** The accumulated points of one recorded series (created on first use). */
  private target(name: string, labels: [string, string][]): Map<number, number> {
    const key = `${name}\u0000${labels.map(([k, x]) => `${k}\u0001${x}`).join("\u0000")}`;
    let s = this.sums.get(key);
    if (!s) this.sums.set(key, (s = { name, labels, points: new Map() }));
    return s.points;
  }

  private put(points: Map<number, number>, t: number, v: number, combine: (a: number, b: number) => number): void {
    if (t < this.fromMs || t >= this.toMs) return;
    const prev = points.get(t);
    points.set(t, prev === undefined ? v : combine(prev, v));
  }

  /** Whether add() records anything for series of this name. */
  static reads(name: string): boolean {
    return name === SESSION_METRIC || COUNTERS.some((c) => c.source === name);
  }

  /** `increases`: seriesIncreases(series.samples), when the caller has them already. */
  add(series: SessionSeries, increases?: readonly SeriesSample[]): void {
    const counters = COUNTERS.filter((c) => c.source === series.name);
    if (counters.length === 0 && series.name !== SESSION_METRIC) return;
    const labels = withUser(series.labels);
    increases ??= seriesIncreases(series.samples);
    const add = (a: number, b: number) => a + b;
    for (const c of counters) {
      if (increases.length === 0) continue;
      const points = this.target(c.record, keep(labels, c.by));
      for (const p of increases) this.put(points, p.t, p.v, add);
    }
    if (series.name !== SESSION_METRIC) return;
    // Presence: `group by (org labels, user) (last_over_time(session count[1m]))`, and its hourly max.
    const people = keep(labels, [...ORG_LABELS, USER_LABEL]);
    const one = (a: number) => a;
    const perMinute = this.target(RECORDED_USERS.perMinute, people);
    const perHour = this.target(RECORDED_USERS.perHour, people);
    for (const s of series.samples) {
      const minute = Math.ceil(s.t / INTERVAL_MS) * INTERVAL_MS;
      this.put(perMinute, minute, 1, one);
      // A minute counts in the hour that contains its evaluation time.
      this.put(perHour, Math.ceil(minute / ROLLUP_MS) * ROLLUP_MS, 1, one);
    }
    // `max by (service_name) (timestamp(session count))`: the newest sample within the look-back.
    const newest = this.target(RECORDED_LAST_SAMPLE, keep(labels, ["service_name"]));
    const first = series.samples[0];
    const last = series.samples[series.samples.length - 1];
    if (!first || !last) return;
    for (let q = Math.ceil(first.t / INTERVAL_MS) * INTERVAL_MS; q <= last.t + LOOKBACK_DELTA_MS; q += INTERVAL_MS) {
      const cur = lastAtOrBefore(series.samples, q, q - LOOKBACK_DELTA_MS);
      if (cur) this.put(newest, q, cur.t / 1000, Math.max);
    }
  }

  /** Every recorded series with its samples in time order. */
  *series(): Generator<RecordedOutput> {
    for (const s of this.sums.values()) {
      if (s.points.size === 0) continue; // all its points fell outside the window
      const samples = [...s.points.entries()].sort((a, b) => a[0] - b[0]).map(([t, v]) => ({ t, v }));
      yield { name: s.name, labels: s.labels, samples };
    }
  }
}
