// The benchmark's results: the figures derived from the raw counts, and the printed report.
import type { BackfillStats } from "./backfill.js";
import type { DashboardLoad, QueryResult } from "./measure.js";
import type { HeadProbe } from "./head-probe.js";
import type { RulesMode } from "./options.js";
import type { RulesBackfillStats } from "./server.js";

export interface BenchResult {
  readonly options: {
    readonly users: number;
    readonly days: number;
    readonly seed: number;
    readonly ingest?: "remote-write" | "promtool";
    readonly blockHours: number;
  };
  readonly machine: { readonly cpus: number; readonly memoryGiB: number; readonly prometheus: string };
  readonly range: { readonly start: string; readonly end: string };
  readonly profile: Readonly<Record<string, unknown>>;
  readonly workload: BackfillStats;
  readonly rules: RulesMode;
  readonly rulesBackfill?: RulesBackfillStats;
  readonly head?: HeadProbe;
  readonly tsdb: {
    /** The TSDB once the series were written (raw series, plus recorded ones with --rules direct). */
    readonly backfilledBytes: number;
    /** Everything at the end, once Prometheus compacted any overlapping blocks (--rules promtool). */
    readonly finalBytes: number;
    readonly compactionWaitMs: number;
  };
  readonly queries: readonly QueryResult[];
  readonly dashboards: readonly DashboardLoad[];
  readonly prometheusRssBytes?: number;
  readonly totalMs: number;
}

export interface Derived {
  readonly developerDays: number;
  readonly sessionsPerDeveloperDay: number;
  readonly seriesPerDeveloperDay: number;
  readonly samplesPerDeveloperDay: number;
  /** Series in the busiest 2 h head range, per developer. */
  readonly activeSeriesPerDeveloper: number;
  /** Bytes on disk per sample written (raw and recorded). */
  readonly bytesPerSample: number;
  readonly bytesPerDeveloperDay: number;
  /** Heap a live Prometheus needs per head series, and per developer at the busiest time. */
  readonly headHeapBytesPerSeries?: number;
  readonly headHeapBytesPerDeveloper?: number;
}

export function derive(r: Pick<BenchResult, "options" | "workload" | "tsdb" | "head">): Derived {
  const devDays = r.options.users * r.options.days;
  const w = r.workload;
  return {
    developerDays: devDays,
    sessionsPerDeveloperDay: w.sessions / devDays,
    seriesPerDeveloperDay: w.series / devDays,
    samplesPerDeveloperDay: w.samples / devDays,
    activeSeriesPerDeveloper: w.headSeriesMax / r.options.users,
    bytesPerSample: r.tsdb.finalBytes / Math.max(1, w.samples + w.recordedSamples),
    bytesPerDeveloperDay: r.tsdb.finalBytes / devDays,
    ...(r.head && r.head.headSeries > 0
      ? {
          headHeapBytesPerSeries: (r.head.heapAfterBytes - r.head.heapBeforeBytes) / r.head.headSeries,
          headHeapBytesPerDeveloper: (r.head.heapAfterBytes - r.head.heapBeforeBytes) / r.options.users,
        }
      : {}),
  };
}

const num = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const bytes = (n: number) => (n >= 1e9 ? `${num(n / 1e9, 2)} GB` : n >= 1e6 ? `${num(n / 1e6, 1)} MB` : `${num(n / 1e3, 1)} kB`);
export const seconds = (ms: number) => `${num(ms / 1000, 1)} s`;
const msCell = (ms: number) => (Number.isNaN(ms) ? "-" : ms >= 100 ? num(ms) : num(ms, 1));

/** Left-aligned first column, right-aligned others. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Queries as rows, ranges as column pairs. */
export function queryTable(results: readonly QueryResult[]): string {
  const ranges = [...new Set(results.map((r) => r.range))];
  const keys = [...new Set(results.map((r) => `${r.kind}\u0000${r.name}`))];
  const header = ["query", "kind", "type", ...ranges.flatMap((g) => [`${g} p50 ms`, `${g} p95 ms`]), "series"];
  const rows = keys.map((key) => {
    const mine = results.filter((r) => `${r.kind}\u0000${r.name}` === key);
    const first = mine[0] as QueryResult;
    const cells = ranges.flatMap((g) => {
      const r = mine.find((m) => m.range === g);
      if (!r) return ["", ""];
      if (r.error) return ["error", ""];
      return [msCell(r.p50Ms), msCell(r.p95Ms)];
    });
    const series = mine.map((m) => m.series).join("/");
    return [first.name.length > 60 ? `${first.name.slice(0, 57)}...` : first.name, first.kind, first.instant ? "instant" : "range", ...cells, series];
  });
  return table(header, rows);
}

