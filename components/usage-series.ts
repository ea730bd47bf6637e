// The usage series the collector writes to Prometheus, and how it makes them.
//
// Counting design (README, "Design notes"): Claude Code sends delta counters (its own default, and
// what the managed settings ask for); clients configured by hand to send cumulative counters are
// turned into deltas first. The collector then sums every batch's deltas per person and label set
// (session.id and everything else not listed below dropped) into one point, dated when the batch is
// summed, and writes it as a gauge sample: the amount added since the previous sample. So
//   - Prometheus stores a few long-lived series per person, never one per session;
//   - `sum_over_time(<series>[range])` is exactly what clients sent in the range: a session whose
//     whole usage is in its first export, a session resumed after days, a collector restart, a
//     second collector replica (its own `instance` label) change nothing;
//   - no recording rule has to run every minute, so a minute Prometheus does not evaluate loses
//     nothing; a Prometheus outage is held in the collector's queue and written afterwards.
import { ATTRIBUTION_NAMES, ORG_ATTRIBUTES, promLabel, type EventKey, type MetricKey } from "./claude/telemetry.js";

/**
 * Attribute (and label) naming who used Claude Code: a person, or (when a session carries no
 * identity of a person) an installation, whose value then starts with INSTALLATION_PREFIX.
 */
export const USER_ATTRIBUTE = "user";
/** Claude Code's anonymous per-installation id: it counts installations, not people. */
export const INSTALLATION_ATTRIBUTE = "user.id";
/** How a `user` value that names an installation (`user.id`) begins, so every panel can tell. */
export const INSTALLATION_PREFIX = "installation:";
/**
 * The default identity chain (privacy.identityChain): the first attribute present names the user.
 * OAuth email, the org's own identity (OTEL_RESOURCE_ATTRIBUTES, e.g. from MDM), the account, and
 * last the installation, so sessions signed in with an API key, Bedrock or Vertex still count.
 */
export const DEFAULT_IDENTITY_CHAIN = ["user.email", "enduser.id", "user.account_uuid", INSTALLATION_ATTRIBUTE] as const;

/** The `user` the chain gives an item with these attributes (what the collector's statements do). */
export function resolveUser(attributes: Readonly<Record<string, unknown>>, chain: readonly string[] = DEFAULT_IDENTITY_CHAIN): string | undefined {
  for (const k of chain) {
    const v = attributes[k];
    if (v !== undefined && v !== null && v !== "") return k === INSTALLATION_ATTRIBUTE ? `${INSTALLATION_PREFIX}${String(v)}` : String(v);
  }
  return undefined;
}

/** Attributes every usage series keeps: the org attributes, the client (CLI or desktop) and the person. */
export const COMMON_ATTRIBUTES = [...ORG_ATTRIBUTES, "service.name", USER_ATTRIBUTE] as const;

export interface UsageCounter {
  /** Prometheus name of the series the collector writes: a gauge of amounts added. */
  readonly series: string;
  /** The Claude Code counter it sums. */
  readonly metric: MetricKey;
  /** The counter's own attributes kept on top of COMMON_ATTRIBUTES. */
  readonly own: readonly string[];
  /** Prometheus labels of the series: what dashboards group and filter by. */
  readonly by: readonly string[];
}

function counter(series: string, metric: MetricKey, own: readonly string[] = []): UsageCounter {
  return { series, metric, own, by: [...COMMON_ATTRIBUTES, ...own].map(promLabel) };
}

/** Every Claude Code counter the dashboards read, as per-person increments. */
export const USAGE_COUNTERS = {
  cost: counter("claude_code_cost_usd_increment", "cost", ["model"]),
  tokens: counter("claude_code_tokens_increment", "tokens", ["model", "type"]),
  activeTime: counter("claude_code_active_seconds_increment", "activeTime", ["type"]),
  sessions: counter("claude_code_sessions_increment", "session"),
  linesOfCode: counter("claude_code_lines_of_code_increment", "linesOfCode", ["type"]),
  commits: counter("claude_code_commits_increment", "commit"),
  pullRequests: counter("claude_code_pull_requests_increment", "pullRequest"),
  editDecisions: counter("claude_code_edit_decisions_increment", "editDecision", ["decision", "language"]),
} as const satisfies Record<string, UsageCounter>;

