// Generated Claude Code series into a Prometheus TSDB, window by window in time order: the series the
// project's pipeline writes (usage.ts), or those of the previous, per-session design (series.ts,
// recorded.ts). What stores a window is an Ingest: the real Prometheus' own write path
// (remote-ingest.ts, the default) or `promtool tsdb create-blocks-from openmetrics`
// (promtool-ingest.ts). Either way, memory stays bounded by a window, whatever the number of users or days.
import { readdirSync, renameSync, statSync } from "node:fs";
import path from "node:path";
import { USER_ACTIVITY } from "../components/usage-series.js";
import { RECORDED_TAIL_MS, RecordedSeries, seriesIncreases } from "./recorded.js";
import { firstAtOrAfter, sessionSeries } from "./series.js";
import type { WritableSeries } from "./openmetrics.js";
import type { SimSession } from "../simulator/index.js";
import type { SeriesSample, SessionSeries } from "./series.js";
import { labelsKey, sessionUsage, UsageRecorded, UsageSums, USAGE_RECORDED_LOOKBACK_MS, type SessionUsage, type UsagePipeline } from "./usage.js";
import { HOUR_MS, SessionCache, sessionsOverlapping, type Organisation } from "./workload.js";

/** The counting designs the benchmark generates: the collector's per-person sums, or per-session series. */
export const DESIGNS = ["new", "legacy"] as const;
export type Design = (typeof DESIGNS)[number];

/** Prometheus keeps the last 2-3 hours in its head: series alive in a 2 h block approximate active series. */
export const HEAD_BLOCK_MS = 2 * HOUR_MS;

/** One window's series, raw and recorded, as the backfill produces them. */
export interface WindowWriter {
  add(series: WritableSeries): void | Promise<void>;
  /** Hands the window over; resolves once the next one may be generated (storing may still go on). */
  close(): Promise<void>;
}

export interface IngestTotals {
  /** Bytes handed to the store: OpenMetrics text, or remote-write request bodies. */
  readonly bytes: number;
  /** promtool runs, or remote-write requests. */
  readonly units: number;
  /** Blocks in the TSDB when ingestion ended (Prometheus keeps the newest hours in its head). */
  readonly blocks: number;
  /** Time the store spent: promtool run times, or remote-write request times, summed (they overlap). */
  readonly storeMs: number;
  /** CPU the receiving Prometheus used (remote write), when known. */
  readonly storeCpuMs?: number;
}

export interface Ingest {
  readonly method: "remote-write" | "promtool";
  /** Length of the windows the backfill generates; windows are aligned to it. */
  readonly windowMs: number;
  open(index: number, fromMs: number, toMs: number): WindowWriter;
  /** Resolves once every window is stored; throws the first failure. */
  finish(): Promise<IngestTotals>;
}

export interface BackfillOptions {
  readonly org: Organisation;
  readonly startMs: number;
  readonly endMs: number;
  /** Resource attributes the collector lifts onto data points (service.name + labelAttributes). */
  readonly liftKeys: readonly string[];
  /** Also write the recording rules' series, computed from the same samples (usage.ts, recorded.ts). */
  readonly recorded: boolean;
  /** The new design's collector pipeline: with it, the series it writes; without, the legacy per-session series. */
  readonly usage?: UsagePipeline;
  readonly onProgress?: (line: string) => void;
}

export interface BackfillStats extends IngestTotals {
  readonly method: Ingest["method"];
  readonly sessions: number;
  readonly sessionHours: number;
  readonly series: number;
  readonly samples: number;
  /** Recorded series and samples written beside the raw ones (0 unless `recorded`). */
  readonly recordedSeries: number;
  readonly recordedSamples: number;
  readonly windows: number;
  /** Series with samples in each 2 h head-block range: the busiest, and the mean over working hours. */
  readonly headSeriesMax: number;
  /** Start of the 2 h range with the most series (a busy time to evaluate the rules at). */
  readonly busiestHeadMs: number;
  readonly headSeriesMeanBusy: number;
  /** Time spent generating and encoding (including waits for the store). */
  readonly generateMs: number;
  /** CPU this process used for it. */
  readonly generateCpuMs: number;
  readonly wallMs: number;
}

