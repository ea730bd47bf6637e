// LogQL as the Loki test double evaluates it (see loki-double.ts for what it covers): parsed with
// @grafana/lezer-logql (Grafana's grammar), log queries filtered, metric queries evaluated at every
// step over the stored entries. Anything else is refused as Loki refuses a query it cannot run.
import { parser } from "@grafana/lezer-logql";
import type { SyntaxNode } from "@lezer/common";
import { PROMETHEUS_DURATION, parseDuration, type DurationSyntax } from "../../lib/duration.js";

export interface StoredEntry {
  tsNs: bigint;
  line: string;
  /** Index labels (the stream). */
  stream: Record<string, string>;
  structuredMetadata: Record<string, string>;
}

export class Unsupported extends Error {}

type Labels = Record<string, string>;
type Pred = (labels: Labels, line: string) => boolean;

const unquote = (s: string) => (s.startsWith("`") ? s.slice(1, -1) : (JSON.parse(s) as string));
const anchored = (re: string) => new RegExp(`^(?:${re})$`);
/** Range and step durations the double evaluates: Prometheus' syntax without years. */
const LOGQL_DURATION: DurationSyntax = { units: PROMETHEUS_DURATION.units.filter((u) => u !== "y") };
function durationMs(d: string): number {
  const ms = parseDuration(d, LOGQL_DURATION);
  if (ms === undefined) throw new Unsupported(`not a duration: ${d}`);
  return ms;
}

