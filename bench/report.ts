// The benchmark's results: the figures derived from the raw counts, and the printed report.
import type { BackfillStats, Design } from "./backfill.js";
import type { DashboardLoad, QueryResult } from "./measure.js";
import type { HeadProbe } from "./head-probe.js";
import type { RulesMode } from "./options.js";
import type { RulesBackfillStats } from "./server.js";

export interface BenchResult {
  /** new: the usage series the collector writes; legacy: per-session series and their recording rules. */
  readonly design: Design;
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
  readonly bytesPerDeveloper: number;
  /**
   * Recording rules: evaluation time (one core, busy) per minute of wall time: each rule's p50 times
   * its evaluations per minute (an hourly rule counts 1/60).
   */
  readonly rulesMsPerMinute?: number;
  /** Heap a live Prometheus needs per head series, and per developer at the busiest time. */
  readonly headHeapBytesPerSeries?: number;
  readonly headHeapBytesPerDeveloper?: number;
}

/** Rule evaluation time per minute: each rule's p50 times its evaluations per minute. */
export function rulesPerMinute(queries: readonly QueryResult[]): number | undefined {
  const rules = queries.filter((q) => q.kind === "rule" && !q.error && !Number.isNaN(q.p50Ms));
  if (rules.length === 0) return undefined;
  return rules.reduce((sum, q) => sum + q.p50Ms * (60_000 / (q.everyMs ?? 60_000)), 0);
}

