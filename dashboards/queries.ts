// PromQL and LogQL building blocks shared by the dashboards. Dashboards read the per-person usage
// series the collector writes (components/usage-series.ts: few series, exact sums); only the pipeline-health dashboard
// reads raw metrics. Names come from the catalog, usage-series.ts and the rules module, never retyped.
import { EVENTS, SERVICE_NAME_REGEX, promLabel } from "../components/claude/telemetry.js";
import { RECORDED_USERS, USER_LABEL } from "../components/prometheus-rules.js";
import { API_EVENT_COMMON_ATTRIBUTES, INSTALLATION_PREFIX, USER_ACTIVITY, type ApiEventCounter, type UsageCounter } from "../components/usage-series.js";

/** Dashboard variables and the label each one filters. */
export const VARIABLES = {
  department: "department",
  team: "team",
  cost_center: "cost_center",
  user: USER_LABEL,
  model: "model",
} as const;
export type VariableName = keyof typeof VARIABLES;

export const ORG_FILTERS: readonly VariableName[] = ["department", "team", "cost_center"];
export const PEOPLE_FILTERS: readonly VariableName[] = [...ORG_FILTERS, "user"];
export const ALL_FILTERS: readonly VariableName[] = [...PEOPLE_FILTERS, "model"];

/** `label=~"$variable"` matchers; "All" is `.*`, which also matches a missing label. */
export function matchers(vars: readonly VariableName[], extra: readonly string[] = []): string {
  return [...vars.map((v) => `${VARIABLES[v]}=~"$${v}"`), ...extra].join(", ");
}

/** Filters that apply to a usage counter: `model` only where the counter keeps it. */
/** A series of increments and its labels: a usage counter, or an event count. */
export type SummedSeries = Pick<UsageCounter, "series" | "by">;

export function filtersFor(counter: SummedSeries, vars: readonly VariableName[]): VariableName[] {
  return vars.filter((v) => (counter.by as readonly string[]).includes(VARIABLES[v]));
}

export interface CounterQuery {
  /** Extra matchers, e.g. `type="input"`. */
  readonly where?: readonly string[];
  readonly by?: readonly string[];
  /** Range the increases are summed over: the dashboard range by default, `$__interval` for graphs. */
  readonly range?: string;
  readonly vars?: readonly VariableName[];
}

/** Sum of a usage counter's increments over a range: exactly what clients sent in it. */
export function total(counter: SummedSeries, q: CounterQuery = {}): string {
  const sel = matchers(filtersFor(counter, q.vars ?? ALL_FILTERS), q.where ?? []);
  const agg = q.by && q.by.length > 0 ? `sum by (${q.by.join(", ")})` : "sum";
  return `${agg} (sum_over_time(${counter.series}{${sel}}[${q.range ?? "$__range"}]))`;
}

/** Sum of an event counter over a range (events carry no person: the person filter does not apply). */
export function eventTotal(counter: ApiEventCounter, q: CounterQuery = {}): string {
  return total({ series: counter.series, by: [...API_EVENT_COMMON_ATTRIBUTES, ...counter.own].map(promLabel) }, q);
}

/**
 * The `n` largest groups of a one-label aggregation, and the others summed into one group whose
 * label is "(rest)" (absent when there are no others).
 */
export function topWithRest(expr: string, label: string, n: number): string {
  return `topk(${n}, ${expr}) or label_replace((sum(${expr}) - sum(topk(${n}, ${expr}))) > 0, "${label}", "(rest)", "", "")`;
}

/** The same, per graph interval (panels set a minimum interval of one client export interval). */
export function perInterval(counter: UsageCounter, q: Omit<CounterQuery, "range"> = {}): string {
  return total(counter, { ...q, range: "$__interval" });
}

/**
 * Who the people queries count: everyone the identity chain names (`all`), only people, or only
 * installations (sessions that carried no identity of a person: `user` = `installation:<user.id>`).
 */
export type Who = "all" | "people" | "installations";