/** Block-aligned windows covering [startMs, endMs), each clipped to the range. */
export function windows(startMs: number, endMs: number, windowMs: number): { fromMs: number; toMs: number }[] {
  const out: { fromMs: number; toMs: number }[] = [];
  for (let w = Math.floor(startMs / windowMs) * windowMs; w < endMs; w += windowMs) {
    out.push({ fromMs: Math.max(w, startMs), toMs: Math.min(w + windowMs, endMs) });
  }
  return out;
}

export function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

/** Directories of `dir` that are TSDB blocks (they hold a meta.json). */
export function blockDirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => path.join(dir, e.name))
    .filter((p) => {
      try {
        return statSync(path.join(p, "meta.json")).isFile();
      } catch {
        return false;
      }
    });
}

/** Moves every block from `from` into the TSDB directory. */
export function moveBlocks(from: string, tsdbDir: string): number {
  const blocks = blockDirs(from);
  for (const src of blocks) renameSync(src, path.join(tsdbDir, path.basename(src)));
  return blocks.length;
}

/** Lets timers and sockets run (remote-write requests in flight) during long stretches of generation. */
function breather(everyMs = 20): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < everyMs) return;
    await new Promise((resolve) => setImmediate(resolve));
    last = performance.now();
  };
}

export function backfillRaw(o: BackfillOptions, ingest: Ingest): Promise<BackfillStats> {
  return o.usage ? backfillUsage(o, o.usage, ingest) : backfillLegacy(o, ingest);
}

async function backfillLegacy(o: BackfillOptions, ingest: Ingest): Promise<BackfillStats> {
  const started = Date.now();
  const cpuStart = process.cpuUsage();
  const cuts = windows(o.startMs, o.endMs, ingest.windowMs);
  const head = new Map<number, number>();
  let sessions = 0;
  let sessionMs = 0;
  let series = 0;
  let samples = 0;
  const recordedKeys = new Set<string>();
  let recordedSamples = 0;
  let generateMs = 0;
  const breathe = breather();
  // Sessions and their series that reach into the next window are kept, not generated twice.
  const cache = new SessionCache(o.org);
  let seriesCache = new Map<SimSession, SessionSeries[]>();
  // Their per-minute increases too (what the recorded series are summed from).
  let increases = new Map<SessionSeries, readonly SeriesSample[]>();

  for (const [i, w] of cuts.entries()) {
    const genStart = Date.now();
    const writer = ingest.open(i, w.fromMs, w.toMs);
    const recorded = o.recorded ? new RecordedSeries(w.fromMs, w.toMs) : undefined;
    // Sessions that ended shortly before the window still feed its recorded series.
    const tail = recorded ? RECORDED_TAIL_MS : 0;
    const nextSeries = new Map<SimSession, SessionSeries[]>();
    const nextIncreases = new Map<SessionSeries, readonly SeriesSample[]>();
    for (const session of sessionsOverlapping(o.org, w.fromMs - tail, w.toMs, cache)) {
      // Telemetry starts with the range: sessions begun earlier are not part of it.
      if (session.startMs < o.startMs) continue;
      const own = session.startMs >= w.fromMs; // counted once, in the window it starts in
      if (own) {
        sessions++;
        sessionMs += Math.min(session.endMs, o.endMs) - session.startMs;
      }
      const ofSession = seriesCache.get(session) ?? sessionSeries(session, o.liftKeys);
      const carried = session.endMs + tail >= w.toMs;
      if (carried) nextSeries.set(session, ofSession);
      for (const s of ofSession) {
        await writer.add(s);
        if (recorded && RecordedSeries.reads(s.name)) {
          const inc = increases.get(s) ?? seriesIncreases(s.samples);
          if (carried) nextIncreases.set(s, inc);
          recorded.add(s, inc);
        }
        if (!own) continue;
        let n = 0;
        while (n < s.samples.length && (s.samples[n] as SeriesSample).t < o.endMs) n++;
        if (n === 0) continue;
        series++;
        samples += n;
        const first = (s.samples[0] as SeriesSample).t;
        const last = (s.samples[n - 1] as SeriesSample).t;
        for (let b = Math.floor(first / HEAD_BLOCK_MS); b <= Math.floor(last / HEAD_BLOCK_MS); b++) head.set(b, (head.get(b) ?? 0) + 1);
      }
      await breathe();
    }
    for (const r of recorded?.series() ?? []) {
      await writer.add(r);
      recordedSamples += r.samples.length;
      recordedKeys.add(`${r.name}${JSON.stringify(r.labels)}`);
    }
    seriesCache = nextSeries;
    increases = nextIncreases;
    cache.forgetBefore(w.toMs - tail);
    await writer.close();
    generateMs += Date.now() - genStart;
    o.onProgress?.(`window ${i + 1}/${cuts.length} generated (${new Date(w.fromMs).toISOString().slice(0, 16)}Z)`);
  }
  const totals = await ingest.finish();
  return finalStats(ingest, totals, {
    started,
    cpuStart,
    sessions,
    sessionMs,
    series,
    samples,
    recordedSeries: recordedKeys.size,
    recordedSamples,
    windows: cuts.length,
    head,
    generateMs,
  });
}

