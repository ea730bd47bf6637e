// The catalog of what Claude Code emits over OTLP: metric and event names, units, attribute keys,
// and the names the raw metrics would get in Prometheus (the stack stores the collector's usage
// series instead: components/usage-series.ts; the benchmark's legacy design and tests use these).
// Everything that names a Claude Code signal (renderers, dashboards, rules, the simulator, tests)
// reads it from here, so a rename happens in one place.

export const METER_NAME = "com.anthropic.claude_code";

/** `service.name` values: the CLI and the desktop app. Filters must accept both. */
export const SERVICE_NAMES = ["claude-code", "claude-code-desktop"] as const;
/** PromQL / LogQL regex matching every Claude Code service name. */
export const SERVICE_NAME_REGEX = SERVICE_NAMES.join("|");

export interface MetricDef {
  /** OTel instrument name. */
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  /** Attribute keys besides the standard ones, with their known values where the set is closed. */
  readonly attributes: Readonly<Record<string, readonly string[] | "open">>;
  /** Name the raw metric gets after OTLP → Prometheus translation (dots → underscores, unit suffix, `_total`); not stored by the stack. */
  readonly prometheus: string;
}

/**
 * Who a request's cost is attributed to (newer clients; absent when not applicable). The client
 * itself bounds the values: user-defined agents and MCP servers arrive as "custom", third-party
 * skills and plugins as "third-party"; built-in and official marketplace names arrive as they are.
 */
export const ATTRIBUTION_NAMES = ["agent.name", "skill.name", "plugin.name", "mcp_server.name", "mcp_tool.name"] as const;

/** Cost and token attribution keys (the newer ones are optional on the wire). */
const ATTRIBUTION = {
  model: "open",
  query_source: ["main", "subagent", "auxiliary"],
  speed: "open",
  effort: "open",
  "agent.name": "open",
  "skill.name": "open",
  "plugin.name": "open",
  "mcp_server.name": "open",
  "mcp_tool.name": "open",
} as const;

export const METRICS = {
  session: {
    name: "claude_code.session.count",
    unit: "",
    description: "CLI sessions started",
    attributes: { start_type: "open" },
    prometheus: "claude_code_session_count_total",
  },
  linesOfCode: {
    name: "claude_code.lines_of_code.count",
    unit: "",
    description: "Lines of code added or removed",
    attributes: { type: ["added", "removed"], model: "open" },
    prometheus: "claude_code_lines_of_code_count_total",
  },
  pullRequest: {
    name: "claude_code.pull_request.count",
    unit: "",
    description: "Pull requests created",
    attributes: {},
    prometheus: "claude_code_pull_request_count_total",
  },
  commit: {
    name: "claude_code.commit.count",
    unit: "",
    description: "Git commits created",
    attributes: {},
    prometheus: "claude_code_commit_count_total",
  },
  cost: {
    name: "claude_code.cost.usage",
    unit: "USD",
    description: "Estimated cost (client-side estimate, not billing data)",
    attributes: ATTRIBUTION,
    prometheus: "claude_code_cost_usage_USD_total",
  },
  tokens: {
    name: "claude_code.token.usage",
    unit: "tokens",
    description: "Tokens used",
    attributes: { type: ["input", "output", "cacheRead", "cacheCreation"], ...ATTRIBUTION },
    prometheus: "claude_code_token_usage_tokens_total",
  },
  editDecision: {
    name: "claude_code.code_edit_tool.decision",
    unit: "",
    description: "Code edit tool permission decisions",
    attributes: {
      tool_name: ["Edit", "Write", "NotebookEdit"],
      decision: ["accept", "reject"],
      source: ["config", "hook", "user_permanent", "user_temporary", "user_abort", "user_reject"],
      language: "open",
    },
    prometheus: "claude_code_code_edit_tool_decision_total",
  },
  activeTime: {
    name: "claude_code.active_time.total",
    unit: "s",
    description: "Active time",
    attributes: { type: ["user", "cli"] },
    prometheus: "claude_code_active_time_seconds_total",
  },
} as const satisfies Record<string, MetricDef>;

export type MetricKey = keyof typeof METRICS;

/** Attributes on every metric data point and event (when their switch allows). */
export const STANDARD_ATTRIBUTES = [
  "session.id",
  "user.account_uuid",
  "user.account_id",
  "organization.id",
  "user.email",
  "user.id",
  "terminal.type",
  "app.version",
] as const;

/** Resource attributes Claude Code sets itself. */
export const RESOURCE_ATTRIBUTES = ["service.name", "service.version", "os.type", "os.version", "host.arch"] as const;

/**
 * Organisation attributes a platform team adds through `OTEL_RESOURCE_ATTRIBUTES`. Claude Code copies
 * them onto every data point; the collector also lifts them from the resource when a client turned
 * that copy off, so dashboards can always group by them.
 */
