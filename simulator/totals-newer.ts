// Expected totals of what attribution and fleet dashboards read: cost and tokens by query source
// and by each attribution key, and counts of the newer clients' events. Like totals.ts, summed from
// the model (sessions, steps), not from the emitted records.
import type { EVENTS } from "../components/claude/telemetry.js";
import type { SimSession } from "./model.js";
import type { Attribution, SimApiError, SimRequest, SimStep } from "./steps.js";
import { TOKEN_TYPES } from "./profiles.js";

export type EventName = (typeof EVENTS)[keyof typeof EVENTS]["name"];

/** Sums keyed by attribute value; requests (or events) without the attribute are under "". */
export type ByValue = Readonly<Record<string, number>>;

export interface AttributionSums {
  readonly querySource: ByValue;
  /** `agent.name`, `skill.name`, `plugin.name`, `mcp_server.name`, `mcp_tool.name`. */
  readonly agent: ByValue;
  readonly skill: ByValue;
  readonly plugin: ByValue;
  readonly mcpServer: ByValue;
  readonly mcpTool: ByValue;
}

export interface NewerTotals {
  /** Cost (USD) of every request, by query source and by each attribution key. */
  readonly costBy: AttributionSums;
  /** Tokens of every request (all four types summed), likewise. */
  readonly tokensBy: AttributionSums;
  /** Refused requests: `final` = api_refusal events with server_fallback_hop "false"; by attribution of the refused request. */
  readonly refusals: {
    readonly final: number;
    readonly byAgent: ByValue;
    readonly bySkill: ByValue;
    readonly byPlugin: ByValue;
    readonly byMcpServer: ByValue;
  };
  /** `api_error` events by the attribution they carry ("" for older clients, which send none). */
  readonly apiErrors: { readonly byAgent: ByValue; readonly bySkill: ByValue; readonly byMcpServer: ByValue };
  readonly compactions: { readonly total: number; readonly auto: number; readonly manual: number };
  /** `subagent_completed` by agent_type. */
  readonly subagentCompletions: ByValue;
  /** `skill_activated` by skill.name. */
  readonly skillActivations: ByValue;
  /** `plugin_loaded` by plugin.name. */
  readonly pluginLoads: ByValue;
  /** `mcp_server_connection` by status. */
  readonly mcpConnections: { readonly connected: number; readonly failed: number; readonly disconnected: number };
}

type Counts = Record<string, number>;
type Sums = Record<keyof AttributionSums, Counts>;

const add = (m: Counts, k: string | undefined, v: number) => (m[k ?? ""] = (m[k ?? ""] ?? 0) + v);
const sums = (): Sums => ({ querySource: {}, agent: {}, skill: {}, plugin: {}, mcpServer: {}, mcpTool: {} });

function addAttributed(into: Sums, querySource: string, a: Attribution, v: number): void {
  add(into.querySource, querySource, v);
  add(into.agent, a.agent, v);
  add(into.skill, a.skill, v);
  add(into.plugin, a.plugin, v);
  add(into.mcpServer, a.mcpServer, v);
  add(into.mcpTool, a.mcpTool, v);
}

/** Collects the newer totals while totals.ts walks the model; counts the newer events into `events`. */
export class NewerTotalsCollector {
  private readonly costBy = sums();
  private readonly tokensBy = sums();
  private readonly refusals = { final: 0, byAgent: {} as Counts, bySkill: {} as Counts, byPlugin: {} as Counts, byMcpServer: {} as Counts };
  private readonly apiErrors = { byAgent: {} as Counts, bySkill: {} as Counts, byMcpServer: {} as Counts };
  private readonly compactions = { total: 0, auto: 0, manual: 0 };
  private readonly subagentCompletions: Counts = {};
  private readonly skillActivations: Counts = {};
  private readonly pluginLoads: Counts = {};
  private readonly mcpConnections = { connected: 0, failed: 0, disconnected: 0 };

  constructor(private readonly events: Record<EventName, number>) {}

  session(s: SimSession): void {
    if (!s.installation.newer) return;
    for (const p of s.person.plugins) add(this.pluginLoads, p.profile.name, 1);
    this.events.plugin_loaded += s.person.plugins.length;
    for (const c of s.mcpConnections) {
      this.mcpConnections[c.status]++;
      if (c.status === "connected") this.mcpConnections.disconnected++;
      this.events.mcp_server_connection += c.status === "connected" ? 2 : 1;
    }
  }

  /** Any step but a tool use (totals.ts counts those). */
  step(step: Exclude<SimStep, { kind: "tool" }>): void {
    if (step.kind === "request") this.request(step);
    else if (step.kind === "error") this.error(step);
    else if (step.kind === "skill") {
      this.events.skill_activated++;
      add(this.skillActivations, step.skill.name, 1);
    } else if (step.kind === "subagent") {
      this.events.subagent_completed++;
      add(this.subagentCompletions, step.agent, 1);
    } else {
      this.events.compaction++;
      this.compactions.total++;
      this.compactions[step.trigger]++;
    }
  }

  private request(r: SimRequest): void {
    addAttributed(this.costBy, r.querySource, r.attribution, r.costUsd);
    addAttributed(
      this.tokensBy,
      r.querySource,
      r.attribution,
      TOKEN_TYPES.reduce((sum, t) => sum + r.tokens[t], 0),
    );
    if (!r.refusal) return;
    this.events.api_refusal += r.refusal.fallbackHop ? 2 : 1;
    const a = r.attribution;
    this.refusals.final++;
    add(this.refusals.byAgent, a.agent, 1);
    add(this.refusals.bySkill, a.skill, 1);
    add(this.refusals.byPlugin, a.plugin, 1);
    add(this.refusals.byMcpServer, a.mcpServer, 1);
  }

  private error(e: SimApiError): void {
    const a = e.newer?.attribution ?? {};
    add(this.apiErrors.byAgent, a.agent, 1);
    add(this.apiErrors.bySkill, a.skill, 1);
    add(this.apiErrors.byMcpServer, a.mcpServer, 1);
    if (e.newer && e.attempt > 1) this.events.api_retries_exhausted++;
  }

  totals(): NewerTotals {
    return {
      costBy: this.costBy,
      tokensBy: this.tokensBy,
      refusals: this.refusals,
      apiErrors: this.apiErrors,
      compactions: this.compactions,
      subagentCompletions: this.subagentCompletions,
      skillActivations: this.skillActivations,
      pluginLoads: this.pluginLoads,
      mcpConnections: this.mcpConnections,
    };
  }
}