interface Counts {
  readonly started: number;
  readonly cpuStart: NodeJS.CpuUsage;
  readonly sessions: number;
  readonly sessionMs: number;
  readonly series: number;
  readonly samples: number;
  readonly recordedSeries: number;
  readonly recordedSamples: number;
  readonly windows: number;
  /** Series per 2 h head-block range (by block index). */
  readonly head: ReadonlyMap<number, number>;
  readonly generateMs: number;
}

function finalStats(ingest: Ingest, totals: IngestTotals, c: Counts): BackfillStats {
  const cpu = process.cpuUsage(c.cpuStart);
  const headCounts = [...c.head.values()];
  const max = Math.max(0, ...headCounts);
  const busiest = [...c.head.entries()].find(([, n]) => n === max)?.[0] ?? 0;
  // "Busy" blocks: those with at least a quarter of the peak, i.e. working hours somewhere.
  const busy = headCounts.filter((n) => n >= max / 4);
  return {
    method: ingest.method,
    ...totals,
    sessions: c.sessions,
    sessionHours: c.sessionMs / HOUR_MS,
    series: c.series,
    samples: c.samples,
    recordedSeries: c.recordedSeries,
    recordedSamples: c.recordedSamples,
    windows: c.windows,
    headSeriesMax: max,
    busiestHeadMs: busiest * HEAD_BLOCK_MS,
    headSeriesMeanBusy: busy.length ? busy.reduce((a, b) => a + b, 0) / busy.length : 0,
    generateMs: c.generateMs,
    generateCpuMs: (cpu.user + cpu.system) / 1000,
    wallMs: Date.now() - c.started,
  };
}

/**
 * How far before a window the sessions feeding it are looked for: a session's last export comes a
 * little after its end, and the roll-up reads an hour of activity before the window.
 */
export const USAGE_MARGIN_MS = USAGE_RECORDED_LOOKBACK_MS + HOUR_MS;

export interface UsageWindowOptions {
  /** Sessions that started before this are left out (telemetry starts with the range). */
  readonly startMs?: number;
  readonly sessions?: SessionCache;
  /** Session sums the previous window computed (read), and those the next one may need (filled). */
  readonly carry?: { readonly prev: ReadonlyMap<SimSession, SessionUsage>; readonly next: Map<SimSession, SessionUsage> };
  readonly onSession?: (session: SimSession) => void;
}

/**
 * The usage series of every person with a session alive in [fromMs - USAGE_MARGIN_MS, toMs), person
 * by person (then those no identity tells apart), with all their samples (also those outside the
 * window: callers clip). Each series comes once.
 */
