// A small seeded PRNG (sfc32, seeded through a string hash) with the helpers the model needs.
// Everything random in the simulator comes from here, so one seed reproduces a whole run.

/** 32-bit string hash (cyrb-style) used to turn a seed plus a label into PRNG state. */
function hash32(text: string, salt: number): number {
  let h = 0x9e3779b9 ^ salt;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x85ebca6b);
    h = (h << 13) | (h >>> 19);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

const HEX = "0123456789abcdef";
const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `seed` and `label` together pick the stream: `fork` derives independent streams by label. */
  constructor(
    private readonly seed: number,
    private readonly label = "",
  ) {
    const key = `${seed}/${label}`;
    this.a = hash32(key, 1);
    this.b = hash32(key, 2);
    this.c = hash32(key, 3);
    this.d = hash32(key, 4);
    // Discard the first outputs: sfc32 needs a few rounds to mix a fresh state.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** An independent stream: the same (seed, label) always gives the same numbers. */
  fork(label: string): Random {
    return new Random(this.seed, this.label === "" ? label : `${this.label}/${label}`);
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Float in [min, max). */
  float(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Pick by weight: `[[value, weight], …]`. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [value, weight] of choices) {
      r -= weight;
      if (r < 0) return value;
    }
    const last = choices[choices.length - 1];
    if (!last) throw new Error("weighted pick from an empty list");
    return last[0];
  }

  /** Log-normally spread integer around `median`, clamped to [min, max]: usage data is skewed. */
  skewed(median: number, spread: number, min: number, max: number): number {
    // Box-Muller for a standard normal draw.
    const u = 1 - this.next();
    const v = this.next();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    const value = Math.round(median * Math.exp(spread * z));
    return Math.min(max, Math.max(min, value));
  }

  hex(length: number): string {
    let s = "";
    for (let i = 0; i < length; i++) s += HEX[Math.floor(this.next() * 16)];
    return s;
  }

  base58(length: number): string {
    let s = "";
    for (let i = 0; i < length; i++) s += BASE58[Math.floor(this.next() * BASE58.length)];
    return s;
  }

  /** A random (version 4 layout) UUID. */
  uuid(): string {
    const h = this.hex(32);
    const variant = HEX[8 + Math.floor(this.next() * 4)];
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}
