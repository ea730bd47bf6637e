// The events only newer clients send, with their attributes as on the wire: plugin inventory and
// MCP connections at session start and end, refusals, exhausted retries, skill activations,
// subagent completions and compactions. records.ts calls these while it numbers the events.
import type { EVENTS, EventKey } from "../components/claude/telemetry.js";
import { pluginIdHash } from "./extensions.js";
import type { SimSession } from "./model.js";
import type { Attribution, SimApiError, SimCompaction, SimRequest, SimSkillUse, SimSubagentRun } from "./steps.js";

type Value = string | number;
type Maybe<K extends string> = Partial<Record<K, Value | undefined>>;
export type EventAttrs<K extends EventKey> = Maybe<(typeof EVENTS)[K]["attributes"][number]>;
export type EventSink = <K extends EventKey>(atMs: number, key: K, attrs: EventAttrs<K>) => void;

/** Booleans travel as the strings "true" / "false". */
const flag = (b: boolean) => (b ? "true" : "false");

/** The attribution keys of a request, as on cost/token metrics and api_* events. */
export function attributionAttributes(a: Attribution) {
  return { "agent.name": a.agent, "skill.name": a.skill, "plugin.name": a.plugin, "mcp_server.name": a.mcpServer, "mcp_tool.name": a.mcpTool };
}

/** At start: `plugin_loaded` per enabled plugin, then each MCP server's connection attempt as it ends. */
export function sessionStartEvents(session: SimSession, event: EventSink): void {
  for (const { profile: p, version, enabledVia } of session.person.plugins) {
    event(session.startMs, "pluginLoaded", {
      "plugin.name": p.name,
      "marketplace.name": p.marketplace,
      "plugin.version": version,
      "plugin.scope": p.scope,
      enabled_via: enabledVia,
      plugin_id_hash: pluginIdHash(p),
      has_hooks: flag(p.hasHooks),
      has_mcp: flag(p.mcp !== undefined),
    });
  }
  for (const c of session.mcpConnections) {
    event(c.atMs, "mcpServerConnection", {
      status: c.status,
      transport_type: c.server.transport,
      server_scope: c.server.scope,
      duration_ms: c.durationMs,
      error_code: c.errorCode,
      ...pluginOf(c.plugin),
    });
  }
}

/** At the end: connected servers disconnect (duration: how long they were connected). */
export function sessionEndEvents(session: SimSession, event: EventSink): void {
  for (const c of session.mcpConnections) {
    if (c.status !== "connected") continue;
    event(session.endMs, "mcpServerConnection", {
      status: "disconnected",
      transport_type: c.server.transport,
      server_scope: c.server.scope,
      duration_ms: session.endMs - c.atMs,
      ...pluginOf(c.plugin),
    });
  }
}

function pluginOf(plugin: SimSession["mcpConnections"][number]["plugin"]) {
  return plugin ? { is_plugin: "true", plugin_id_hash: pluginIdHash(plugin), "plugin.name": plugin.name } : { is_plugin: "false" };
}

/** After a refused request's `api_request`: the fallback's refusal if any, then the final one. */
export function refusalEvents(r: SimRequest, pid: string, event: EventSink): void {
  if (!r.refusal) return;
  const { fallbackHop, hasCategory, hasExplanation } = r.refusal;
  const common = {
    model: r.model,
    query_source: r.querySource,
    speed: r.speed,
    effort: r.effort,
    has_category: flag(hasCategory),
    has_explanation: flag(hasExplanation),
    ...attributionAttributes(r.attribution),
    "prompt.id": pid,
  };
  if (fallbackHop) event(r.atMs, "apiRefusal", { ...common, request_id: fallbackHop.requestId, attempt: 1, server_fallback_hop: "true" });
  event(r.atMs, "apiRefusal", { ...common, request_id: r.requestId, attempt: fallbackHop ? 2 : 1, server_fallback_hop: "false" });
}

/** `api_error` as a newer client sends it, and `api_retries_exhausted` beside it after several attempts. */
export function newerErrorEvents(e: SimApiError, pid: string, event: EventSink): void {
  const n = e.newer;
  const base = { model: e.model, error: e.error, status_code: e.statusCode, duration_ms: e.durationMs, attempt: e.attempt, "prompt.id": pid };
  if (!n) {
    event(e.atMs, "apiError", base);
    return;
  }
  const { querySource, requestId, speed, effort, attribution } = n;
  event(e.atMs, "apiError", { ...base, request_id: requestId, query_source: querySource, effort, speed, ...attributionAttributes(attribution) });
  if (e.attempt > 1) {
    event(e.atMs, "apiRetriesExhausted", {
      model: e.model,
      error: e.error,
      status_code: e.statusCode,
      total_attempts: e.attempt,
      total_retry_duration_ms: e.durationMs,
      speed,
      "prompt.id": pid,
    });
  }
}

/** A skill activation, a subagent completion or a compaction. */
export function promptStepEvent(step: SimSkillUse | SimSubagentRun | SimCompaction, pid: string, event: EventSink): void {
  if (step.kind === "skill") {
    event(step.atMs, "skillActivated", {
      "skill.name": step.skill.name,
      invocation_trigger: step.trigger,
      "skill.source": step.skill.source,
      "plugin.name": step.plugin?.name,
      "marketplace.name": step.plugin?.marketplace,
      "prompt.id": pid,
    });
  } else if (step.kind === "subagent") {
    event(step.atMs, "subagentCompleted", { agent_type: step.agent, duration_ms: step.durationMs, "prompt.id": pid });
  } else {
    event(step.atMs, "compaction", {
      trigger: step.trigger,
      success: flag(step.success),
      duration_ms: step.durationMs,
      pre_tokens: step.preTokens,
      post_tokens: step.postTokens,
      error: step.error,
      "prompt.id": pid,
    });
  }
}
