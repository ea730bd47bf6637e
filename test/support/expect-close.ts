// Comparing sums of floating-point increments with what was sent: the same non-zero keys, each
// value equal to 6 decimal places.
import { expect } from "vitest";

export function expectClose(got: Record<string, number>, want: Readonly<Record<string, number>>, what: string): void {
  const keys = Object.keys(want).filter((k) => want[k] !== 0);
  expect(
    Object.keys(got)
      .filter((k) => got[k] !== 0)
      .sort(),
    what,
  ).toEqual(keys.sort());
  for (const k of keys) expect(got[k], `${what} ${k}`).toBeCloseTo(want[k] as number, 6);
}
