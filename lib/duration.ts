// Durations as Prometheus, Loki and Go write them: numbers with units, several in a row (1h30m).
// One parser; each caller names the syntax it takes (units, decimals, a bare number), so every
// command keeps accepting what it accepted and refusing what it refused. Pure: no I/O, so
// components/ may use it.

/** Length of each unit in milliseconds (a year is 365 days, as Prometheus counts it). */
const UNIT_MS = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 } as const;

export type DurationUnit = keyof typeof UNIT_MS;

export interface DurationSyntax {
  readonly units: readonly DurationUnit[];
  /** Decimal numbers such as 1.5h (Go); Prometheus takes whole numbers only. */
  readonly decimals?: boolean;
  /** One number and unit only: no 1h30m. */
  readonly single?: boolean;
  /** The unit of a number written without one; without it a unit is required. */
  readonly bareUnit?: DurationUnit;
}

/** Prometheus' own durations (rule intervals, offsets, ranges): whole numbers, units ms to y. */
export const PROMETHEUS_DURATION: DurationSyntax = { units: ["ms", "s", "m", "h", "d", "w", "y"] };

/** Go's durations as the Docker provider passes them on (health check timings): decimals, units ns to h. */
export const GO_DURATION: DurationSyntax = { units: ["ns", "us", "ms", "s", "m", "h"], decimals: true };

/** Milliseconds of `text` in `syntax` (not rounded), or undefined when it is not such a duration. */
export function parseDuration(text: string, syntax: DurationSyntax): number | undefined {
  const number = syntax.decimals ? String.raw`\d+(?:\.\d+)?` : String.raw`\d+`;
  if (syntax.bareUnit && new RegExp(`^${number}$`).test(text)) return Number(text) * UNIT_MS[syntax.bareUnit];
  // Longer units first, so 5ms reads as milliseconds, never as 5m followed by a stray s.
  const units = [...syntax.units].sort((a, b) => b.length - a.length).join("|");
  const term = `(${number})(${units})`;
  if (!new RegExp(syntax.single ? `^${term}$` : `^(?:${term})+$`).test(text)) return undefined;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(new RegExp(term, "g"))) ms += Number(n) * UNIT_MS[unit as DurationUnit];
  return ms;
}

/** Milliseconds of a Prometheus duration such as `1m30s`; throws on anything else. */
export function durationMs(text: string): number {
  const ms = parseDuration(text, PROMETHEUS_DURATION);
  if (ms === undefined) {
    throw new Error(`not a Prometheus duration: ${text} (whole numbers with units ${PROMETHEUS_DURATION.units.join(", ")}, e.g. 90s or 1h30m)`);
  }
  return ms;
}
