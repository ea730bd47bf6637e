// Which dashboard queries MUST return data once the marked run has arrived, and which may be empty.
//
// Rule: a query must return data when everything it reads is filled by the run and none of its
// filters can exclude the run:
//   PromQL  every series it names is one the run fills (a usage counter the run sent something
//           to, the activity or last-sample series), its label matchers are all "All" (`=~".*"`) or
//           `!=""` on a label the run sets, and it compares with no earlier data (`offset`, `unless`);
//   LogQL   every `event_name="…"` names an event the run sent, and every other matcher is "All" or
//           the Claude Code service selector.
// Anything else (collector self-metrics, hourly roll-ups, errors the run may not have, ratios over
// one decision) may legitimately be empty on a fresh stack: no data there is a warning, not a failure.
import { SERVICE_NAME_REGEX } from "../components/claude/telemetry.js";
import { RECORDED_LAST_SAMPLE, USER_LABEL } from "../components/prometheus-rules.js";
import { ATTRIBUTED_COUNTERS as A, USAGE_COUNTERS as C, USER_ACTIVITY } from "../components/usage-series.js";
import type { ExpectedTotals } from "../simulator/index.js";

export interface RunFacts {
  /** Prometheus series names the run fills within the panels' time range. */
  readonly series: ReadonlySet<string>;
  /** Labels whose `!=""` matcher the run satisfies. */
  readonly presentLabels: ReadonlySet<string>;
  /** Event names the run sent at least once. */
  readonly events: ReadonlySet<string>;
}

export const NO_FACTS: RunFacts = { series: new Set(), presentLabels: new Set(), events: new Set() };

/** Facts of a run whose data arrived: what Prometheus (the dashboards' series) and Loki (events) must now show. */
export function runFacts(e: ExpectedTotals, arrived: { recorded: boolean; loki: boolean }): RunFacts {
  const sent: [string, number][] = [
    [C.sessions.series, e.sessions],
    [C.cost.series, e.costUsd],
    [A.cost.series, e.costUsd],
    [C.tokens.series, Object.values(e.tokens).reduce((a, b) => a + b, 0)],
    [A.tokens.series, Object.values(e.tokens).reduce((a, b) => a + b, 0)],
    [C.activeTime.series, e.activeTimeSeconds.user + e.activeTimeSeconds.cli],
    [C.linesOfCode.series, e.linesOfCode.added + e.linesOfCode.removed],
    [C.commits.series, e.commits],
    [C.pullRequests.series, e.pullRequests],
    [C.editDecisions.series, e.editDecisions.accept + e.editDecisions.reject],
    [USER_ACTIVITY.series, e.people],
    [RECORDED_LAST_SAMPLE, e.sessions],
  ];
  return {
    series: new Set(arrived.recorded ? sent.filter(([, n]) => n > 0).map(([s]) => s) : []),
    // The default identity chain ends with the installation id, which every session carries.
    presentLabels: new Set(arrived.recorded && e.people > 0 ? [USER_LABEL] : []),
    events: new Set(
      arrived.loki
        ? Object.entries(e.events)
            .filter(([, n]) => n > 0)
            .map(([name]) => name)
        : [],
    ),
  };
}

export interface Expectation {
  readonly mustHaveData: boolean;
  /** Why it may be empty (when it may). */
  readonly why: string;
}

const MATCHER = /([A-Za-z_][\w]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g;
const PROMQL_WORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan"]);

interface Matcher {
  label: string;
  op: string;
  value: string;
}
const matchersOf = (text: string): Matcher[] => [...text.matchAll(MATCHER)].map((m) => ({ label: m[1] as string, op: m[2] as string, value: m[3] as string }));
const isAll = (m: Matcher) => m.op === "=~" && m.value === ".*";
const show = (m: Matcher) => `${m.label}${m.op}"${m.value}"`;

/** Metric names a PromQL expression reads (function names, keywords, labels and durations left out). */
export function promqlSeriesNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const stripped = withoutStrings
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = [...stripped.matchAll(/(?<![\w.:])([A-Za-z_:][\w:]*)(?![\w:]|\s*\()/g)].map((m) => m[1] as string);
  return [...new Set(names.filter((n) => !PROMQL_WORDS.has(n.toLowerCase())))];
}

export function promqlExpectation(expr: string, facts: RunFacts): Expectation {
  if (/\b(offset|unless)\b/.test(expr)) return { mustHaveData: false, why: "compares with earlier data" };
  const names = promqlSeriesNames(expr);
  const unfilled = names.filter((n) => !facts.series.has(n));
  if (names.length === 0 || unfilled.length > 0) return { mustHaveData: false, why: `reads ${unfilled.join(", ") || "no series"}, not filled by this run` };
  const narrowing = matchersOf(expr).filter((m) => !isAll(m) && !(m.op === "!=" && m.value === "" && facts.presentLabels.has(m.label)));
  if (narrowing.length > 0) return { mustHaveData: false, why: `filters on ${narrowing.map(show).join(", ")}` };
  return { mustHaveData: true, why: "" };
}

export function logqlExpectation(expr: string, facts: RunFacts): Expectation {
  if (/\|[=~]/.test(expr)) return { mustHaveData: false, why: "filters log lines" };
  const narrowing: string[] = [];
  for (const m of matchersOf(expr)) {
    if (isAll(m) || (m.label === "__error__" && m.op === "=" && m.value === "")) continue;
    if (m.label === "service_name" && m.op === "=~" && m.value === SERVICE_NAME_REGEX) continue;
    if (m.label === "event_name" && m.op === "=" && facts.events.has(m.value)) continue;
    narrowing.push(m.label === "event_name" ? `${show(m)} (not sent by this run)` : show(m));
  }
  if (facts.events.size === 0) return { mustHaveData: false, why: "no marked events arrived to compare with" };
  return narrowing.length > 0 ? { mustHaveData: false, why: `filters on ${narrowing.join(", ")}` } : { mustHaveData: true, why: "" };
}
