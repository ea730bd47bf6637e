// What the busiest hours cost a live Prometheus in memory. Backfilled blocks are read from disk on
// demand; a running Prometheus keeps every series of the last 2-3 hours in its in-memory head, and
// that is what sizes its memory. The probe remote-writes the busiest 2 h of the generated series
// (in time order, as the backfill does; without the recorded ones) into a fresh, empty Prometheus
// and reads its own memory figures.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { RemoteWriteIngest } from "./remote-ingest.js";
import type { WritableSeries } from "./openmetrics.js";
import { selfMetric } from "./server.js";
import { startPrometheus } from "./tools.js";
import { sleep } from "../lib/poll.js";

export interface HeadProbe {
  readonly fromMs: number;
  readonly toMs: number;
  readonly headSeries: number;
  readonly samples: number;
  readonly ingestMs: number;
  /** Go heap in use and resident memory, before (empty) and after. */
  readonly heapBeforeBytes: number;
  readonly heapAfterBytes: number;
  readonly rssBeforeBytes: number;
  readonly rssAfterBytes: number;
}

/** `series`: every series with samples in [fromMs, toMs) (samples outside are left out). */
/**
 * Go heap in use: the least of a few readings a second apart, so garbage not yet collected (the
 * start-up's, the decoding's) weighs as little as it can in a small probe.
 */
async function settledHeap(url: string, readings: number): Promise<number> {
  let least = Infinity;
  for (let i = 0; i < readings; i++) {
    if (i > 0) await sleep(1000);
    least = Math.min(least, await selfMetric(url, "go_memstats_heap_inuse_bytes"));
  }
  return least;
}

export async function probeHead(series: Iterable<WritableSeries>, fromMs: number, toMs: number, workDir: string): Promise<HeadProbe> {
  const dir = path.join(workDir, "head-probe");
  mkdirSync(dir, { recursive: true });
  const config = path.join(dir, "prometheus.yml");
  writeFileSync(config, "global:\n  evaluation_interval: 1m\n");
  const server = await startPrometheus(
    [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, "data")}`, "--web.enable-remote-write-receiver", "--log.level=warn"],
    60 * 60_000,
  );
  try {
    await sleep(3000);
    const heapBeforeBytes = await settledHeap(server.url, 6);
    const rssBeforeBytes = await selfMetric(server.url, "process_resident_memory_bytes");
    const started = Date.now();
    // Every series alive in the range, sessions begun earlier included: that is what a live head holds.
    const ingest = new RemoteWriteIngest({ url: server.url, windowMs: toMs - fromMs, checkAppended: true });
    const window = ingest.open(0, fromMs, toMs);
    for (const s of series) window.add(s);
    await window.close();
    await ingest.finish();
    const ingestMs = Date.now() - started;
    await sleep(5000); // let the collector of the Go runtime catch up with the decoding garbage
    const heapAfterBytes = await settledHeap(server.url, 5);
    return {
      fromMs,
      toMs,
      headSeries: await selfMetric(server.url, "prometheus_tsdb_head_series"),
      samples: ingest.samples,
      ingestMs,
      heapBeforeBytes,
      heapAfterBytes,
      rssBeforeBytes,
      rssAfterBytes: await selfMetric(server.url, "process_resident_memory_bytes"),
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
