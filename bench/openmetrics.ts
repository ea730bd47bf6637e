// OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`: every family announced by a
// `# TYPE` line with all its samples together, counters named `<family>_total`, explicit timestamps
// in seconds, each series' samples in time order, and `# EOF` at the end.
//
// The writer streams: samples go to one file per family as they are produced, and the files are
// joined into the final document, so a window of any size never sits in memory.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, createWriteStream, openSync, rmSync, writeSync, type WriteStream } from "node:fs";
import path from "node:path";
import type { SeriesSample } from "./series.js";

/** What the writer needs of a series: counters are named `…_total`, anything else is a gauge. */
export interface WritableSeries {
  readonly name: string;
  readonly labels: readonly (readonly [string, string])[];
  readonly samples: readonly SeriesSample[];
}

/** Label value escaping of the text formats: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  if (!/[\\"\n]/.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export function formatLabels(labels: readonly (readonly [string, string])[]): string {
  return labels.length === 0 ? "" : `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

/** Seconds with exactly the milliseconds the sample has (no binary-float digits). */
export function formatTimestamp(ms: number): string {
  if (ms % 1000 === 0) return String(ms / 1000);
  if (!Number.isInteger(ms)) throw new Error(`timestamp must be whole milliseconds (got ${ms})`);
  const s = Math.floor(ms / 1000);
  const rest = ms - s * 1000;
  return rest === 0 ? String(s) : `${s}.${String(rest).padStart(3, "0")}`;
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** Counters end in `_total` (the OpenMetrics sample name of a counter family); recorded series are gauges. */
export function isCounter(name: string): boolean {
  return name.endsWith("_total");
}

/** The family a sample belongs to: a counter's name without `_total`, a gauge's own name. */
export function family(name: string): string {
  return isCounter(name) ? name.slice(0, -"_total".length) : name;
}

export function typeLine(name: string): string {
  return `# TYPE ${family(name)} ${isCounter(name) ? "counter" : "gauge"}\n`;
}

/** Sample lines of one series with timestamps in [fromMs, toMs). */
export function sampleLines(series: WritableSeries, fromMs = -Infinity, toMs = Infinity): { text: string; count: number } {
  const head = `${series.name}${formatLabels(series.labels)} `;
  let text = "";
  let count = 0;
  for (const s of series.samples) {
    if (s.t < fromMs || s.t >= toMs) continue;
    text += `${head}${formatValue(s.v)} ${formatTimestamp(s.t)}\n`;
    count++;
  }
  return { text, count };
}

/** A whole document, for small inputs (tests, examples). */
export function openMetricsText(series: readonly WritableSeries[]): string {
  const byName = new Map<string, WritableSeries[]>();
  for (const s of series) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  let out = "";
  for (const [name, list] of [...byName.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out += typeLine(name);
    for (const s of list) out += sampleLines(s).text;
  }
  return `${out}# EOF\n`;
}

export interface WindowFileStats {
  readonly file: string;
  readonly bytes: number;
  readonly samples: number;
  /** Series with at least one sample in the window. */
  readonly series: number;
}

const CHUNK_BYTES = 4 << 20;

interface Part {
  readonly stream: WriteStream;
  /** Temporary file of a family that is appended at the end; undefined for the one written in place. */
  readonly file?: string;
  buf: Buffer;
  pos: number;
}

/**
 * Writes the samples of one time window [fromMs, toMs) to an OpenMetrics file, family by family.
 * One family (the largest, e.g. tokens) goes straight into the file; the others go to temporary
 * files appended at the end.
 */
export class OpenMetricsWindowWriter {
  private readonly parts = new Map<string, Part>();
  private samples = 0;
  private series = 0;
  private bytes = 0;

  constructor(
    private readonly file: string,
    private readonly fromMs: number,
    private readonly toMs: number,
    private readonly inPlaceFamily?: string,
  ) {}

  async add(series: WritableSeries): Promise<void> {
    // One string per series, encoded once: cheaper than copying the name and labels per sample.
    let head: string | undefined;
    let text = "";
    let count = 0;
    let lastV = Number.NaN;
    let lastVText = "";
    for (const s of series.samples) {
      if (s.t < this.fromMs || s.t >= this.toMs) continue;
      head ??= `${series.name}${formatLabels(series.labels)} `;
      // Counters often keep their value from one export to the next.
      if (s.v !== lastV) {
        lastV = s.v;
        lastVText = formatValue(s.v);
      }
      text += `${head}${lastVText} ${formatTimestamp(s.t)}\n`;
      count++;
    }
    if (count === 0) return;
    this.series++;
    this.samples += count;
    const part = this.part(series.name);
    const need = Buffer.byteLength(text);
    if (part.pos + need > part.buf.length) await this.flush(part, need);
    part.pos += part.buf.write(text, part.pos, "utf8");
  }

  private part(name: string): Part {
    let part = this.parts.get(name);
    if (!part) {
      const inPlace = name === this.inPlaceFamily;
      const file = inPlace ? undefined : `${this.file}.${this.parts.size}.part`;
      const stream = createWriteStream(file ?? this.file);
      part = { stream, file, buf: Buffer.allocUnsafe(CHUNK_BYTES), pos: 0 };
      this.parts.set(name, part);
      // Each family's text starts with its `# TYPE` line, in place or in its part file.
      part.pos = part.buf.write(typeLine(name), 0, "utf8");
    }
    return part;
  }

  /** Hands the filled bytes to the file stream and starts a fresh buffer (the stream keeps the old one). */
  private async flush(part: Part, need = 0): Promise<void> {
    if (part.pos > 0) {
      this.bytes += part.pos;
      const ok = part.stream.write(part.buf.subarray(0, part.pos));
      part.buf = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, need));
      part.pos = 0;
      if (!ok) await once(part.stream, "drain");
    } else if (need > part.buf.length) {
      part.buf = Buffer.allocUnsafe(need);
    }
  }

  /** Appends the other families and `# EOF`, and removes the temporary files. */
  async finish(): Promise<WindowFileStats> {
    for (const part of this.parts.values()) {
      await this.flush(part);
      part.stream.end();
      await once(part.stream, "finish");
    }
    const inPlace = this.inPlaceFamily !== undefined && this.parts.has(this.inPlaceFamily);
    const files = [...this.parts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([, p]) => (p.file ? [p.file] : []));
    const fd = openSync(this.file, inPlace ? "a" : "w");
    try {
      // The kernel copies the parts (coreutils cat uses copy_file_range): no bytes through JavaScript.
      if (files.length > 0) await catInto(files, fd);
      writeSync(fd, "# EOF\n");
      this.bytes += 6;
    } finally {
      closeSync(fd);
      for (const f of files) rmSync(f, { force: true });
    }
    return { file: path.resolve(this.file), bytes: this.bytes, samples: this.samples, series: this.series };
  }
}

function catInto(files: readonly string[], fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("cat", ["--", ...files], { stdio: ["ignore", fd, "pipe"] });
    let err = "";
    child.stderr?.on("data", (c: Buffer) => (err += c.toString()));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve() : reject(new Error(`cat failed: ${err}`))));
  });
}