export function* usageWindowSeries(
  org: Organisation,
  fromMs: number,
  toMs: number,
  pipeline: UsagePipeline,
  o: UsageWindowOptions = {},
): Generator<WritableSeries & { readonly key: string }> {
  let person = -1;
  let sums = new UsageSums();
  // People without an identity (a chain without user.id) share their series: summed over the whole window, written last.
  const shared = new UsageSums();
  for (const session of sessionsOverlapping(org, fromMs - USAGE_MARGIN_MS, toMs, o.sessions)) {
    if (o.startMs !== undefined && session.startMs < o.startMs) continue;
    if (session.person.index !== person) {
      yield* sums.series();
      sums = new UsageSums();
      person = session.person.index;
    }
    o.onSession?.(session);
    const usage = o.carry?.prev.get(session) ?? sessionUsage(session, pipeline);
    if (o.carry && session.endMs >= toMs - USAGE_MARGIN_MS) o.carry.next.set(session, usage);
    (usage.identified ? sums : shared).add(usage);
  }
  yield* sums.series();
  yield* shared.series();
}

async function backfillUsage(o: BackfillOptions, pipeline: UsagePipeline, ingest: Ingest): Promise<BackfillStats> {
  const started = Date.now();
  const cpuStart = process.cpuUsage();
  const cuts = windows(o.startMs, o.endMs, ingest.windowMs);
  const head = new Map<number, number>();
  const seriesKeys = new Set<string>();
  const recordedKeys = new Set<string>();
  let sessions = 0;
  let sessionMs = 0;
  let samples = 0;
  let recordedSamples = 0;
  let generateMs = 0;
  const breathe = breather();
  const cache = new SessionCache(o.org);
  let prev = new Map<SimSession, SessionUsage>();
  for (const [i, w] of cuts.entries()) {
    const genStart = Date.now();
    const writer = ingest.open(i, w.fromMs, w.toMs);
    const recorded = o.recorded ? new UsageRecorded(w.fromMs, w.toMs) : undefined;
    const carry = { prev, next: new Map<SimSession, SessionUsage>() };
    const onSession = (s: SimSession) => {
      if (s.startMs < w.fromMs || s.startMs >= w.toMs) return; // counted once, in the window it starts in
      sessions++;
      sessionMs += Math.min(s.endMs, o.endMs) - s.startMs;
    };
    for (const s of usageWindowSeries(o.org, w.fromMs, w.toMs, pipeline, { startMs: o.startMs, sessions: cache, carry, onSession })) {
      if (recorded && s.name === USER_ACTIVITY.series) recorded.addActivity(s);
      const from = firstAtOrAfter(s.samples, w.fromMs);
      const to = firstAtOrAfter(s.samples, w.toMs);
      if (to <= from) continue;
      await writer.add(s);
      seriesKeys.add(s.key);
      samples += to - from;
      let lastBlock = NaN;
      for (let k = from; k < to; k++) {
        const b = Math.floor((s.samples[k] as SeriesSample).t / HEAD_BLOCK_MS);
        if (b !== lastBlock) head.set(b, (head.get(b) ?? 0) + 1);
        lastBlock = b;
      }
      await breathe();
    }
    for (const r of recorded?.series() ?? []) {
      await writer.add(r);
      recordedSamples += r.samples.length;
      recordedKeys.add(labelsKey(r.name, r.labels));
    }
    prev = carry.next;
    cache.forgetBefore(w.toMs - USAGE_MARGIN_MS);
    await writer.close();
    generateMs += Date.now() - genStart;
    o.onProgress?.(`window ${i + 1}/${cuts.length} generated (${new Date(w.fromMs).toISOString().slice(0, 16)}Z)`);
  }
  const totals = await ingest.finish();
  return finalStats(ingest, totals, {
    started,
    cpuStart,
    sessions,
    sessionMs,
    series: seriesKeys.size,
    samples,
    recordedSeries: recordedKeys.size,
    recordedSamples,
    windows: cuts.length,
    head,
    generateMs,
  });
}
