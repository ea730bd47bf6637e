// Windows stored by `promtool tsdb create-blocks-from openmetrics`: one OpenMetrics file per
// block-aligned window, written while promtool ingests the previous ones, deleted once its block
// exists. promtool reads its input once per block range and keeps a block's series in memory, so a
// window is one block; the text is ~600 bytes per sample, which makes this path slow at scale.
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { METRICS } from "../components/claude/telemetry.js";
import { moveBlocks, type Ingest, type IngestTotals, type WindowWriter } from "./backfill.js";
import { OpenMetricsWindowWriter } from "./openmetrics.js";
import { runToolOk } from "../lib/tool-runner.js";
import { HOUR_MS } from "./workload.js";

export interface PromtoolIngestOptions {
  /** Block length; windows are aligned to it, as Prometheus aligns its blocks. */
  readonly windowMs: number;
  /** Prometheus data directory the blocks end up in. */
  readonly tsdbDir: string;
  /** Scratch space for the OpenMetrics files and promtool's output. */
  readonly workDir: string;
  /** promtool runs in flight while the next window is generated. */
  readonly parallel: number;
  readonly onProgress?: (line: string) => void;
}

export class PromtoolIngest implements Ingest {
  readonly method = "promtool";
  readonly windowMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: Error | undefined;
  private bytes = 0;
  private runs = 0;
  private blocks = 0;
  private storeMs = 0;

  constructor(private readonly o: PromtoolIngestOptions) {
    this.windowMs = o.windowMs;
    mkdirSync(o.tsdbDir, { recursive: true });
    mkdirSync(o.workDir, { recursive: true });
  }

  open(index: number, fromMs: number, toMs: number): WindowWriter {
    const file = path.join(this.o.workDir, `window-${index}.om`);
    const writer = new OpenMetricsWindowWriter(file, fromMs, toMs, METRICS.tokens.prometheus);
    return { add: (s) => writer.add(s), close: async () => this.store(index, file, await writer.finish()) };
  }

  private async store(index: number, file: string, stats: { bytes: number; samples: number }): Promise<void> {
    this.bytes += stats.bytes;
    if (this.failure) throw this.failure;
    const out = path.join(this.o.workDir, `blocks-${index}`);
    const args = ["tsdb", "create-blocks-from", "openmetrics", "--quiet", `--max-block-duration=${this.windowMs / HOUR_MS}h`, file, out];
    const job = runToolOk("promtool", args, { timeoutMs: 60 * 60_000 })
      .then((r) => {
        this.runs++;
        this.storeMs += r.ms;
        this.blocks += moveBlocks(out, this.o.tsdbDir);
        this.o.onProgress?.(
          `window ${index + 1}: ${stats.samples} samples, ${(stats.bytes / 1e6).toFixed(0)} MB OpenMetrics, promtool ${(r.ms / 1000).toFixed(1)} s`,
        );
      })
      .catch((e: Error) => void (this.failure ??= e))
      .finally(() => {
        rmSync(file, { force: true });
        rmSync(out, { recursive: true, force: true });
        this.inFlight.delete(job);
      });
    this.inFlight.add(job);
    while (this.inFlight.size >= this.o.parallel) await Promise.race(this.inFlight);
  }

  async finish(): Promise<IngestTotals> {
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
    return { bytes: this.bytes, units: this.runs, blocks: this.blocks, storeMs: this.storeMs };
  }
}
