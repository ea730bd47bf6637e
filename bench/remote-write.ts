// A minimal Prometheus remote-write 1.0 client: the WriteRequest protobuf is encoded by hand straight
// into one buffer and wrapped in a snappy block made of one literal (valid snappy, just not smaller:
// on loopback the copy is cheaper than compressing), so no dependency is needed.
import type { SeriesSample } from "./series.js";

/** Bytes of `n` as a protobuf varint (n >= 0, up to 2^53). */
export function varintLength(n: number): number {
  let len = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 0x80)) len++;
  return len;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  let v = n;
  while (v >= 0x80) {
    buf[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[pos++] = v;
  return pos;
}

/** One `labels = 1` field of a TimeSeries: `Label { name = 1; value = 2 }`. */
function labelField(k: string, v: string): Buffer {
  const kb = Buffer.byteLength(k);
  const vb = Buffer.byteLength(v);
  const body = 1 + varintLength(kb) + kb + 1 + varintLength(vb) + vb;
  const out = Buffer.allocUnsafe(1 + varintLength(body) + body);
  out[0] = 0x0a;
  let p = writeVarint(out, 1, body);
  out[p++] = 0x0a;
  p = writeVarint(out, p, kb);
  p += out.write(k, p, "utf8");
  out[p++] = 0x12;
  p = writeVarint(out, p, vb);
  out.write(v, p, "utf8");
  return out;
}

const NAME = "__name__";
const nameFields = new Map<string, Buffer>();

/**
 * The `labels` fields of a `TimeSeries`, `__name__` among them in Prometheus' sorted order. Encoded
 * once per series and copied into every request that carries it. `pairs` may remember the field of
 * a label pair object, for series that share pair objects (those of one session).
 */
export function encodeLabels(name: string, labels: readonly (readonly [string, string])[], pairs?: Map<readonly [string, string], Buffer>): Buffer {
  let sorted = labels;
  for (let i = 1; i < labels.length; i++) {
    if ((labels[i - 1] as readonly [string, string])[0] > (labels[i] as readonly [string, string])[0]) {
      sorted = [...labels].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
      break;
    }
  }
  let nameField = nameFields.get(name);
  if (!nameField) nameFields.set(name, (nameField = labelField(NAME, name)));
  const fields: Buffer[] = [];
  let total = 0;
  let named = false;
  for (const pair of sorted) {
    if (!named && pair[0] > NAME) {
      fields.push(nameField);
      total += nameField.length;
      named = true;
    }
    let field = pairs?.get(pair);
    if (!field) {
      field = labelField(pair[0], pair[1]);
      pairs?.set(pair, field);
    }
    fields.push(field);
    total += field.length;
  }
  if (!named) {
    fields.push(nameField);
    total += nameField.length;
  }
  return Buffer.concat(fields, total);
}

/** Room before the protobuf for the snappy preamble: uncompressed length (<= 5 bytes) and literal tag (5). */
const PREAMBLE = 10;

/** `Sample { double value = 1; int64 timestamp = 2 }` inside its `samples = 2` field. */
function sampleFieldLength(t: number): number {
  return 2 + 9 + 1 + varintLength(t);
}

/**
 * Request buffers handed back once their request is answered and used again: fresh large buffers
 * each time would make V8 run full garbage collections for the external memory alone.
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  constructor(
    readonly size: number,
    private readonly keep = 64,
  ) {}

  take(): Buffer {
    const ab = this.free.pop();
    return ab ? Buffer.from(ab) : Buffer.allocUnsafeSlow(this.size);
  }

  /** Returns the memory under `b` to the pool (if it came from it): `b` must no longer be in use. */
  give(b: Uint8Array): void {
    if (b.buffer instanceof ArrayBuffer && b.buffer.byteLength === this.size && this.free.length < this.keep) this.free.push(b.buffer);
  }
}

/**
 * Builds one snappy-framed `WriteRequest { repeated TimeSeries timeseries = 1 }` in place: series
 * are appended as they come, and `finish()` returns the request body without another copy.
 */
export class WriteRequestBuilder {
  private buf: Buffer;
  private view: DataView;
  private pos = PREAMBLE;
  series = 0;
  samples = 0;

  /** `buffer`: memory to build in (grown by copying if a request outgrows it), or a capacity to allocate. */
  constructor(buffer: Buffer | number = 256 << 10) {
    // Its own memory, not Node's shared pool: the request body is handed over as a view of it.
    this.buf = typeof buffer === "number" ? Buffer.allocUnsafeSlow(PREAMBLE + buffer) : buffer;
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  /** Protobuf bytes so far. */
  get size(): number {
    return this.pos - PREAMBLE;
  }

  /** Appends one TimeSeries with `samples[from..to)` (time order, whole milliseconds). */
  add(labels: Buffer, samples: readonly SeriesSample[], from = 0, to = samples.length): void {
    if (to <= from) return;
    let body = labels.length;
    for (let i = from; i < to; i++) body += sampleFieldLength((samples[i] as SeriesSample).t);
    const need = 1 + varintLength(body) + body;
    if (this.pos + need > this.buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + need));
      this.buf.copy(bigger, 0, 0, this.pos);
      this.buf = bigger;
      this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.length);
    }
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x0a;
    p = writeVarint(b, p, body);
    p += labels.copy(b, p);
    for (let i = from; i < to; i++) {
      const s = samples[i] as SeriesSample;
      b[p++] = 0x12;
      b[p++] = 9 + 1 + varintLength(s.t);
      b[p++] = 0x09;
      this.view.setFloat64(p, s.v, true);
      p += 8;
      b[p++] = 0x10;
      p = writeVarint(b, p, s.t);
    }
    this.pos = p;
    this.series++;
    this.samples += to - from;
  }

  /** The request body: snappy block of one literal around the protobuf. */
  finish(): Buffer {
    const len = this.size;
    const head = varintLength(len) + (len === 0 ? 0 : 5);
    const start = PREAMBLE - head;
    let p = writeVarint(this.buf, start, len);
    if (len > 0) {
      this.buf[p++] = 63 << 2; // literal whose length-1 follows in 4 bytes
      this.buf.writeUInt32LE(len - 1, p);
    }
    return this.buf.subarray(start, this.pos);
  }
}

/** Sends one request body; throws with Prometheus' answer when it is refused. */
export async function remoteWrite(url: string, body: Buffer): Promise<void> {
  const res = await fetch(`${url}/api/v1/write`, {
    method: "POST",
    body: new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.length),
    headers: {
      "Content-Encoding": "snappy",
      "Content-Type": "application/x-protobuf",
      "X-Prometheus-Remote-Write-Version": "0.1.0",
    },
    signal: AbortSignal.timeout(300_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`remote write refused (${res.status}): ${text.slice(0, 500)}`);
}
