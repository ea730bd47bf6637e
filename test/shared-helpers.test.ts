// lib/duration.ts and lib/poll.ts: the one duration parser in each syntax its callers use (what each
// accepted before it was shared stays accepted, what each refused stays refused), and the poll loop.
import { describe, expect, it } from "vitest";
import { GO_DURATION, PROMETHEUS_DURATION, durationMs, parseDuration, type DurationSyntax } from "../lib/duration.js";
import { lastMiss, poll } from "../lib/poll.js";

// Shaped like simulate's duration flags and verify's --timeout.
const DECIMAL: DurationSyntax = { units: ["ms", "s", "m", "h"], decimals: true };
const ONE_TERM: DurationSyntax = { units: ["ms", "s", "m"], single: true, bareUnit: "s" };

describe("durations", () => {
  it("reads Prometheus durations: whole numbers, units ms to y, several in a row", () => {
    expect(parseDuration("1m30s", PROMETHEUS_DURATION)).toBe(90_000);
    expect(parseDuration("5ms", PROMETHEUS_DURATION)).toBe(5);
    expect(parseDuration("1y2w3d", PROMETHEUS_DURATION)).toBe(31_536_000_000 + 2 * 604_800_000 + 3 * 86_400_000);
    for (const bad of ["", "1.5h", "5", "5 minutes", " 5m", "1h-", "m"]) expect(parseDuration(bad, PROMETHEUS_DURATION), bad).toBeUndefined();
    expect(() => durationMs("1.5h")).toThrow(/not a Prometheus duration: 1\.5h \(whole numbers with units ms, s, m, h, d, w, y/);
  });

  it("reads Go durations with decimals and units ns to h, refusing days", () => {
    expect(parseDuration("1.5s", GO_DURATION)).toBe(1500);
    expect(Math.round((parseDuration("250us", GO_DURATION) as number) * 1e6)).toBe(250_000);
    expect(Math.round((parseDuration("7ns", GO_DURATION) as number) * 1e6)).toBe(7);
    for (const bad of ["1d", "10 seconds", ".5s", "5"]) expect(parseDuration(bad, GO_DURATION), bad).toBeUndefined();
  });

  it("reads the syntaxes the commands' flags name: decimals, one term only, a bare number in seconds", () => {
    expect(parseDuration("1.5m", DECIMAL)).toBe(90_000);
    expect(parseDuration("1h30m", DECIMAL)).toBe(5_400_000);
    expect(parseDuration("1d", DECIMAL)).toBeUndefined();
    expect(parseDuration("180", ONE_TERM)).toBe(180_000);
    expect(parseDuration("3m", ONE_TERM)).toBe(180_000);
    expect(parseDuration("500ms", ONE_TERM)).toBe(500);
    for (const bad of ["1m30s", "1h", "1.5", "3m "]) expect(parseDuration(bad, ONE_TERM), bad).toBeUndefined();
  });
});

describe("poll", () => {
  it("stops once an attempt is done, counting thrown errors as misses", async () => {
    let n = 0;
    const misses: string[] = [];
    const result = await poll(
      () => {
        n++;
        if (n === 1) throw new Error("not listening");
        return n < 3 ? { done: false, seen: `try ${n}` } : { done: true, value: n };
      },
      { deadlineMs: Date.now() + 5000, intervalMs: 1, onMiss: (m) => misses.push(lastMiss(m)) },
    );
    expect(result).toEqual({ done: true, value: 3 });
    expect(misses).toEqual(["not listening", "try 2"]);
  });

  it("makes one attempt at least and none that would start after the deadline", async () => {
    let n = 0;
    const result = await poll(() => ({ done: false, seen: ++n }), { deadlineMs: Date.now(), intervalMs: 50 });
    expect(result).toEqual({ done: false, seen: 1 });
  });

  it("ends with the error of an attempt when asked to", async () => {
    await expect(poll(() => Promise.reject(new Error("gone")), { deadlineMs: Date.now() + 5000, intervalMs: 1, errors: "throw" })).rejects.toThrow("gone");
  });
});
