// The project's recording rules, arranged for `promtool tsdb create-blocks-from rules`: alerting
// rules left out (promtool skips them), and groups ordered in passes so a rule that reads another
// rule's output runs after that output is in the TSDB (promtool only reads what Prometheus serves).
import { parse, stringify } from "yaml";
import { renderRulesFile } from "../components/rules-file.js";
import { alertingSchema } from "../components/settings-alerting.js";
import type { Design } from "./backfill.js";
import { renderRulesFile as renderLegacyRulesFile } from "./legacy-rules.js";

export interface RecordingRuleFile {
  readonly name: string;
  readonly interval?: string;
  readonly query_offset?: string;
  readonly rules: readonly { readonly record: string; readonly expr: string }[];
}

/**
 * Every alert on, with daily budgets for ten teams: the alert rules a company's Prometheus evaluates
 * besides the roll-ups (thresholds high enough that nothing fires).
 */
export const BENCH_ALERTING = alertingSchema.parse({
  dailyBudgetUsd: 1e9,
  monthlyBudgetUsd: 1e10,
  minWeeklyActivePeople: 1,
  teamDailyBudgetsUsd: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`team-${String(i + 1).padStart(4, "0")}`, 1e9])),
});

/** The rules file Prometheus loads in a design: the project's (every alert on), or the per-session design's. */
export function designRulesFile(design: Design): string {
  return design === "new" ? renderRulesFile({ alerting: BENCH_ALERTING }) : renderLegacyRulesFile();
}

export interface AlertingRuleEntry {
  readonly group: string;
  /** Evaluation interval; absent: Prometheus' global one. */
  readonly interval?: string;
  readonly alert: string;
  readonly expr: string;
}

/** Alerting rules of a rendered rules file, with their groups' intervals. */
export function alertingRules(rulesYaml: string): AlertingRuleEntry[] {
  const doc = parse(rulesYaml) as { groups: { name: string; interval?: string; rules: { alert?: string; expr: string }[] }[] };
  return doc.groups.flatMap((g) =>
    g.rules.flatMap((r) => (typeof r.alert === "string" ? [{ group: g.name, interval: g.interval, alert: r.alert, expr: r.expr }] : [])),
  );
}

/** Recording groups of the rendered rules file, exactly as Prometheus loads them. */
export function recordingGroups(rulesYaml = renderRulesFile()): RecordingRuleFile[] {
  const doc = parse(rulesYaml) as { groups: { name: string; interval?: string; query_offset?: string; rules: { record?: string; expr: string }[] }[] };
  return doc.groups
    .map((g) => ({ ...g, rules: g.rules.filter((r): r is { record: string; expr: string } => typeof r.record === "string") }))
    .filter((g) => g.rules.length > 0);
}

/** Whether an expression reads a series (by name, not a longer name that contains it). */
function reads(expr: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^a-zA-Z0-9_:])${escaped}($|[^a-zA-Z0-9_:])`).test(expr);
}

/** Groups in passes: every group in pass n reads only raw series or records of earlier passes. */
export function backfillPasses(groups: readonly RecordingRuleFile[]): RecordingRuleFile[][] {
  const producer = new Map<string, RecordingRuleFile>();
  for (const g of groups) for (const r of g.rules) producer.set(r.record, g);
  const passes: RecordingRuleFile[][] = [];
  const done = new Set<RecordingRuleFile>();
  while (done.size < groups.length) {
    const ready = groups.filter(
      (g) => !done.has(g) && [...producer].every(([record, from]) => from === g || done.has(from) || !g.rules.some((r) => reads(r.expr, record))),
    );
    if (ready.length === 0) throw new Error("recording rules depend on each other in a cycle");
    passes.push(ready);
    for (const g of ready) done.add(g);
  }
  return passes;
}

/**
 * A pass split into `parts` rule files of about equal rule count, for promtool runs side by side.
 * Each file keeps its groups' interval and offset.
 */
export function splitPass(pass: readonly RecordingRuleFile[], parts: number): string[] {
  const rules = pass.flatMap((g) => g.rules.map((r) => ({ group: g, rule: r })));
  const n = Math.max(1, Math.min(parts, rules.length));
  const files: string[] = [];
  for (let p = 0; p < n; p++) {
    const mine = rules.filter((_, i) => i % n === p);
    const groups = pass
      .map((g) => ({
        name: g.name,
        ...(g.interval ? { interval: g.interval } : {}),
        ...(g.query_offset ? { query_offset: g.query_offset } : {}),
        rules: mine.filter((m) => m.group === g).map((m) => ({ record: m.rule.record, expr: m.rule.expr })),
      }))
      .filter((g) => g.rules.length > 0);
    files.push(stringify({ groups }, { lineWidth: 0 }));
  }
  return files;
}