export function formatReport(r: BenchResult): string {
  const d = derive(r);
  const w = r.workload;
  const o = r.options;
  const out: string[] = [];
  out.push(
    `Claude Code load benchmark: ${num(o.users)} developers x ${o.days} days (seed ${o.seed}), ${r.machine.prometheus}, ${r.machine.cpus} CPUs, ${num(r.machine.memoryGiB)} GiB`,
  );
  const promtool = w.method === "promtool";
  const how = promtool ? `backfilled with promtool in ${o.blockHours}h blocks` : "remote-written in time order; Prometheus cut and compacted its blocks";
  out.push(`data range ${r.range.start} .. ${r.range.end}, ${how}`);
  out.push("");
  out.push("Workload");
  out.push(
    `  sessions             ${num(w.sessions)} (${num(d.sessionsPerDeveloperDay, 2)} per developer-day, ${num(w.sessionHours / Math.max(1, w.sessions), 2)} h each on average)`,
  );
  out.push(`  series               ${num(w.series)} (${num(d.seriesPerDeveloperDay, 1)} per developer-day)`);
  out.push(`  samples              ${num(w.samples)} (${num(d.samplesPerDeveloperDay)} per developer-day, one per live series per minute)`);
  out.push(
    `  active series        ${num(w.headSeriesMax)} in the busiest 2 h head range = ${num(d.activeSeriesPerDeveloper, 1)} per developer (${num(w.headSeriesMeanBusy)} on average in busy hours)`,
  );
  if (w.recordedSamples > 0)
    out.push(`  recorded series      ${num(w.recordedSeries)} with ${num(w.recordedSamples)} samples (recording rules, computed beside the raw samples)`);
  if (promtool) out.push(`  OpenMetrics text     ${bytes(w.bytes)} in ${w.windows} windows`);
  else
    out.push(
      `  remote write         ${bytes(w.bytes)} in ${num(w.units)} requests (${num(w.bytes / Math.max(1, w.samples + w.recordedSamples), 1)} bytes per sample)`,
    );
  out.push("");
  out.push(`TSDB on disk (${r.rules === "none" ? "raw series only" : "raw and recorded series"})`);
  out.push(
    `  total                ${bytes(r.tsdb.finalBytes)} = ${bytes(d.bytesPerDeveloperDay)} per developer-day, ${num(d.bytesPerSample, 2)} bytes per sample`,
  );
  if (Math.abs(r.tsdb.finalBytes - r.tsdb.backfilledBytes) > 0.02 * r.tsdb.backfilledBytes)
    out.push(`  as written           ${bytes(r.tsdb.backfilledBytes)} (before Prometheus compacted its blocks)`);
  const h = r.head;
  if (h && d.headHeapBytesPerSeries !== undefined && d.headHeapBytesPerDeveloper !== undefined) {
    out.push("");
    out.push("Live Prometheus head (the busiest 2 h remote-written into an empty Prometheus)");
    out.push(`  head series          ${num(h.headSeries)} (${num(h.samples)} samples in ${seconds(h.ingestMs)})`);
    out.push(
      `  Go heap in use       ${bytes(h.heapBeforeBytes)} empty -> ${bytes(h.heapAfterBytes)} = ${bytes(d.headHeapBytesPerSeries)} per head series, ${bytes(d.headHeapBytesPerDeveloper)} per developer`,
    );
    out.push(`  resident memory      ${bytes(h.rssBeforeBytes)} -> ${bytes(h.rssAfterBytes)}`);
  }
  out.push("");
  out.push("Time");
  const store = promtool ? `promtool ${seconds(w.storeMs)} summed over runs` : `remote-write requests ${seconds(w.storeMs)} summed`;
  out.push(`  generate + ingest    ${seconds(w.wallMs)} wall (generating ${seconds(w.generateMs)}, ${store})`);
  const cpu = w.storeCpuMs !== undefined ? `, Prometheus ${seconds(w.storeCpuMs)}` : "";
  if (w.generateCpuMs !== undefined) out.push(`  CPU while ingesting  generator ${seconds(w.generateCpuMs)}${cpu}`);
  const rb = r.rulesBackfill;
  if (rb) out.push(`  rules backfill       ${seconds(rb.ms)} (promtool: ${rb.rules} recording rules in ${rb.passes} passes, ${rb.blocks} blocks)`);
  out.push(`  compaction wait      ${seconds(r.tsdb.compactionWaitMs)}`);
  out.push(`  total                ${seconds(r.totalMs)}`);
  if (r.prometheusRssBytes) out.push(`  Prometheus RSS after the queries: ${bytes(r.prometheusRssBytes)}`);
  out.push("");
  out.push("Query latency, one query at a time after a warm-up run (p50/p95 over the timed runs; series = answer size)");
  out.push(queryTable(r.queries));
  const rules = r.queries.filter((q) => q.kind === "rule" && !q.error);
  if (rules.length > 0) {
    const perGroup = new Map<string, number>();
    for (const q of rules) {
      const group = q.name.split(" / ")[0] ?? "";
      perGroup.set(group, (perGroup.get(group) ?? 0) + q.p50Ms);
    }
    const groups = [...perGroup].map(([g, ms]) => `${g} ${msCell(ms)} ms`).join(", ");
    out.push(`  recording rules, one evaluation of each group at the busiest time (sum of p50): ${groups}`);
  }
  const errors = r.queries.filter((q) => q.error);
  for (const e of errors) out.push(`  error in ${e.kind} "${e.name}" (${e.range}): ${e.error}`);
  if (r.dashboards.length > 0) {
    out.push("");
    out.push("Dashboard load: every panel query of a dashboard at once, time to the last answer");
    out.push(
      table(
        ["dashboard", "range", "queries", "p50 ms", "p95 ms", "errors"],
        r.dashboards.map((x) => [x.dashboard, x.range, String(x.queries), msCell(x.p50Ms), msCell(x.p95Ms), String(x.errors)]),
      ),
    );
  }
  return out.join("\n");
}