function compiler(query: string) {
  const text = (n: SyntaxNode) => query.slice(n.from, n.to);
  const descendants = (n: SyntaxNode, name: string): SyntaxNode[] => {
    const found: SyntaxNode[] = [];
    const cursor = n.cursor();
    cursor.iterate((c) => {
      if (c.name === name) found.push(c.node);
    });
    return found;
  };
  const compare = (op: string, pattern: string): ((v: string) => boolean) => {
    if (op === "Eq") return (v) => v === pattern;
    if (op === "Neq") return (v) => v !== pattern;
    const re = anchored(pattern);
    return op === "Re" ? (v) => re.test(v) : (v) => !re.test(v);
  };
  const matcher = (m: SyntaxNode): Pred => {
    const label = text(m.getChild("Identifier") as SyntaxNode);
    const op = (m.getChild("Eq") ?? m.getChild("Neq") ?? m.getChild("Re") ?? m.getChild("Nre"))?.name ?? "";
    const test = compare(op, unquote(text(m.getChild("String") as SyntaxNode)));
    return (labels) => test(labels[label] ?? "");
  };
  const labelFilter = (n: SyntaxNode): Pred => {
    const m = n.getChild("Matcher");
    if (m) return matcher(m);
    const subs = n.getChildren("LabelFilter").map(labelFilter);
    if (subs.length === 0) throw new Unsupported(`label filter not supported by the Loki double: ${text(n)}`);
    return n.getChild("Or") ? (l, s) => subs.some((p) => p(l, s)) : (l, s) => subs.every((p) => p(l, s));
  };
  const lineFilter = (n: SyntaxNode): Pred => {
    const op = (n.getChild("Filter")?.firstChild?.name ?? "") as string;
    const pattern = unquote(text(n.getChild("String") as SyntaxNode));
    if (op === "PipeExact") return (_l, line) => line.includes(pattern);
    if (op === "Neq") return (_l, line) => !line.includes(pattern);
    const re = new RegExp(pattern);
    return op === "PipeMatch" ? (_l, line) => re.test(line) : (_l, line) => !re.test(line);
  };
  /** Selector, pipeline stages and unwrap of a log expression (or a log range expression). */
  const logPipeline = (n: SyntaxNode): { pred: Pred; unwrap?: string } => {
    const preds: Pred[] = descendants(n.getChild("Selector") as SyntaxNode, "Matcher").map(matcher);
    let unwrap: string | undefined;
    n.cursor().iterate((c) => {
      if (c.name === "LabelParser" || c.name === "JsonExpressionParser" || c.name === "LineFormatExpr" || c.name === "LabelFormatExpr") {
        throw new Unsupported(`${c.name} not supported by the Loki double`);
      }
      if (c.name === "LineFilter") preds.push(lineFilter(c.node));
      if (c.name === "Unwrap" && c.node.nextSibling?.name === "Identifier") unwrap = text(c.node.nextSibling);
      if (c.name === "LabelFilter" && c.node.parent?.name !== "LabelFilter") {
        preds.push(labelFilter(c.node));
        return false;
      }
      return undefined;
    });
    if (unwrap !== undefined) {
      const key = unwrap;
      preds.push((l) => l[key] !== undefined && l[key] !== "" && Number.isFinite(Number(l[key])));
    }
    return { pred: (l, s) => preds.every((p) => p(l, s)), unwrap };
  };

  const tree = parser.parse(query);
  tree.iterate({
    enter: (c) => {
      if (c.type.isError) throw new Unsupported(`parse error at ${c.from}: ${query.slice(Math.max(0, c.from - 20), c.from + 20)}`);
    },
  });
  const expr = tree.topNode.getChild("Expr");
  const log = expr?.getChild("LogExpr");
  if (log) return { kind: "log" as const, ...logPipeline(log) };
  const metric = expr?.getChild("MetricExpr");
  if (!metric) throw new Unsupported("neither a log nor a metric query");

  const groupingOf = (n: SyntaxNode): string[] | undefined => {
    const g = n.getChild("Grouping");
    if (!g) return undefined;
    if (g.getChild("Without")) throw new Unsupported("without (…) not supported by the Loki double");
    return descendants(g, "Identifier").map(text);
  };
  const opOf = (n: SyntaxNode | null): string => n?.firstChild?.name ?? "";
  const metricExpr = (n: SyntaxNode): Evaluator => {
    const node = n.firstChild;
    if (node?.name === "RangeAggregationExpr") {
      const lr = node.getChild("LogRangeExpr") as SyntaxNode;
      const { pred, unwrap } = logPipeline(lr);
      const rangeNs = BigInt(durationMs(text(lr.getChild("Range")?.getChild("Duration") as SyntaxNode))) * 1_000_000n;
      const param = node.getChild("Number") ? Number(text(node.getChild("Number") as SyntaxNode)) : undefined;
      const fn = rangeFunction(opOf(node.getChild("RangeOp")), param, Number(rangeNs / 1_000_000n) / 1000, unwrap !== undefined);
      const by = groupingOf(node);
      return (entries, t) => {
        const groups = new Map<string, { labels: Labels; values: number[] }>();
        for (const e of entries) {
          if (e.tsNs <= t - rangeNs || e.tsNs > t) continue;
          const all = { ...e.stream, ...e.structuredMetadata };
          if (!pred(all, e.line)) continue;
          const labels = by ? pick(all, by) : all;
          const key = keyOf(labels);
          if (!groups.has(key)) groups.set(key, { labels, values: [] });
          groups.get(key)?.values.push(unwrap ? Number(all[unwrap]) : 1);
        }
        return new Map([...groups].map(([k, g]) => [k, { labels: g.labels, value: fn(g.values) }]));
      };
    }
    if (node?.name === "VectorAggregationExpr") {
      const inner = metricExpr(node.getChild("MetricExpr") as SyntaxNode);
      const agg = vectorFunction(opOf(node.getChild("VectorOp")));
      const by = groupingOf(node) ?? [];
      return (entries, t) => {
        const groups = new Map<string, { labels: Labels; values: number[] }>();
        for (const s of inner(entries, t).values()) {
          const labels = pick(s.labels, by);
          const key = keyOf(labels);
          if (!groups.has(key)) groups.set(key, { labels, values: [] });
          groups.get(key)?.values.push(s.value);
        }
        return new Map([...groups].map(([k, g]) => [k, { labels: g.labels, value: agg(g.values) }]));
      };
    }
    if (node?.name === "BinOpExpr") {
      const [left, right] = node.getChildren("Expr").map((e) => metricExpr(e.getChild("MetricExpr") as SyntaxNode)) as [Evaluator, Evaluator];
      const op = BIN_OPS[node.getChild("Div") ? "Div" : node.getChild("Mul") ? "Mul" : node.getChild("Add") ? "Add" : node.getChild("Sub") ? "Sub" : ""];
      if (!op) throw new Unsupported(`binary operator not supported by the Loki double: ${text(node)}`);
      return (entries, t) => {
        const r = right(entries, t);
        const out: Series = new Map();
        for (const [k, a] of left(entries, t)) {
          const b = r.get(k);
          if (b) out.set(k, { labels: a.labels, value: op(a.value, b.value) });
        }
        return out;
      };
    }
    throw new Unsupported(`${node?.name ?? "expression"} not supported by the Loki double: ${text(n)}`);
  };
  return { kind: "metric" as const, evaluate: metricExpr(metric) };
}

