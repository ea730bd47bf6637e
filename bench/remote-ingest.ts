// Windows stored through Prometheus' own write path: the series are remote-written, in time order,
// into a running Prometheus, which cuts and compacts its blocks exactly as it does in production.
// Protobuf costs ~40 bytes per sample against ~600 of OpenMetrics text, and Prometheus ingests on
// its own cores while the next window is generated.
//
// Prometheus (no out-of-order window) refuses a sample older than its series' newest one, and any
// sample older than the newest sample it holds minus half its head block range (1 h by default,
// 9 h on the benchmark's ingest server). So:
// - each series always travels in the same lane (chosen by a hash of its labels), and a lane sends
//   one request at a time, in time order: a series' samples arrive in order;
// - the samples go in slices of 1/6 of the head block range, and a request of slice s starts only
//   once every request of slice s-3 and before has been answered: the samples in flight span at
//   most 3 slices, half the block range, so none is older than the newest one Prometheus can have
//   minus half the range.
// Lanes run side by side, so Prometheus appends on several cores.
import { blockDirs, type Ingest, type IngestTotals, type WindowWriter } from "./backfill.js";
import { BufferPool, encodeLabels, remoteWrite, WriteRequestBuilder } from "./remote-write.js";
import { selfMetric } from "./server.js";
import type { WritableSeries } from "./openmetrics.js";
import { firstAtOrAfter, type SeriesSample } from "./series.js";
import { HOUR_MS } from "./workload.js";

/** Slices per head block range; a slice may start while the two before it are still in flight. */
const SLICES_PER_BLOCK = 6;
const SLICES_IN_FLIGHT = 3;
const REQUEST_BYTES = 4 << 20;
/** Request buffers: a request is sent once it reaches REQUEST_BYTES, so one series rarely makes it grow. */
const BUFFER_BYTES = REQUEST_BYTES + (256 << 10);
/** Requests in flight at once, one per lane. */
const LANES = 3;
/** Encoded requests waiting to be sent before generation pauses. */
const MAX_QUEUED_BYTES = 256 << 20;

export interface RemoteIngestOptions {
  /** A Prometheus started with --web.enable-remote-write-receiver and an empty TSDB. */
  readonly url: string;
  /** Its TSDB directory (to count blocks at the end). */
  readonly tsdbDir?: string;
  /** Length of the generated windows (default 6 h; its encoded requests are held until it closes). */
  readonly windowMs?: number;
  /** The receiving Prometheus' head block range (--storage.tsdb.min-block-duration; default 2 h). */
  readonly headBlockMs?: number;
  /** Compare Prometheus' appended-samples counter with what was sent (needs a fresh Prometheus). */
  readonly checkAppended?: boolean;
}

interface Request {
  readonly slice: number;
  readonly lane: number;
  readonly body: Buffer;
  readonly samples: number;
}

/** FNV-1a of the encoded labels: the same series always gets the same lane. */
export function laneOf(labels: Buffer, lanes: number): number {
  // Every 5th byte from the end is plenty to spread series (and cheap): only the same labels must
  // get the same lane.
  let h = Math.imul(0x811c9dc5 ^ labels.length, 0x01000193);
  for (let i = labels.length - 1; i >= 0; i -= 5) h = Math.imul(h ^ (labels[i] as number), 0x01000193);
  return (h >>> 0) % lanes;
}

/**
 * One window's requests, encoded as the series arrive (so no series is kept for it, and the bytes
 * sit outside the JavaScript heap), per slice and lane, handed over in slice order at the end.
 */
class EncodedWindow {
  private readonly firstSlice: number;
  /** Per slice (from the window's first), per lane: the requests, the last one still filling. */
  private readonly slices: WriteRequestBuilder[][][] = [];
  /** Encoded label pairs; a session's series share most of theirs. */
  private readonly pairs = new Map<readonly [string, string], Buffer>();

  constructor(
    private readonly fromMs: number,
    private readonly toMs: number,
    private readonly sliceMs: number,
    private readonly pool: BufferPool,
  ) {
    this.firstSlice = Math.floor(fromMs / sliceMs);
  }

  add(s: WritableSeries): void {
    const n = s.samples.length;
    let i = firstAtOrAfter(s.samples, this.fromMs);
    if (i >= n || (s.samples[i] as SeriesSample).t >= this.toMs) return;
    const labels = encodeLabels(s.name, s.labels, this.pairs);
    const lane = laneOf(labels, LANES);
    while (i < n) {
      const t = (s.samples[i] as SeriesSample).t;
      if (t >= this.toMs) break;
      const slice = Math.floor(t / this.sliceMs);
      const end = Math.min(this.toMs, (slice + 1) * this.sliceMs);
      let j = i + 1;
      while (j < n && (s.samples[j] as SeriesSample).t < end) j++;
      const lanes = (this.slices[slice - this.firstSlice] ??= Array.from({ length: LANES }, () => []));
      const list = lanes[lane] as WriteRequestBuilder[];
      let req = list[list.length - 1];
      if (!req || req.size >= REQUEST_BYTES) list.push((req = new WriteRequestBuilder(this.pool.take())));
      req.add(labels, s.samples, i, j);
      i = j;
    }
  }