const INSTALLATION_REGEX = `${INSTALLATION_PREFIX}.+`;
const WHO_MATCHER: Record<Who, string> = {
  all: `${USER_LABEL}!=""`,
  people: `${USER_LABEL}!~"${INSTALLATION_REGEX}|"`,
  installations: `${USER_LABEL}=~"${INSTALLATION_REGEX}"`,
};

/** Users (people, and installations where the chain ends with one) seen in the range, one series per `by` group. */
export function activePeople(q: { by?: readonly string[]; range?: string; vars?: readonly VariableName[]; hourly?: boolean; who?: Who } = {}): string {
  const series = q.hourly ? RECORDED_USERS.perHour : USER_ACTIVITY.series;
  const by = q.by ?? [];
  const sel = matchers(q.vars ?? PEOPLE_FILTERS, [WHO_MATCHER[q.who ?? "all"]]);
  const people = `group by (${[...by, USER_LABEL].join(", ")}) (count_over_time(${series}{${sel}}[${q.range ?? "$__range"}]))`;
  return by.length > 0 ? `count by (${by.join(", ")}) (${people})` : `count(${people})`;
}

/** Users active in the range who were not active in the `history` before it. */
export function newPeople(history = "30d", who: Who = "all"): string {
  const seen = `group by (${USER_LABEL}) (count_over_time(${USER_ACTIVITY.series}{${matchers(PEOPLE_FILTERS, [WHO_MATCHER[who]])}}[$__range]))`;
  const before = `group by (${USER_LABEL}) (count_over_time(${RECORDED_USERS.perHour}{${WHO_MATCHER[who]}}[${history}] offset $__range))`;
  return `count(${seen} unless ${before})`;
}

/** How the people panels say what they count. */
export const WHO_COUNTS =
  "Counted by the identity chain (privacy.identityChain): email, org identity (enduser.id) or account; a session with none of them (API key, Bedrock, Vertex) counts as an installation (user.id), shown apart, never as a person.";

/** A stat's two values: people, and installations standing in for people (0 when every session names a person). */
export function peopleAndInstallations(f: (who: Who) => string): { expr: string; legend: string }[] {
  return [
    { expr: `${f("people")} or vector(0)`, legend: "people" },
    { expr: `${f("installations")} or vector(0)`, legend: "installations (no person identity)" },
  ];
}

// ---- LogQL --------------------------------------------------------------------------------------

/** Stream selector: both service names plus the org index labels. */
export function lokiSelector(vars: readonly VariableName[] = ORG_FILTERS): string {
  return `{service_name=~"${SERVICE_NAME_REGEX}"${vars.length ? ", " + matchers(vars) : ""}}`;
}

/** Structured-metadata filter for one user: the collector gives events the same `user` as the metrics. */
export const LOKI_USER_FILTER = `| ${USER_LABEL}=~"$user"`;

/**
 * Events of one kind. Org variables go into the stream selector (index labels); person and model
 * are structured metadata, filtered in the pipeline (the body is not JSON, so no parser stage).
 */
export function lokiEvents(event: keyof typeof EVENTS, opts: { org?: boolean; user?: boolean; model?: boolean; filters?: readonly string[] } = {}): string {
  const parts = [lokiSelector(opts.org === false ? [] : ORG_FILTERS), `| event_name="${EVENTS[event].name}"`];
  if (opts.user) parts.push(LOKI_USER_FILTER);
  if (opts.model) parts.push('| model=~"$model"');
  for (const f of opts.filters ?? []) parts.push(`| ${f}`);
  return parts.join(" ");
}

/** Quantile of a numeric event attribute per group, over `range`. */
export function lokiQuantile(q: number, events: string, attribute: string, by: readonly string[], range = "$__interval"): string {
  return `quantile_over_time(${q}, ${events} | unwrap ${attribute} | __error__="" [${range}]) by (${by.join(", ")})`;
}

export function lokiCount(events: string, by: readonly string[], range = "$__interval"): string {
  return `sum by (${by.join(", ")}) (count_over_time(${events} [${range}]))`;
}