type Series = Map<string, { labels: Labels; value: number }>;
type Evaluator = (entries: readonly StoredEntry[], tNs: bigint) => Series;

const keyOf = (labels: Labels) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
function pick(labels: Labels, names: readonly string[]): Labels {
  const out: Labels = {};
  for (const n of names) if (labels[n] !== undefined && labels[n] !== "") out[n] = labels[n] as string;
  return out;
}

/** The φ-quantile with linear interpolation between the closest ranks, as Loki and Prometheus compute it. */
export function quantile(phi: number, values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = phi * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (rank - lo);
}

function rangeFunction(op: string, param: number | undefined, rangeSeconds: number, unwrapped: boolean): (values: number[]) => number {
  const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
  // Loki refuses count_over_time and rate on unwrapped values the double does not model either.
  if (op === "CountOverTime" || op === "Rate") {
    if (unwrapped) throw new Unsupported(`${op} with unwrap not supported by the Loki double`);
    return op === "Rate" ? (v) => v.length / rangeSeconds : (v) => v.length;
  }
  if (!unwrapped) throw new Unsupported(`${op} needs unwrap`);
  if (op === "SumOverTime") return sum;
  if (op === "AvgOverTime") return (v) => sum(v) / v.length;
  if (op === "MinOverTime") return (v) => Math.min(...v);
  if (op === "MaxOverTime") return (v) => Math.max(...v);
  if (op === "QuantileOverTime" && param !== undefined) return (v) => quantile(param, v);
  throw new Unsupported(`range function ${op} not supported by the Loki double`);
}

function vectorFunction(op: string): (values: number[]) => number {
  const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
  const fns: Record<string, (v: number[]) => number> = {
    Sum: sum,
    Avg: (v) => sum(v) / v.length,
    Min: (v) => Math.min(...v),
    Max: (v) => Math.max(...v),
    Count: (v) => v.length,
  };
  const fn = fns[op];
  if (!fn) throw new Unsupported(`aggregation ${op} not supported by the Loki double`);
  return fn;
}

const BIN_OPS: Record<string, ((a: number, b: number) => number) | undefined> = {
  Div: (a, b) => a / b,
  Mul: (a, b) => a * b,
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
};

/** Loki accepts nanosecond integers, (fractional) seconds and RFC 3339 times. */
function timeNs(v: string | null, fallbackMs: number): bigint {
  if (!v) return BigInt(fallbackMs) * 1_000_000n;
  if (/^\d{13,}$/.test(v)) return BigInt(v);
  if (/^\d+(\.\d+)?$/.test(v)) return BigInt(Math.round(Number(v) * 1000)) * 1_000_000n;
  return BigInt(Date.parse(v)) * 1_000_000n;
}

export function queryRange(all: readonly StoredEntry[], params: URLSearchParams): unknown {
  const now = Date.now();
  const start = timeNs(params.get("start"), now - 3_600_000);
  const end = timeNs(params.get("end"), now);
  const q = compiler(params.get("query") ?? "");
  const labelsOf = (e: StoredEntry) => ({ ...e.stream, ...e.structuredMetadata });
  if (q.kind === "log") {
    const selected = all.filter((e) => q.pred(labelsOf(e), e.line));
    const inRange = selected.filter((e) => e.tsNs >= start && e.tsNs < end).sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : 0));
    if (params.get("direction") !== "forward") inRange.reverse();
    const streams = new Map<string, { stream: Labels; values: [string, string][] }>();
    for (const e of inRange.slice(0, Number(params.get("limit") ?? 100))) {
      const labels = labelsOf(e);
      const key = JSON.stringify(Object.entries(labels).sort());
      if (!streams.has(key)) streams.set(key, { stream: labels, values: [] });
      streams.get(key)?.values.push([String(e.tsNs), e.line]);
    }
    return { resultType: "streams", result: [...streams.values()] };
  }
  const stepStr = params.get("step") ?? "60";
  const stepNs = BigInt(/^\d+(\.\d+)?$/.test(stepStr) ? Math.round(Number(stepStr) * 1000) : durationMs(stepStr)) * 1_000_000n;
  const series = new Map<string, { metric: Labels; values: [number, string][] }>();
  for (let t = start; t <= end; t += stepNs) {
    for (const [k, v] of q.evaluate(all, t)) {
      if (!series.has(k)) series.set(k, { metric: v.labels, values: [] });
      series.get(k)?.values.push([Number(t / 1_000_000n) / 1000, String(v.value)]);
    }
  }
  return { resultType: "matrix", result: [...series.values()] };
}
