// Raw Claude Code series into a TSDB with the real `promtool tsdb create-blocks-from openmetrics`.
//
// promtool reads its whole input twice per block (once for the time range, once per block window)
// and keeps a block's series in memory, so the range is cut into block-aligned windows: one
// OpenMetrics file per window, written while promtool ingests the previous ones, deleted once its
// block exists. Memory and disk stay bounded by a window, whatever the number of users or days.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { METRICS } from "../components/claude/telemetry.js";
import { OpenMetricsWindowWriter } from "./openmetrics.js";
import { RECORDED_TAIL_MS, RecordedSeries } from "./recorded.js";
import { sessionSeries } from "./series.js";
import { runTool } from "./tools.js";
import type { SimSession } from "../simulator/index.js";
import type { SeriesSample, SessionSeries } from "./series.js";
import { HOUR_MS, SessionCache, sessionsOverlapping, type Organisation } from "./workload.js";

/** Prometheus keeps the last 2-3 hours in its head: series alive in a 2 h block approximate active series. */
export const HEAD_BLOCK_MS = 2 * HOUR_MS;

export interface BackfillOptions {
  readonly org: Organisation;
  readonly startMs: number;
  readonly endMs: number;
  /** Block length; windows are aligned to it, as Prometheus aligns its blocks. */
  readonly windowMs: number;
  /** Prometheus data directory the blocks end up in. */
  readonly tsdbDir: string;
  /** Scratch space for the OpenMetrics files and promtool's output. */
  readonly workDir: string;
  /** Resource attributes the collector lifts onto data points (service.name + labelAttributes). */
  readonly liftKeys: readonly string[];
  /** promtool runs in flight while the next window is generated. */
  readonly parallel: number;
  /** Also write the recording rules' series, computed from the same samples (see recorded.ts). */
  readonly recorded: boolean;
  readonly onProgress?: (line: string) => void;
}

export interface BackfillStats {
  readonly sessions: number;
  readonly sessionHours: number;
  readonly series: number;
  readonly samples: number;
  /** Recorded series and samples written beside the raw ones (0 unless `recorded`). */
  readonly recordedSeries: number;
  readonly recordedSamples: number;
  readonly openMetricsBytes: number;
  readonly windows: number;
  readonly blocks: number;
  /** Series with samples in each 2 h head-block range: the busiest, and the mean over working hours. */
  readonly headSeriesMax: number;
  /** Start of the 2 h range with the most series (a busy time to evaluate the rules at). */
  readonly busiestHeadMs: number;
  readonly headSeriesMeanBusy: number;
  /** Time spent generating and writing text (including waits for a free promtool slot). */
  readonly generateMs: number;
  /** promtool run times, summed (runs overlap). */
  readonly promtoolMs: number;
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

/** Moves every block (a directory with meta.json) from `from` into the TSDB directory. */
export function moveBlocks(from: string, tsdbDir: string): number {
  let n = 0;
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const src = path.join(from, entry.name);
    try {
      statSync(path.join(src, "meta.json"));
    } catch {
      continue;
    }
    renameSync(src, path.join(tsdbDir, entry.name));
    n++;
  }
  return n;
}

export async function backfillRaw(o: BackfillOptions): Promise<BackfillStats> {
  const started = Date.now();
  mkdirSync(o.tsdbDir, { recursive: true });
  mkdirSync(o.workDir, { recursive: true });
  const cuts = windows(o.startMs, o.endMs, o.windowMs);
  const head = new Map<number, number>();
  let sessions = 0;
  let sessionMs = 0;
  let series = 0;
  let samples = 0;
  const recordedKeys = new Set<string>();
  let recordedSamples = 0;
  let bytes = 0;
  let generateMs = 0;
  let promtoolMs = 0;
  let blocks = 0;
  const inFlight = new Set<Promise<void>>();
  // Sessions and their series that reach into the next window are kept, not generated twice.
  const cache = new SessionCache(o.org);
  let seriesCache = new Map<SimSession, SessionSeries[]>();
  let failure: Error | undefined;

  for (const [i, w] of cuts.entries()) {
    const genStart = Date.now();
    const file = path.join(o.workDir, `window-${i}.om`);
    const writer = new OpenMetricsWindowWriter(file, w.fromMs, w.toMs, METRICS.tokens.prometheus);
    const recorded = o.recorded ? new RecordedSeries(w.fromMs, w.toMs) : undefined;
    // Sessions that ended shortly before the window still feed its recorded series.
    const tail = recorded ? RECORDED_TAIL_MS : 0;
    const nextSeries = new Map<SimSession, SessionSeries[]>();
    for (const session of sessionsOverlapping(o.org, w.fromMs - tail, w.toMs, cache)) {
      // Telemetry starts with the range: sessions begun earlier are not part of it.
      if (session.startMs < o.startMs) continue;
      const own = session.startMs >= w.fromMs; // counted once, in the window it starts in
      if (own) {
        sessions++;
        sessionMs += Math.min(session.endMs, o.endMs) - session.startMs;
      }
      const ofSession = seriesCache.get(session) ?? sessionSeries(session, o.liftKeys);
      if (session.endMs + tail >= w.toMs) nextSeries.set(session, ofSession);
      for (const s of ofSession) {
        await writer.add(s);
        recorded?.add(s);
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
    }
    for (const r of recorded?.series() ?? []) {
      await writer.add(r);
      recordedSamples += r.samples.length;
      recordedKeys.add(`${r.name}${JSON.stringify(r.labels)}`);
    }
    seriesCache = nextSeries;
    cache.forgetBefore(w.toMs - tail);
    const stats = await writer.finish();
    bytes += stats.bytes;
    generateMs += Date.now() - genStart;
    if (failure) throw failure;

    const out = path.join(o.workDir, `blocks-${i}`);
    const job = runTool("promtool", ["tsdb", "create-blocks-from", "openmetrics", "--quiet", `--max-block-duration=${o.windowMs / HOUR_MS}h`, file, out], 60 * 60_000)
      .then((r) => {
        promtoolMs += r.ms;
        blocks += moveBlocks(out, o.tsdbDir);
        o.onProgress?.(`window ${i + 1}/${cuts.length}: ${stats.samples} samples, ${(stats.bytes / 1e6).toFixed(0)} MB OpenMetrics, promtool ${(r.ms / 1000).toFixed(1)} s`);
      })
      .catch((e: Error) => void (failure ??= e))
      .finally(() => {
        rmSync(file, { force: true });
        rmSync(out, { recursive: true, force: true });
        inFlight.delete(job);
      });
    inFlight.add(job);
    while (inFlight.size >= o.parallel) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;

  const headCounts = [...head.values()];
  const max = Math.max(0, ...headCounts);
  const busiest = [...head.entries()].find(([, c]) => c === max)?.[0] ?? 0;
  // "Busy" blocks: those with at least a quarter of the peak, i.e. working hours somewhere.
  const busy = headCounts.filter((c) => c >= max / 4);
  return {
    sessions,
    sessionHours: sessionMs / HOUR_MS,
    series,
    samples,
    recordedSeries: recordedKeys.size,
    recordedSamples,
    openMetricsBytes: bytes,
    windows: cuts.length,
    blocks,
    headSeriesMax: max,
    busiestHeadMs: busiest * HEAD_BLOCK_MS,
    headSeriesMeanBusy: busy.length ? busy.reduce((a, b) => a + b, 0) / busy.length : 0,
    generateMs,
    promtoolMs,
    wallMs: Date.now() - started,
  };
}
