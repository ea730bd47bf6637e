// Command-line flags of `npm run bench`, parsed without side effects.
import { parseArgs } from "node:util";
import { UsageError } from "../lib/cli.js";
import { DESIGNS, type Design } from "./backfill.js";

export const RULES_MODES = ["direct", "promtool", "none"] as const;
export type RulesMode = (typeof RULES_MODES)[number];

export const INGEST_METHODS = ["remote-write", "promtool"] as const;
export type IngestMethod = (typeof INGEST_METHODS)[number];

export const DESIGN_CHOICES = [...DESIGNS, "both"] as const;
export type DesignChoice = (typeof DESIGN_CHOICES)[number];

/** One design measured at one size. */
export interface DesignRun {
  readonly design: Design;
  readonly users: number;
  readonly days: number;
  readonly blockHours: number;
}

export interface BenchOptions {
  readonly help: boolean;
  /** The designs measured, in order, each at its size. */
  readonly runs: readonly DesignRun[];
  /** Size of the new design's run (or of the only run). */
  readonly users: number;
  readonly days: number;
  readonly seed: number;
  /** Measure queries on a TSDB a previous run kept (needs --keep). */
  readonly queriesOnly: boolean;
  /** Keep the TSDB (and the results) in this directory instead of a temporary one. */
  readonly keep?: string;
  readonly json: boolean;
  /** Timed runs per query (after one warm-up run). */
  readonly reps: number;
  /** How the generated series get into the TSDB: remote-written into a running Prometheus, or promtool. */
  readonly ingest: IngestMethod;
  /**
   * With promtool: length of the windows backfilled one at a time, in hours (a Prometheus block
   * range: 2, 6 or 18). Prometheus compacts shorter blocks into 18 h ones, as a 15d-retention server does.
   */
  readonly blockHours: number;
  /** Child processes working side by side (promtool runs). */
  readonly parallel: number;
  /**
   * How the recording rules' series get into the TSDB: computed beside the raw samples (`direct`,
   * fast), replayed by `promtool tsdb create-blocks-from rules` (`promtool`, slow), or not at all.
   */
  readonly rules: RulesMode;
  /** Remote-write the busiest 2 h into an empty Prometheus to measure head memory. */
  readonly headProbe: boolean;
}

export const USAGE = `Load benchmark: Claude Code-shaped series for many developers, written into a real
Prometheus; measures series, samples, disk use, memory and dashboard query latency.

Usage: npm run bench -- [options]

  --design D        new (the series the collector writes now: per-person sums of delta exports),
                    legacy (the per-session cumulative series and their recording rules) or both
                    (default: new at --users x --days, then legacy at --legacy-users x --legacy-days)
  --users N         developers (default 1000)
  --days D          days of telemetry, ending now (default 7)
  --legacy-users N  developers of the legacy run with --design both (default 1000); with
                    --design legacy, --users applies unless this is given
  --legacy-days D   days of the legacy run with --design both (default 7); likewise
  --seed N          PRNG seed (default 42)
  --reps N          timed runs per query and per whole-dashboard load, after one warm-up
                    (default 3; fewer for a query once its runs take 3 s in all; rule
                    evaluations get half as many, at least one)
  --ingest METHOD   how the series reach the TSDB: remote-write (default: pushed in time order
                    into a running Prometheus, which cuts and compacts its own blocks) or
                    promtool (promtool tsdb create-blocks-from openmetrics; several times slower)
  --block-hours H   with --ingest promtool: hours of data per promtool run: 2, 6 or 18 (default: 18 up to
                    1,250 developers, then 6, then 2, so one window's text stays near 4 GB);
                    Prometheus compacts the blocks to 18 h, as a 15d-retention server does
  --parallel N      promtool processes side by side (default 2)
  --rules MODE      how the recording rules' series are backfilled: direct (default: computed
                    from the generated samples as Prometheus evaluates the rules, written with
                    them), promtool (promtool tsdb create-blocks-from rules: the same series,
                    much slower) or none (raw-metric queries only)
  --no-head-probe   skip remote-writing the busiest 2 h into an empty Prometheus (the measure of
                    a live Prometheus' memory per series)
  --keep DIR        keep the TSDBs and results in DIR/<design> (default: a temporary folder, removed)
  --queries-only    only measure queries, on the TSDB a previous run left in --keep DIR
  --json            print the results as JSON on stdout (progress goes to stderr)
  -h, --help        show this help`;