  /** [slice, lane, request] in slice order. */
  *requests(): Generator<[number, number, WriteRequestBuilder]> {
    for (const [k, lanes] of this.slices.entries()) {
      if (!lanes) continue;
      for (const [lane, list] of lanes.entries()) for (const req of list) yield [this.firstSlice + k, lane, req];
    }
  }
}

export class RemoteWriteIngest implements Ingest {
  readonly method = "remote-write";
  readonly windowMs: number;
  private readonly queues: Request[][] = Array.from({ length: LANES }, () => []);
  private readonly busy: boolean[] = new Array<boolean>(LANES).fill(false);
  private queuedBytes = 0;
  /** Requests queued or in flight, per slice. */
  private readonly outstanding = new Map<number, number>();
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private sentBytes = 0;
  private sentSamples = 0;
  private requests = 0;
  private storeMs = 0;

  private readonly sliceMs: number;
  private readonly pool = new BufferPool(BUFFER_BYTES);

  constructor(private readonly o: RemoteIngestOptions) {
    this.windowMs = o.windowMs ?? 6 * HOUR_MS;
    this.sliceMs = (o.headBlockMs ?? 2 * HOUR_MS) / SLICES_PER_BLOCK;
  }

  open(_index: number, fromMs: number, toMs: number): WindowWriter {
    const window = new EncodedWindow(fromMs, toMs, this.sliceMs, this.pool);
    return {
      add: (series) => window.add(series),
      close: async () => {
        for (const [slice, lane, req] of window.requests()) this.push(slice, lane, req);
        while (this.queuedBytes > MAX_QUEUED_BYTES && !this.failure) await this.waitForProgress();
        if (this.failure) throw this.failure;
      },
    };
  }

  private push(slice: number, lane: number, req: WriteRequestBuilder): void {
    const body = req.finish();
    (this.queues[lane] as Request[]).push({ slice, lane, body, samples: req.samples });
    this.queuedBytes += body.length;
    this.outstanding.set(slice, (this.outstanding.get(slice) ?? 0) + 1);
    this.pump();
  }

  private waitForProgress(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private oldestOutstandingSlice(): number {
    let oldest = Infinity;
    for (const slice of this.outstanding.keys()) oldest = Math.min(oldest, slice);
    return oldest;
  }

  /** Starts the next request of every idle lane that the slice order allows. */
  private pump(): void {
    if (this.failure) return;
    const oldest = this.oldestOutstandingSlice();
    for (const [lane, queue] of this.queues.entries()) {
      const next = queue[0];
      if (this.busy[lane] || !next || next.slice > oldest + SLICES_IN_FLIGHT - 1) continue;
      queue.shift();
      this.busy[lane] = true;
      const started = performance.now();
      remoteWrite(this.o.url, next.body)
        .then(() => {
          this.requests++;
          this.sentBytes += next.body.length;
          this.sentSamples += next.samples;
        })
        .catch((e: Error) => void (this.failure ??= e))
        .finally(() => {
          this.storeMs += performance.now() - started;
          this.pool.give(next.body);
          this.busy[lane] = false;
          this.queuedBytes -= next.body.length;
          const left = (this.outstanding.get(next.slice) ?? 1) - 1;
          if (left === 0) this.outstanding.delete(next.slice);
          else this.outstanding.set(next.slice, left);
          this.pump();
          const wake = this.wake;
          this.wake = undefined;
          wake?.();
        });
    }
  }

  async finish(): Promise<IngestTotals> {
    while (this.outstanding.size > 0 && !this.failure) await this.waitForProgress();
    if (this.failure) throw this.failure;
    if (this.o.checkAppended) {
      // Nothing silently lost: Prometheus must have appended every sample it acknowledged.
      const appended = await selfMetric(this.o.url, "prometheus_tsdb_head_samples_appended_total");
      if (appended !== this.sentSamples) throw new Error(`Prometheus appended ${appended} samples of the ${this.sentSamples} remote-written`);
    }
    const cpuSeconds = await selfMetric(this.o.url, "process_cpu_seconds_total");
    return {
      bytes: this.sentBytes,
      units: this.requests,
      blocks: this.o.tsdbDir ? blockDirs(this.o.tsdbDir).length : 0,
      storeMs: this.storeMs,
      storeCpuMs: cpuSeconds * 1000,
    };
  }

  /** Samples Prometheus acknowledged so far. */
  get samples(): number {
    return this.sentSamples;
  }
}