export const ORG_ATTRIBUTES = ["team", "department", "cost_center", "environment"] as const;

/** Prometheus label for an OTel attribute key (the translation the exporter applies). */
export function promLabel(attribute: string): string {
  return attribute.replace(/[^a-zA-Z0-9_]/g, "_");
}

export interface EventDef {
  /** `event.name` attribute value; the log body is `claude_code.<name>`. */
  readonly name: string;
  readonly attributes: readonly string[];
  /** Attributes only sent when a content-capture switch is on. */
  readonly optIn?: Readonly<Record<string, string>>;
}

export const EVENTS = {
  userPrompt: {
    name: "user_prompt",
    attributes: ["prompt_length", "prompt.id"],
    optIn: { prompt: "OTEL_LOG_USER_PROMPTS" },
  },
  apiRequest: {
    name: "api_request",
    attributes: [
      "model",
      "cost_usd",
      "duration_ms",
      "input_tokens",
      "output_tokens",
      "cache_read_tokens",
      "cache_creation_tokens",
      "request_id",
      "query_source",
      "effort",
      "speed",
      ...ATTRIBUTION_NAMES,
      "prompt.id",
    ],
  },
  apiError: {
    name: "api_error",
    attributes: ["model", "error", "status_code", "duration_ms", "attempt", "request_id", "query_source", "effort", "speed", ...ATTRIBUTION_NAMES, "prompt.id"],
  },
  /** A response that ended with stop_reason "refusal" (not an HTTP error). Newer. */
  apiRefusal: {
    name: "api_refusal",
    attributes: [
      "model",
      "request_id",
      "query_source",
      "speed",
      "effort",
      "attempt",
      "server_fallback_hop",
      "has_category",
      "has_explanation",
      ...ATTRIBUTION_NAMES,
      "prompt.id",
    ],
  },
  /** Sent once, beside the final api_error, when a request failed after several attempts. Newer. */
  apiRetriesExhausted: {
    name: "api_retries_exhausted",
    attributes: ["model", "error", "status_code", "total_attempts", "total_retry_duration_ms", "speed", "prompt.id"],
  },
  /** A conversation compaction finished. Newer. */
  compaction: {
    name: "compaction",
    attributes: ["trigger", "success", "duration_ms", "pre_tokens", "post_tokens", "error", "prompt.id"],
  },
  /** A subagent run ended; `agent_type` names it (user-defined agents as "custom"). Newer. */
  subagentCompleted: {
    name: "subagent_completed",
    attributes: ["agent_type", "duration_ms", "prompt.id"],
  },
  /** A skill was invoked (by Claude or as a slash command). Newer. */
  skillActivated: {
    name: "skill_activated",
    attributes: ["skill.name", "invocation_trigger", "skill.source", "plugin.name", "marketplace.name", "prompt.id"],
  },
  /** Once per enabled plugin at session start: the fleet's plugin inventory. Newer. */
  pluginLoaded: {
    name: "plugin_loaded",
    attributes: ["plugin.name", "marketplace.name", "plugin.version", "plugin.scope", "enabled_via", "plugin_id_hash", "has_hooks", "has_mcp"],
  },
  /** An MCP server connected, disconnected or failed to connect. Newer. */
  mcpServerConnection: {
    name: "mcp_server_connection",
    attributes: ["status", "transport_type", "server_scope", "duration_ms", "error_code", "is_plugin", "plugin_id_hash", "plugin.name"],
    optIn: { server_name: "OTEL_LOG_TOOL_DETAILS", error: "OTEL_LOG_TOOL_DETAILS" },
  },
  toolResult: {
    name: "tool_result",
    attributes: [
      "tool_name",
      "success",
      "duration_ms",
      "error",
      "decision_type",
      "decision_source",
      "tool_input_size_bytes",
      "tool_result_size_bytes",
      "prompt.id",
    ],
    optIn: { tool_parameters: "OTEL_LOG_TOOL_DETAILS", tool_input: "OTEL_LOG_TOOL_DETAILS" },
  },
  toolDecision: {
    name: "tool_decision",
    attributes: ["tool_name", "decision", "source", "tool_source", "prompt.id"],
  },
} as const satisfies Record<string, EventDef>;

export type EventKey = keyof typeof EVENTS;

/** Log body of an event as it arrives on the wire. */
export function eventBody(event: EventDef): string {
  return `claude_code.${event.name}`;
}

/** Attributes common to every event besides the standard ones. */
export const EVENT_COMMON_ATTRIBUTES = ["event.name", "event.timestamp", "event.sequence"] as const;

/** Tool name reported for every user-configured MCP tool. */
export const MCP_TOOL_NAME = "mcp_tool";
