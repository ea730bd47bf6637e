// A minimal Prometheus remote-write 1.0 client: WriteRequest protobuf encoded by hand and wrapped in
// a snappy block made of one literal (valid snappy, just not smaller), so no dependency is needed.
// Used to fill a live Prometheus' head with the busiest hours of the generated series and measure
// what they cost in memory, which backfilled blocks do not show.
import type { SeriesSample } from "./series.js";

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** Appends protobuf fields to a growing byte list. */
class ProtoWriter {
  private chunks: Buffer[] = [];
  length = 0;

  raw(b: Buffer): this {
    this.chunks.push(b);
    this.length += b.length;
    return this;
  }

  bytesField(field: number, b: Buffer): this {
    return this.raw(Buffer.from([...varint((field << 3) | 2), ...varint(b.length)])).raw(b);
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

/** `Label { name = 1; value = 2 }` for each label, `__name__` first as Prometheus sorts them. */
export function encodeLabels(name: string, labels: readonly (readonly [string, string])[]): Buffer {
  const all: (readonly [string, string])[] = [["__name__", name] as const, ...labels];
  all.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const w = new ProtoWriter();
  for (const [k, v] of all) w.bytesField(1, new ProtoWriter().bytesField(1, Buffer.from(k)).bytesField(2, Buffer.from(v)).finish());
  return w.finish();
}

/** `Sample { double value = 1; int64 timestamp = 2 }`. */
export function encodeSample(s: SeriesSample): Buffer {
  const b = Buffer.alloc(9);
  b[0] = 0x09;
  b.writeDoubleLE(s.v, 1);
  return Buffer.concat([b, Buffer.from([0x10, ...varint(s.t)])]);
}

/** `TimeSeries { labels = 1; samples = 2 }` from labels already encoded by encodeLabels. */
export function encodeTimeSeries(encodedLabels: Buffer, samples: readonly SeriesSample[]): Buffer {
  const w = new ProtoWriter().raw(encodedLabels);
  for (const s of samples) w.bytesField(2, encodeSample(s));
  return w.finish();
}

/** `WriteRequest { timeseries = 1 }`. */
export function encodeWriteRequest(series: readonly Buffer[]): Buffer {
  const w = new ProtoWriter();
  for (const s of series) w.bytesField(1, s);
  return w.finish();
}

/** Snappy block format: the uncompressed length, then the data as one literal element. */
export function snappyLiteral(data: Buffer): Buffer {
  if (data.length === 0) return Buffer.from([0]);
  const header = Buffer.alloc(5);
  header[0] = 63 << 2; // literal, length-1 in the next 4 bytes
  header.writeUInt32LE(data.length - 1, 1);
  return Buffer.concat([Buffer.from(varint(data.length)), header, data]);
}

/** Sends one WriteRequest; throws with Prometheus' answer when it is refused. */
export async function remoteWrite(url: string, series: readonly Buffer[]): Promise<void> {
  const body = new Uint8Array(snappyLiteral(encodeWriteRequest(series)));
  const res = await fetch(`${url}/api/v1/write`, {
    method: "POST",
    body,
    headers: {
      "Content-Encoding": "snappy",
      "Content-Type": "application/x-protobuf",
      "X-Prometheus-Remote-Write-Version": "0.1.0",
    },
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`remote write refused (${res.status}): ${text.slice(0, 500)}`);
}