/** About 0.2 MB of OpenMetrics text per developer and hour at the busiest time: keep a window near 4 GB. */
export function defaultBlockHours(users: number): number {
  return [18, 6, 2].find((h) => users * h * 0.2 <= 4500) ?? 2;
}

function positiveInt(flag: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} must be an integer >= ${min} (got "${raw}")`);
  return n;
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: "boolean", short: "h" },
        design: { type: "string" },
        users: { type: "string" },
        days: { type: "string" },
        "legacy-users": { type: "string" },
        "legacy-days": { type: "string" },
        seed: { type: "string" },
        reps: { type: "string" },
        ingest: { type: "string" },
        "block-hours": { type: "string" },
        parallel: { type: "string" },
        rules: { type: "string" },
        "no-head-probe": { type: "boolean" },
        keep: { type: "string" },
        "queries-only": { type: "boolean" },
        json: { type: "boolean" },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  const users = positiveInt("users", v.users, 1000);
  const days = positiveInt("days", v.days, 7);
  const design = (v.design ?? "both") as DesignChoice;
  if (!DESIGN_CHOICES.includes(design)) throw new UsageError(`--design must be one of ${DESIGN_CHOICES.join(", ")} (got "${v.design}")`);
  const blockHoursOf = (n: number) => positiveInt("block-hours", v["block-hours"], defaultBlockHours(n));
  const blockHours = blockHoursOf(users);
  if (![2, 6, 18].includes(blockHours)) throw new UsageError(`--block-hours must be 2, 6 or 18 (got ${blockHours})`);
  const alone = design === "legacy";
  const legacyUsers = positiveInt("legacy-users", v["legacy-users"], alone ? users : 1000);
  const legacyDays = positiveInt("legacy-days", v["legacy-days"], alone ? days : 7);
  if (design === "new" && (v["legacy-users"] !== undefined || v["legacy-days"] !== undefined))
    throw new UsageError("--legacy-users and --legacy-days apply to --design legacy or both only");
  const runs: DesignRun[] = [];
  if (design !== "legacy") runs.push({ design: "new", users, days, blockHours });
  if (design !== "new") runs.push({ design: "legacy", users: legacyUsers, days: legacyDays, blockHours: blockHoursOf(legacyUsers) });
  const rules = (v.rules ?? "direct") as RulesMode;
  if (!RULES_MODES.includes(rules)) throw new UsageError(`--rules must be one of ${RULES_MODES.join(", ")} (got "${v.rules}")`);
  const ingest = (v.ingest ?? "remote-write") as IngestMethod;
  if (!INGEST_METHODS.includes(ingest)) throw new UsageError(`--ingest must be one of ${INGEST_METHODS.join(", ")} (got "${v.ingest}")`);
  if (v["block-hours"] !== undefined && ingest !== "promtool") throw new UsageError("--block-hours applies to --ingest promtool only");
  const queriesOnly = v["queries-only"] === true;
  if (queriesOnly && !v.keep) throw new UsageError("--queries-only needs --keep DIR (the folder of an earlier run)");
  return {
    help: v.help === true,
    runs,
    users,
    days,
    seed: positiveInt("seed", v.seed, 42, 0),
    reps: positiveInt("reps", v.reps, 3),
    ingest,
    blockHours,
    parallel: positiveInt("parallel", v.parallel, 2),
    rules,
    headProbe: v["no-head-probe"] !== true,
    keep: v.keep,
    queriesOnly,
    json: v.json === true,
  };
}
