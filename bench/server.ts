// Prometheus on the benchmark's TSDB: serving the raw data to promtool while the recording rules are
// backfilled, then serving everything for the query measurements.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { moveBlocks } from "./backfill.js";
import { backfillPasses, recordingGroups, splitPass } from "./rules.js";
import { startPrometheus } from "./tools.js";
import type { PrometheusServer } from "../lib/prometheus-server.js";
import { runToolOk } from "../lib/tool-runner.js";
import { poll } from "../lib/poll.js";

export interface ServerOptions {
  readonly tsdbDir: string;
  readonly workDir: string;
  /** Days the data goes back: retention must keep all of it. */
  readonly days: number;
}

export const PRODUCTION_BLOCK_HOURS = 18;

/** Retention: the production default (15d), or longer when the data goes back further. */
export function retentionDays(days: number): number {
  return Math.max(15, days + 2);
}

/** No rules and no scrape jobs unless asked: the server answers queries on what was written. */
const BARE_CONFIG = "global:\n  evaluation_interval: 1m\n";

function flags(o: ServerOptions, extra: readonly string[], config = BARE_CONFIG): string[] {
  const file = path.join(o.workDir, "prometheus.yml");
  mkdirSync(o.workDir, { recursive: true });
  writeFileSync(file, config);
  return [
    `--config.file=${file}`,
    `--storage.tsdb.path=${o.tsdbDir}`,
    `--storage.tsdb.retention.time=${retentionDays(o.days)}d`,
    // Blocks as long as a 15d-retention Prometheus makes them (10% of retention, on the 2h·3^n
    // ladder), whatever the retention set here to keep all the data.
    `--storage.tsdb.max-block-duration=${PRODUCTION_BLOCK_HOURS}h`,
    "--log.level=warn",
    ...extra,
  ];
}

const LIFETIME_MS = 6 * 60 * 60_000;

/**
 * The query server: Prometheus' default query limits and 2 h head blocks, as in production, and,
 * as the stack's Prometheus does, a scrape of itself. Its first append also sets off the compaction
 * of whatever the head replayed from the write-ahead log beyond its 2 h blocks.
 */
export function startQueryServer(o: ServerOptions): Promise<PrometheusServer> {
  const config = (self: string) =>
    `${BARE_CONFIG}scrape_configs:\n  - job_name: prometheus\n    scrape_interval: 5s\n    static_configs: [{ targets: ["${self}"] }]\n`;
  return startPrometheus((listen) => flags(o, [], config(listen)), LIFETIME_MS);
}

/**
 * A Prometheus that takes the backfill through its remote-write receiver. Its head cuts 18 h blocks
 * straight away (the blocks a 15d-retention server ends up with), so each sample is compacted once
 * rather than three times (2 h, 6 h, 18 h): compaction is most of what ingesting costs it.
 */
export function startIngestServer(o: ServerOptions): Promise<PrometheusServer> {
  return startPrometheus(flags(o, ["--web.enable-remote-write-receiver", `--storage.tsdb.min-block-duration=${INGEST_BLOCK_HOURS}h`]), LIFETIME_MS);
}

/** Head block range of the ingest server (the remote-write ingest paces itself by it). */
export const INGEST_BLOCK_HOURS = PRODUCTION_BLOCK_HOURS;

export interface RulesBackfillStats {
  readonly passes: number;
  readonly rules: number;
  readonly blocks: number;
  readonly ms: number;
}

/**
 * `promtool tsdb create-blocks-from rules` for every recording rule (of `rulesYaml`, the project's
 * rules file by default) over [startMs, endMs), pass by
 * pass (a rule reading another rule's output runs once that output is in the TSDB), each pass split
 * over `parallel` promtool runs against a Prometheus serving the TSDB.
 */
export async function backfillRules(
  o: ServerOptions,
  startMs: number,
  endMs: number,
  parallel: number,
  progress: (line: string) => void,
  rulesYaml?: string,
): Promise<RulesBackfillStats> {
  const started = Date.now();
  const passes = backfillPasses(recordingGroups(rulesYaml));
  let blocks = 0;
  let rules = 0;
  for (const [p, pass] of passes.entries()) {
    // A range query over one 2h block at 1m steps holds the matrix of every series the rule reads
    // (a day of look-back): allow more samples and time than the production defaults.
    const server = await startPrometheus(flags(o, ["--query.max-samples=1000000000", "--query.timeout=60m"]), LIFETIME_MS);
    const outputs: string[] = [];
    try {
      const files = splitPass(pass, parallel);
      await Promise.all(
        files.map(async (yaml, i) => {
          const file = path.join(o.workDir, `rules-${p}-${i}.yml`);
          const out = path.join(o.workDir, `rule-blocks-${p}-${i}`);
          writeFileSync(file, yaml);
          outputs.push(out);
          const r = await runToolOk(
            "promtool",
            [
              "tsdb",
              "create-blocks-from",
              "rules",
              "--quiet",
              `--url=${server.url}`,
              `--start=${new Date(startMs).toISOString()}`,
              `--end=${new Date(endMs).toISOString()}`,
              `--output-dir=${out}`,
              file,
            ],
            { timeoutMs: 4 * 60 * 60_000 },
          );
          progress(`rules pass ${p + 1}/${passes.length}, part ${i + 1}/${files.length}: ${(r.ms / 1000).toFixed(1)} s`);
        }),
      );
      rules += pass.reduce((n, g) => n + g.rules.length, 0);
    } finally {
      await server.stop();
    }
    // Only once the server is gone: a running Prometheus would load and compact blocks appearing in its directory.
    for (const out of outputs) blocks += moveBlocks(out, o.tsdbDir);
  }
  return { passes: passes.length, rules, blocks, ms: Date.now() - started };
}

/** Values of one metric (summed over its series) from Prometheus' own /metrics. */
export async function selfMetric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  let sum = 0;
  for (const line of text.split("\n")) if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  return sum;
}

/**
 * Waits until Prometheus has merged the overlapping blocks (raw data and recorded series arrive in
 * separate blocks; Prometheus compacts them together about a minute after start), so queries are
 * timed on the blocks production would have and no compaction competes with them.
 */
export async function waitForCompaction(url: string, maxMs: number, expectCompaction: boolean): Promise<number> {
  const started = Date.now();
  const intervalMs = 2000;
  let quiet = 0;
  let lastCpu: number | undefined;
  await poll(
    async () => {
      const cpu = await selfMetric(url, "process_cpu_seconds_total");
      if (lastCpu === undefined) {
        lastCpu = cpu; // the first reading only sets the baseline
        return { done: false };
      }
      const triggered = await selfMetric(url, "prometheus_tsdb_compactions_triggered_total");
      quiet = cpu - lastCpu > 0.2 ? 0 : quiet + 1;
      lastCpu = cpu;
      const settled = (triggered >= 1 || !expectCompaction) && quiet >= 3;
      return settled ? { done: true, value: undefined } : { done: false };
    },
    // A reading may start up to one interval after maxMs, as each waits out its interval first.
    { deadlineMs: started + maxMs + intervalMs, intervalMs, errors: "throw" },
  );
  return Date.now() - started;
}
