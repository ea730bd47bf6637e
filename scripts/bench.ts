// `npm run bench -- --users 1000 --days 7`: Claude Code-shaped telemetry for many developers, as the
// project's pipeline writes it (per-person sums of the clients' delta exports, and the two recording
// rules' series) and, in the same run, as the previous per-session design wrote it (per-session
// cumulative series and their per-minute recording rules), each remote-written in time order into a
// real Prometheus (or backfilled with promtool), then every dashboard query timed against it.
// Prints figures; asserts nothing. --help for flags.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import path from "node:path";
import { parseSettings } from "../components/settings.js";
import { liftedKeys } from "../components/collector-config.js";
import { backfillRaw, dirBytes, usageWindowSeries, type BackfillOptions, type BackfillStats, type Design } from "../bench/backfill.js";
import { measureDashboardLoads, measureQueries, type DashboardLoad, type QueryResult } from "../bench/measure.js";
import { parseBenchArgs, USAGE, type BenchOptions, type DesignRun, type RulesMode } from "../bench/options.js";
import { designDashboardQueries, graphStepMs, promDuration, ruleQueries, type BenchQuery } from "../bench/queries.js";
import { formatComparison, formatProblems, formatReport, type BenchResult } from "../bench/report.js";
import { probeHead, type HeadProbe } from "../bench/head-probe.js";
import { PromtoolIngest } from "../bench/promtool-ingest.js";
import { RemoteWriteIngest } from "../bench/remote-ingest.js";
import { designRulesFile } from "../bench/rules.js";
import { sessionSeries } from "../bench/series.js";
import {
  backfillRules,
  PRODUCTION_BLOCK_HOURS,
  selfMetric,
  INGEST_BLOCK_HOURS,
  startIngestServer,
  startQueryServer,
  waitForCompaction,
  type RulesBackfillStats,
} from "../bench/server.js";
import { requireBenchTools } from "../bench/tools.js";
import { usagePipeline } from "../bench/usage.js";
import { exitWithMessage, helpHint, UsageError } from "../lib/cli.js";
import { runToolOk } from "../lib/tool-runner.js";
import { MissingToolError } from "../lib/tools.js";
import { buildOrganisation, DAY_MS, MINUTE_MS, sessionsOverlapping, USAGE_PROFILE, type Organisation } from "../bench/workload.js";

/** What a run keeps beside its TSDB, so --queries-only can measure again later. */
interface Meta {
  design: Design;
  options: BenchResult["options"];
  rules: RulesMode;
  startMs: number;
  endMs: number;
  workload: BackfillStats;
  rulesBackfill?: RulesBackfillStats;
  backfilledBytes: number;
  /** Time the ingest server took to finish compacting once the last sample was in. */
  settleMs?: number;
  head?: HeadProbe;
}

/** Timed runs of one query stop once they add up to this much (at least one stays). */
const QUERY_BUDGET_MS = 3_000;

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

function parse(): BenchOptions {
  try {
    return parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) exitWithMessage("bench", `${e.message}\n${helpHint("bench")}`);
    throw e;
  }
}

