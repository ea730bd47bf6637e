// Usage graphs more than one dashboard shows, each for its own filter (all data, or one person).
import { USAGE_COUNTERS as C } from "../components/usage-series.js";
import { timeSeries } from "./panels.js";
import { perInterval, type CounterQuery } from "./queries.js";

type Filter = Omit<CounterQuery, "range" | "by">;

/** Estimated cost per interval, stacked by model. */
export const costByModelOverTime = (q: Filter = {}, description?: string) =>
  timeSeries({
    title: "Estimated cost by model",
    ...(description ? { description } : {}),
    unit: "currencyUSD",
    stacked: true,
    bars: true,
    queries: [{ expr: perInterval(C.cost, { ...q, by: ["model"] }), legend: "{{model}}" }],
  });

/** Tokens per interval, stacked by token type. */
export const tokensByTypeOverTime = (q: Filter = {}) =>
  timeSeries({
    title: "Tokens by type",
    unit: "short",
    stacked: true,
    bars: true,
    queries: [{ expr: perInterval(C.tokens, { ...q, by: ["type"] }), legend: "{{type}}" }],
  });