/**
 * Where the money goes: cost and tokens per query source (main, subagent, auxiliary) and per
 * subagent, skill, plugin, MCP server and tool, per person. Separate series, so the many everyday
 * queries on USAGE_COUNTERS never touch these labels. The client bounds the names (custom agents
 * and MCP servers arrive as "custom", third-party skills and plugins as "third-party"); the
 * collector cuts every value at privacy.maxLabelValueLength and maps unknown query sources to "other".
 */
export const ATTRIBUTED_COUNTERS = {
  cost: counter("claude_code_attributed_cost_usd_increment", "cost", ["model", "query_source", ...ATTRIBUTION_NAMES]),
  // All token types in one sum: the attribution panels add them up, and a `type` label would make four times the series.
  tokens: counter("claude_code_attributed_tokens_increment", "tokens", ["model", "query_source", ...ATTRIBUTION_NAMES]),
} as const satisfies Record<string, UsageCounter>;

/** Attribution labels on the attributed series (and the error and refusal counts), as Prometheus names them. */
export const ATTRIBUTION_LABELS = {
  agent: promLabel("agent.name"),
  skill: promLabel("skill.name"),
  plugin: promLabel("plugin.name"),
  mcpServer: promLabel("mcp_server.name"),
  mcpTool: promLabel("mcp_tool.name"),
} as const satisfies Record<string, string>;

/**
 * Activity: per person and batch, how many non-zero Claude Code data points they sent. A sample
 * means the person used Claude Code then: the people panels count who has samples in a range.
 */
export const USER_ACTIVITY = {
  series: "claude_code_user_activity",
  by: COMMON_ATTRIBUTES.map(promLabel),
} as const;

/** Every usage series name, for matchers that take them all. */
export const USAGE_SERIES: readonly string[] = [
  ...[...Object.values(USAGE_COUNTERS), ...Object.values(ATTRIBUTED_COUNTERS)].map((c) => c.series),
  USER_ACTIVITY.series,
];

export interface ApiEventCounter {
  /** Prometheus name of the series: a gauge of events counted per batch. */
  readonly series: string;
  /** The Claude Code event counted. */
  readonly event: EventKey;
  /** The event's own attributes kept as labels (when present). */
  readonly own: readonly string[];
  /** An OTTL condition on `log` the event must also meet. */
  readonly where?: string;
}

/** Final refusals only: a refusal the server's model fallback retried was never seen by the developer. */
const FINAL_REFUSAL = `not (log.attributes["server_fallback_hop"] == true or log.attributes["server_fallback_hop"] == "true")`;

/**
 * Events counted per batch, per org labels and their own attributes, without the person (an error
 * rate is the service's, not a developer's): API requests and errors (for the error alerts, and
 * errors per subagent, skill, plugin and MCP server), refusals, exhausted retries, compactions,
 * subagent runs, skill activations, plugins loaded and MCP server connections. Events whose
 * attribute is absent land in the series without that label.
 */
export const API_EVENT_COUNTERS = {
  requests: { series: "claude_code_api_requests_increment", event: "apiRequest", own: ["model"] },
  errors: { series: "claude_code_api_errors_increment", event: "apiError", own: ["model", "status_code", ...ATTRIBUTION_NAMES] },
  refusals: { series: "claude_code_api_refusals_increment", event: "apiRefusal", own: ["model", ...ATTRIBUTION_NAMES], where: FINAL_REFUSAL },
  retriesExhausted: { series: "claude_code_api_retries_exhausted_increment", event: "apiRetriesExhausted", own: ["model", "status_code"] },
  compactions: { series: "claude_code_compactions_increment", event: "compaction", own: ["trigger", "success"] },
  subagentRuns: { series: "claude_code_subagent_runs_increment", event: "subagentCompleted", own: ["agent_type"] },
  skillActivations: { series: "claude_code_skill_activations_increment", event: "skillActivated", own: ["skill.name", "plugin.name", "invocation_trigger"] },
  pluginLoads: { series: "claude_code_plugin_loads_increment", event: "pluginLoaded", own: ["plugin.name", "plugin.scope"] },
  mcpConnections: {
    series: "claude_code_mcp_connections_increment",
    event: "mcpServerConnection",
    own: ["status", "transport_type", "server_scope", "plugin.name", "error_code", "server_name"],
  },
} as const satisfies Record<string, ApiEventCounter>;

/** Attributes every API event series keeps besides its own. */
export const API_EVENT_COMMON_ATTRIBUTES = [...ORG_ATTRIBUTES, "service.name"] as const;