/** Whether any two blocks overlap in time (raw and recorded blocks do until Prometheus merges them). */
function hasOverlappingBlocks(tsdbDir: string): boolean {
  const ranges: [number, number][] = [];
  for (const e of readdirSync(tsdbDir, { withFileTypes: true })) {
    const meta = path.join(tsdbDir, e.name, "meta.json");
    if (!e.isDirectory() || !existsSync(meta)) continue;
    const m = JSON.parse(readFileSync(meta, "utf8")) as { minTime: number; maxTime: number };
    ranges.push([m.minTime, m.maxTime]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  return ranges.some((r, i) => i > 0 && r[0] < (ranges[i - 1] as [number, number])[1]);
}

/** The stack's default settings: what the collector the series model runs with. */
const SETTINGS = parseSettings({ target: "docker" }, "bench");

const liftKeys = () => liftedKeys(SETTINGS.collector.labelAttributes);

/** Every series of a design with samples in [fromMs, toMs) (samples outside are clipped by the writer). */
function* seriesIn(design: Design, org: Organisation, fromMs: number, toMs: number, startMs: number) {
  // Sessions that started before the measured range are left out, as the backfills leave them out.
  if (design === "new") yield* usageWindowSeries(org, fromMs, toMs, usagePipeline(SETTINGS), { startMs });
  else for (const session of sessionsOverlapping(org, fromMs, toMs)) if (session.startMs >= startMs) yield* sessionSeries(session, liftKeys());
}

/** The busiest 2 h remote-written into an empty Prometheus: what a live one needs in memory. */
async function headProbe(meta: Meta, workDir: string): Promise<HeadProbe> {
  const org = buildOrganisation({ seed: meta.options.seed, users: meta.options.users });
  const from = Math.max(meta.startMs, Math.min(meta.workload.busiestHeadMs, meta.endMs - 2 * 3_600_000));
  log(`${meta.design}: remote-writing the busiest 2 h (${new Date(from).toISOString()}) into an empty Prometheus to measure its head`);
  return probeHead(seriesIn(meta.design, org, from, from + 2 * 3_600_000, meta.startMs), from, from + 2 * 3_600_000, workDir);
}

async function prepare(o: BenchOptions, run: DesignRun, base: string, tsdbDir: string, workDir: string): Promise<Meta> {
  const metaFile = path.join(base, "bench-meta.json");
  const save = (m: Meta) => writeFileSync(metaFile, JSON.stringify(m, null, 2));
  if (o.queriesOnly) {
    if (!existsSync(metaFile) || !existsSync(tsdbDir)) throw new UsageError(`no earlier run in ${base} (expected bench-meta.json and tsdb/)`);
    const meta = JSON.parse(readFileSync(metaFile, "utf8")) as Meta;
    if (meta.design !== run.design) throw new UsageError(`${base} holds a run of the ${meta.design} design, not ${run.design}`);
    if (o.headProbe && !meta.head) {
      meta.head = await headProbe(meta, workDir);
      save(meta);
    }
    return meta;
  }
  if (existsSync(tsdbDir) && readdirSync(tsdbDir).length > 0)
    throw new UsageError(`${tsdbDir} already holds a TSDB: use --queries-only, or another --keep folder`);
  const endMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const startMs = endMs - run.days * DAY_MS;
  const org = buildOrganisation({ seed: o.seed, users: run.users });
  const server = { tsdbDir, workDir, days: run.days };
  const say = (line: string) => log(`${run.design}: ${line}`);
  const backfill: BackfillOptions = {
    org,
    startMs,
    endMs,
    liftKeys: liftKeys(),
    recorded: o.rules === "direct",
    ...(run.design === "new" ? { usage: usagePipeline(SETTINGS) } : {}),
    onProgress: say,
  };
  let workload: BackfillStats;
  let settleMs = 0;
  if (o.ingest === "promtool") {
    say(`generating ${run.users} developers x ${run.days} days and backfilling with promtool (${run.blockHours}h blocks)`);
    workload = await backfillRaw(
      backfill,
      new PromtoolIngest({ windowMs: run.blockHours * 3_600_000, tsdbDir, workDir, parallel: o.parallel, onProgress: say }),
    );
  } else {
    say(`generating ${run.users} developers x ${run.days} days and remote-writing them into Prometheus in time order`);
    const ingestServer = await startIngestServer(server);
    try {
      const ingest = new RemoteWriteIngest({ url: ingestServer.url, tsdbDir, headBlockMs: INGEST_BLOCK_HOURS * 3_600_000, checkAppended: true });
      workload = await backfillRaw(backfill, ingest);
      // Let it finish compacting before it stops (it would start over in the query server).
      settleMs = await waitForCompaction(ingestServer.url, 30 * 60_000, false);
    } finally {
      await ingestServer.stop();
    }
  }
  const backfilledBytes = dirBytes(tsdbDir);
  say(`TSDB: ${workload.series} series, ${workload.samples} samples, ${workload.recordedSamples} recorded samples, ${backfilledBytes} bytes`);
  const rulesBackfill = o.rules === "promtool" ? await backfillRules(server, startMs, endMs, o.parallel, say, designRulesFile(run.design)) : undefined;
  const meta: Meta = {
    design: run.design,
    options: { users: run.users, days: run.days, seed: o.seed, ingest: o.ingest, blockHours: run.blockHours },
    rules: o.rules,
    startMs,
    endMs,
    workload,
    rulesBackfill,
    backfilledBytes,
    settleMs,
  };
  if (o.headProbe) meta.head = await headProbe(meta, workDir);
  save(meta);
  return meta;
}

/** One design: generate and store (or reuse a kept TSDB), then time every query against it. */
async function measure(o: BenchOptions, run: DesignRun, base: string): Promise<BenchResult> {
  const started = Date.now();
  mkdirSync(base, { recursive: true });
  const tsdbDir = path.join(base, "tsdb");
  const workDir = path.join(base, "work");
  const say = (line: string) => log(`${run.design}: ${line}`);
  try {
    const meta = await prepare(o, run, base, tsdbDir, workDir);
    const opts = meta.options;
    const version = (await runToolOk("prometheus", ["--version"], { timeoutMs: 30_000 })).stdout.split("\n")[0] ?? "prometheus";
    const org = buildOrganisation({ seed: opts.seed, users: opts.users });
    const person = org.people.find((p) => p.email)?.email ?? ".*";
    const vars = (q: BenchQuery): Record<string, string> => (q.singleUser ? { user: person } : {});
    // Rule evaluations are about cost more than spread: half the runs.
    const ruleReps = Math.ceil(o.reps / 2);

    // Fresh short promtool blocks get compacted to 18 h ones; after the remote-write ingest the
    // write-ahead log holds up to 27 h that the query server's 2 h head cuts into blocks. A kept
    // TSDB was compacted by its first run.
    const shortBlocks = opts.ingest !== "promtool" || opts.blockHours < PRODUCTION_BLOCK_HOURS;
    const expectCompaction = hasOverlappingBlocks(tsdbDir) || (!o.queriesOnly && shortBlocks);
    const server = await startQueryServer({ tsdbDir, workDir, days: opts.days });
    const queries: QueryResult[] = [];
    const dashboards: DashboardLoad[] = [];
    let compactionWaitMs = 0;
    let rss: number | undefined;
    try {
      if (expectCompaction) say("waiting for Prometheus to compact its head and blocks");
      compactionWaitMs = await waitForCompaction(server.url, 30 * 60_000, expectCompaction);
      const rangesDays = [...new Set([Math.min(7, opts.days), ...(opts.days >= 30 ? [30] : [])])];
      const list = designDashboardQueries(meta.design);
      for (const days of rangesDays) {
        const rangeMs = days * DAY_MS;
        const w = { endMs: meta.endMs, rangeMs, stepMs: graphStepMs(rangeMs) };
        const range = promDuration(rangeMs);
        say(`timing ${list.length} queries over ${range} (graph step ${promDuration(w.stepMs)}), ${o.reps} runs each`);
        queries.push(...(await measureQueries(server.url, list, w, range, { reps: o.reps, budgetMs: QUERY_BUDGET_MS, vars })));
        say(`timing whole dashboards over ${range}, ${o.reps} loads each`);
        dashboards.push(...(await measureDashboardLoads(server.url, designDashboardQueries(meta.design, false), w, range, { reps: o.reps, vars })));
      }
      // What the rules cost Prometheus, at the busiest time of the data.
      const busy = Math.min(meta.endMs, meta.workload.busiestHeadMs + 3_600_000);
      say(`timing each recording and alerting rule as Prometheus evaluates it (instant query at ${new Date(busy).toISOString()})`);
      queries.push(
        ...(await measureQueries(server.url, ruleQueries(meta.design), { endMs: busy, rangeMs: MINUTE_MS, stepMs: MINUTE_MS }, "eval", {
          reps: ruleReps,
          budgetMs: QUERY_BUDGET_MS,
          vars,
        })),
      );
      rss = await selfMetric(server.url, "process_resident_memory_bytes");
    } finally {
      await server.stop();
    }

    const result: BenchResult = {
      design: meta.design,
      options: opts,
      machine: { cpus: cpus().length, memoryGiB: totalmem() / 2 ** 30, prometheus: version },
      range: { start: new Date(meta.startMs).toISOString(), end: new Date(meta.endMs).toISOString() },
      profile: USAGE_PROFILE,
      workload: meta.workload,
      rules: meta.rules,
      ...(meta.rulesBackfill ? { rulesBackfill: meta.rulesBackfill } : {}),
      ...(meta.head ? { head: meta.head } : {}),
      tsdb: { backfilledBytes: meta.backfilledBytes, finalBytes: dirBytes(tsdbDir), compactionWaitMs: (meta.settleMs ?? 0) + compactionWaitMs },
      queries,
      dashboards,
      ...(rss ? { prometheusRssBytes: rss } : {}),
      totalMs: Date.now() - started,
    };
    if (o.keep) writeFileSync(path.join(base, "bench-result.json"), JSON.stringify(result, null, 2));
    return result;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const o = parse();
  if (o.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  requireBenchTools();
  const base = o.keep ? path.resolve(o.keep) : mkdtempSync(path.join(tmpdir(), "claude-code-bench-"));
  mkdirSync(base, { recursive: true });
  const results: BenchResult[] = [];
  try {
    for (const run of o.runs) {
      results.push(await measure(o, run, path.join(base, run.design)));
      // Without --keep, a design's TSDB goes as soon as it is measured (the next one needs the disk).
      if (!o.keep) rmSync(path.join(base, run.design), { recursive: true, force: true });
    }
  } finally {
    if (!o.keep) rmSync(base, { recursive: true, force: true });
  }
  if (o.json) {
    process.stdout.write(`${JSON.stringify(Object.fromEntries(results.map((r) => [r.design, r])), null, 2)}\n`);
    return;
  }
  const text = results.map(formatReport);
  if (results.length > 1) text.push(formatComparison(results));
  text.push(formatProblems(results));
  process.stdout.write(`${text.join("\n\n")}\n`);
}

main().catch((e: unknown) => {
  if (e instanceof UsageError) exitWithMessage("bench", e.message);
  if (e instanceof MissingToolError) exitWithMessage("bench", e.message, 1);
  exitWithMessage("bench", e instanceof Error ? (e.stack ?? e.message) : String(e), 1);
});