export function derive(r: Pick<BenchResult, "options" | "workload" | "tsdb" | "head"> & Partial<Pick<BenchResult, "queries">>): Derived {
  const devDays = r.options.users * r.options.days;
  const w = r.workload;
  const rules = rulesPerMinute(r.queries ?? []);
  return {
    developerDays: devDays,
    sessionsPerDeveloperDay: w.sessions / devDays,
    seriesPerDeveloperDay: w.series / devDays,
    samplesPerDeveloperDay: w.samples / devDays,
    activeSeriesPerDeveloper: w.headSeriesMax / r.options.users,
    bytesPerSample: r.tsdb.finalBytes / Math.max(1, w.samples + w.recordedSamples),
    bytesPerDeveloperDay: r.tsdb.finalBytes / devDays,
    bytesPerDeveloper: r.tsdb.finalBytes / r.options.users,
    ...(rules !== undefined ? { rulesMsPerMinute: rules } : {}),
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
    `Claude Code load benchmark, ${DESIGN_TITLES[r.design]}: ${num(o.users)} developers x ${o.days} days (seed ${o.seed}), ${r.machine.prometheus}, ${r.machine.cpus} CPUs, ${num(r.machine.memoryGiB)} GiB`,
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
  const perSample = r.design === "new" ? "one per series and collector batch it changed in" : "one per live series per minute";
  out.push(`  samples              ${num(w.samples)} (${num(d.samplesPerDeveloperDay)} per developer-day, ${perSample})`);
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
  out.push(`TSDB on disk (${r.rules === "none" ? "written series only" : "written and recorded series"})`);
  out.push(
    `  total                ${bytes(r.tsdb.finalBytes)} = ${bytes(d.bytesPerDeveloperDay)} per developer-day, ${bytes(d.bytesPerDeveloper)} per developer, ${num(d.bytesPerSample, 2)} bytes per sample`,
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
  if (o.days < 30) out.push(`  30-day ranges not measured: the generated range is ${o.days} days`);
  const rules = r.queries.filter((q) => q.kind === "rule" && !q.error);
  if (rules.length > 0) {
    const perGroup = new Map<string, { ms: number; everyMs: number }>();
    for (const q of rules) {
      const group = q.name.split(" / ")[0] ?? "";
      const g = perGroup.get(group) ?? { ms: 0, everyMs: q.everyMs ?? 60_000 };
      perGroup.set(group, { ...g, ms: g.ms + q.p50Ms });
    }
    const groups = [...perGroup].map(([g, x]) => `${g} ${msCell(x.ms)} ms every ${seconds(x.everyMs)}`).join(", ");
    out.push(`  rules (recording and alerting), one evaluation of each group at the busiest time (sum of p50): ${groups}`);
    if (d.rulesMsPerMinute !== undefined)
      out.push(`  rules (recording and alerting) per minute of wall time (hourly groups counted 1/60): ${msCell(d.rulesMsPerMinute)} ms of one core`);
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

const DESIGN_TITLES: Readonly<Record<Design, string>> = {
  new: "new design (per-person sums the collector writes)",
  legacy: "legacy design (per-session series + recording rules)",
};

/** What the figures show as a problem: thresholds the README's capacity guidance is written against. */
export const LIMITS = { panelP95Ms: 500, dashboardP95Ms: 2000, headBytesPerDeveloper: 40_000, rulesMsPerMinute: 10_000 } as const;

/** Figures above LIMITS, one line each, naming the query or dashboard. */
export function problems(r: BenchResult): string[] {
  const d = derive(r);
  const out: string[] = [];
  for (const q of r.queries) {
    if (q.error) out.push(`${q.kind} "${q.name}" (${q.range}) failed: ${q.error}`);
    else if (q.kind === "dashboard" && q.p95Ms > LIMITS.panelP95Ms)
      out.push(`panel "${q.name}" over ${q.range}: p95 ${msCell(q.p95Ms)} ms > ${LIMITS.panelP95Ms} ms (${q.expr})`);
  }
  for (const x of r.dashboards)
    if (x.p95Ms > LIMITS.dashboardP95Ms) out.push(`dashboard ${x.dashboard} over ${x.range}: p95 ${msCell(x.p95Ms)} ms > ${LIMITS.dashboardP95Ms} ms`);
  if (d.headHeapBytesPerDeveloper !== undefined && d.headHeapBytesPerDeveloper > LIMITS.headBytesPerDeveloper)
    out.push(`head memory ${bytes(d.headHeapBytesPerDeveloper)} per developer > ${bytes(LIMITS.headBytesPerDeveloper)}`);
  if (d.rulesMsPerMinute !== undefined && d.rulesMsPerMinute > LIMITS.rulesMsPerMinute)
    out.push(`recording rules take ${seconds(d.rulesMsPerMinute)} per minute > ${seconds(LIMITS.rulesMsPerMinute)}`);
  return out;
}

/** The designs side by side: the figures that size a Prometheus, and each dashboard's load time. */
export function formatComparison(results: readonly BenchResult[]): string {
  const ds = results.map((r) => ({ r, d: derive(r) }));
  const col = (f: (x: { r: BenchResult; d: Derived }) => string) => ds.map(f);
  const opt = (n: number | undefined, f: (n: number) => string) => (n === undefined ? "-" : f(n));
  const rows: string[][] = [
    ["developers x days", ...col(({ r }) => `${num(r.options.users)} x ${r.options.days}`)],
    ["series per developer-day", ...col(({ d }) => num(d.seriesPerDeveloperDay, 1))],
    ["samples per developer-day", ...col(({ d }) => num(d.samplesPerDeveloperDay))],
    ["TSDB per developer-day", ...col(({ d }) => bytes(d.bytesPerDeveloperDay))],
    ["TSDB per developer", ...col(({ d }) => bytes(d.bytesPerDeveloper))],
    ["head series (busiest 2 h) per developer", ...col(({ r }) => (r.head ? num(r.head.headSeries / r.options.users, 1) : "-"))],
    ["head memory per developer", ...col(({ d }) => opt(d.headHeapBytesPerDeveloper, bytes))],
    ["head memory per head series", ...col(({ d }) => opt(d.headHeapBytesPerSeries, bytes))],
    ["rule evaluation per minute (ms, one core)", ...col(({ d }) => opt(d.rulesMsPerMinute, (n) => msCell(n)))],
  ];
  const loads = [...new Set(results.flatMap((r) => r.dashboards.map((x) => `${x.dashboard}\u0000${x.range}`)))];
  for (const key of loads) {
    const [dashboard, range] = key.split("\u0000") as [string, string];
    rows.push([
      `${dashboard.replace(/^claude-code-/, "")} dashboard ${range} p50 / p95 ms`,
      ...col(({ r }) => {
        const x = r.dashboards.find((y) => y.dashboard === dashboard && y.range === range);
        return x ? `${msCell(x.p50Ms)} / ${msCell(x.p95Ms)}` : "-";
      }),
    ]);
  }
  const slowest = (r: BenchResult, range: string) =>
    r.queries.filter((q) => q.kind === "dashboard" && q.range === range && !q.error).sort((a, b) => b.p95Ms - a.p95Ms)[0];
  for (const range of [...new Set(results.flatMap((r) => r.queries.filter((q) => q.kind === "dashboard").map((q) => q.range)))])
    rows.push([
      `slowest panel ${range} p95 ms`,
      ...col(({ r }) => {
        const q = slowest(r, range);
        return q ? `${msCell(q.p95Ms)} (${q.name.length > 40 ? `${q.name.slice(0, 37)}...` : q.name})` : "-";
      }),
    ]);
  return ["Designs compared", table(["", ...results.map((r) => r.design)], rows)].join("\n");
}

/** Each design's problems(), under a heading. */
export function formatProblems(results: readonly BenchResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    const p = problems(r);
    if (out.length > 0) out.push("");
    out.push(`Problems the ${r.design} design's figures show (${p.length === 0 ? "none" : p.length}):`);
    for (const line of p) out.push(`  - ${line}`);
  }
  return out.join("\n");
}
