// One prompt of a simulated session: the API requests it makes (main loop, auxiliary, subagents),
// the tools it runs with their permission decisions, and an occasional API error. Newer clients
// also use skills, report subagent runs, compact the conversation and now and then get a refusal;
// those draws come from a stream of their own, so the older draws keep their values.
import type { Random } from "./random.js";
import { MCP_TOOL_NAME } from "../components/claude/telemetry.js";
import {
  ACCEPT_SOURCES,
  API_ERRORS,
  AUTO_COMPACT_TOKENS,
  COMPACTION_ERRORS,
  DEFAULT_TOOL_ERROR,
  AUTO_ALLOWED_TOOLS,
  EDIT_TOOLS,
  EFFORTS,
  LANGUAGES,
  MANUAL_COMPACT_SHARE,
  MODELS,
  REFUSAL_FALLBACK_SHARE,
  REFUSAL_SHARE,
  REJECT_SOURCES,
  REJECTED_TOOL_ERROR,
  SKILL_TRIGGERS,
  SUBAGENTS,
  TOOL_ERRORS,
  TOOL_WEIGHTS,
  type ModelProfile,
  type TokenType,
} from "./profiles.js";
import type { AvailableSkill, SimMcpServer } from "./extensions.js";
import type { Attribution, QuerySource, SimCompaction, SimPrompt, SimRequest, SimStep, SimToolUse } from "./steps.js";

/** What a prompt knows about its session: the client's age, the person's skills, the servers connected. */
export interface PromptContext {
  readonly newer: boolean;
  /** Never empty: bundled skills are always there. */
  readonly skills: readonly AvailableSkill[];
  /** MCP servers connected in this session; without any, no MCP tool is used. */
  readonly mcpServers: readonly SimMcpServer[];
}

type Unplaced<S> = S extends SimToolUse ? Omit<S, "atMs" | "endMs"> : Omit<S, "atMs">;

interface Draft {
  readonly off: number;
  readonly endOff?: number;
  readonly step: Unplaced<SimStep>;
}

const TOOLS_WITHOUT_MCP = TOOL_WEIGHTS.filter(([name]) => name !== MCP_TOOL_NAME);

function cost(model: ModelProfile, tokens: Record<TokenType, number>): number {
  const p = model.price;
  return (tokens.input * p.input + tokens.output * p.output + tokens.cacheRead * p.cacheRead + tokens.cacheCreation * p.cacheCreation) / 1e6;
}

const requestId = (rng: Random) => `req_011C${rng.base58(20)}`;

function request(
  rng: Random,
  model: ModelProfile,
  querySource: QuerySource,
  tokens: Record<TokenType, number>,
  style: { speed?: string; effort?: string },
  attribution: Attribution,
): Omit<SimRequest, "atMs"> {
  return {
    kind: "request",
    model: model.id,
    querySource,
    ...style,
    tokens,
    costUsd: cost(model, tokens),
    durationMs: Math.round(500 + tokens.output * rng.float(8, 25)),
    requestId: requestId(rng),
    attribution,
  };
}

function toolUse(rng: Random, model: ModelProfile, servers: readonly SimMcpServer[]): Omit<SimToolUse, "atMs" | "endMs"> & { mcp?: Attribution } {
  let toolName: string = rng.weighted(TOOL_WEIGHTS);
  if (toolName === MCP_TOOL_NAME && servers.length === 0) toolName = rng.weighted(TOOLS_WITHOUT_MCP);
  const auto = AUTO_ALLOWED_TOOLS.includes(toolName);
  const reject = !auto && rng.chance(0.08);
  const success = !reject && rng.chance(0.94);
  const decisionSource = auto ? "config" : rng.weighted(reject ? REJECT_SOURCES : ACCEPT_SOURCES);
  const perTool: Record<string, [number, number]> = { Bash: [200, 30_000], WebFetch: [400, 6_000], WebSearch: [800, 8_000], [MCP_TOOL_NAME]: [100, 4_000] };
  const [lo, hi] = perTool[toolName] ?? [5, 150];
  const base = {
    kind: "tool" as const,
    toolName,
    toolSource: toolName === MCP_TOOL_NAME ? ("mcp" as const) : ("builtin" as const),
    decision: reject ? ("reject" as const) : ("accept" as const),
    decisionSource,
    success,
    error: reject ? REJECTED_TOOL_ERROR : success ? undefined : rng.pick(TOOL_ERRORS[toolName] ?? [DEFAULT_TOOL_ERROR]),
    durationMs: reject ? rng.int(0, 5) : rng.int(lo, hi),
    inputBytes: rng.skewed(300, 1, 10, 20_000),
    resultBytes: reject ? 0 : rng.skewed(2_000, 1.2, 0, 200_000),
  };
  if (EDIT_TOOLS.includes(toolName)) {
    const [added, removed] =
      toolName === "Write"
        ? [rng.skewed(80, 0.8, 1, 800), 0]
        : toolName === "Edit"
          ? [rng.skewed(8, 1, 0, 200), rng.skewed(5, 1, 0, 150)]
          : [rng.int(1, 20), rng.int(0, 10)];
    return { ...base, edit: { language: rng.weighted(LANGUAGES), added, removed, model: model.id } };
  }
  if (toolName === "Bash" && success) {
    const vcs = rng.weighted([
      ["commit", 12],
      ["pull_request", 4],
      [undefined, 84],
    ] as const);
    return vcs ? { ...base, vcs } : base;
  }
  if (toolName === MCP_TOOL_NAME) {
    const { server, plugin } = rng.pick(servers);
    return { ...base, mcp: { mcpServer: server.name, mcpTool: rng.pick(server.tools), ...(plugin ? { plugin: plugin.name } : {}) } };
  }
  return base;
}

/**
 * A compaction of `pre` tokens of context: a summarising request on the main model (reported as
 * auxiliary), then the `compaction` event when it ends. A failed one makes no request.
 */
function compaction(
  rng: Random,
  trigger: SimCompaction["trigger"],
  pre: number,
  main: ModelProfile,
  style: { speed?: string; effort?: string },
): { request?: Omit<SimRequest, "atMs">; event: Omit<SimCompaction, "atMs"> } {
  if (!rng.chance(0.97)) {
    const event = { kind: "compaction" as const, trigger, success: false, durationMs: rng.skewed(4_000, 0.8, 200, 60_000), preTokens: pre };
    return { event: { ...event, error: rng.pick(COMPACTION_ERRORS) } };
  }
  const summary = Math.round(pre * rng.float(0.06, 0.15));
  const tokens = { input: rng.skewed(400, 0.5, 50, 4_000), output: summary, cacheRead: pre, cacheCreation: 0 };
  const req = request(rng, main, "auxiliary", tokens, style, {});
  const postTokens = summary + rng.skewed(3_000, 0.4, 500, 15_000); // the summary plus the system prompt and tools
  return { request: req, event: { kind: "compaction", trigger, success: true, durationMs: req.durationMs, preTokens: pre, postTokens } };
}

/** A prompt submitted at `atMs`, squeezed into `slotMs` (until the next prompt) if it would overrun. */
export function buildPrompt(rng: Random, atMs: number, slotMs: number, main: ModelProfile, ctx: PromptContext): SimPrompt {
  const newer = ctx.newer;
  // Newer clients' own draws: a separate stream, so the draws below stay those of older versions.
  const extra = newer ? rng.fork("newer") : undefined;
  const style = newer ? { speed: main === MODELS.opus && rng.chance(0.1) ? "fast" : "normal", effort: rng.weighted(EFFORTS) } : {};
  const used = newer && rng.chance(0.12) ? rng.pick(ctx.skills) : undefined;
  const skillAttribution: Attribution = used ? { skill: used.skill.name, ...(used.plugin ? { plugin: used.plugin.name } : {}) } : {};
  const drafts: Draft[] = [];
  let off = rng.int(50, 400);
  if (used && extra)
    drafts.push({ off, step: { kind: "skill", skill: used.skill, ...(used.plugin ? { plugin: used.plugin } : {}), trigger: extra.weighted(SKILL_TRIGGERS) } });
  if (rng.chance(0.3)) {
    const tokens = { input: rng.skewed(600, 0.5, 50, 5_000), output: rng.skewed(25, 0.5, 1, 200), cacheRead: 0, cacheCreation: 0 };
    const step = request(rng, MODELS.haiku, "auxiliary", tokens, style, {});
    drafts.push({ off, step });
    off += step.durationMs;
  }
  let context = rng.skewed(15_000, 0.6, 2_000, 120_000);
  let compacted = false; // at most one compaction a prompt: a failed one is not retried at once
  const compact = (trigger: SimCompaction["trigger"]) => {
    if (!extra || compacted) return;
    compacted = true;
    const c = compaction(extra, trigger, context, main, style);
    if (c.request) drafts.push({ off, step: c.request });
    off += c.event.durationMs;
    drafts.push({ off, step: c.event });
    if (c.event.postTokens !== undefined) context = c.event.postTokens;
  };
  if (extra && extra.chance(MANUAL_COMPACT_SHARE) && context > 20_000) compact("manual");
  let mcpAttribution: Attribution = {};
  const requests = rng.int(1, 5);
  for (let r = 0; r < requests; r++) {
    if (context > AUTO_COMPACT_TOKENS) compact("auto");
    const turn: Attribution = newer ? { ...skillAttribution, ...mcpAttribution } : {};
    if (rng.chance(0.03)) {
      const [error, statusCode] = rng.weighted(API_ERRORS.map(([e, s, w]) => [[e, s] as const, w] as const));
      const durationMs = rng.skewed(15_000, 0.8, 300, 300_000);
      const attempt = rng.chance(0.2) ? 1 : rng.int(3, 11);
      const details = extra
        ? { newer: { querySource: "main" as const, ...(statusCode ? { requestId: requestId(extra) } : {}), ...style, attribution: turn } }
        : {};
      drafts.push({ off, step: { kind: "error", model: main.id, error, ...(statusCode ? { statusCode } : {}), durationMs, attempt, ...details } });
      off += durationMs;
      break; // retries are exhausted: the prompt ends here
    }
    const cacheCreation = rng.chance(0.1) ? 0 : rng.skewed(r === 0 ? 3_000 : 900, 0.9, 0, 60_000);
    const tokens = { input: rng.skewed(300, 1, 1, 20_000), output: rng.skewed(450, 1, 1, 16_000), cacheRead: context, cacheCreation };
    const step = request(rng, main, "main", tokens, style, turn);
    if (extra?.chance(REFUSAL_SHARE)) {
      const fallbackHop = extra.chance(REFUSAL_FALLBACK_SHARE) ? { fallbackHop: { requestId: requestId(extra) } } : {};
      drafts.push({ off, step: { ...step, refusal: { ...fallbackHop, hasCategory: extra.chance(0.7), hasExplanation: extra.chance(0.4) } } });
      off += step.durationMs;
      break; // a refusal ends the turn
    }
    drafts.push({ off, step });
    off += step.durationMs;
    context += cacheCreation + tokens.output;
    mcpAttribution = {};
    if (r === requests - 1) break;
    for (let t = rng.int(1, 3); t > 0; t--) {
      const { mcp, ...tool } = toolUse(rng, main, ctx.mcpServers);
      const start = off;
      if (tool.toolName === "Task" && tool.decision === "accept") {
        const agent = rng.pick(SUBAGENTS);
        const model = agent === "Explore" ? MODELS.haiku : main;
        for (let s = rng.int(1, 3); s > 0; s--) {
          const tokens = {
            input: rng.skewed(200, 1, 1, 10_000),
            output: rng.skewed(350, 1, 1, 8_000),
            cacheRead: rng.skewed(8_000, 0.7, 0, 80_000),
            cacheCreation: rng.skewed(1_500, 0.9, 0, 30_000),
          };
          const sub = request(rng, model, "subagent", tokens, style, newer ? { agent, ...skillAttribution } : {});
          off += 20;
          drafts.push({ off, step: sub });
          off += sub.durationMs;
        }
        if (newer) drafts.push({ off, step: { kind: "subagent", agent, durationMs: off - start } });
        drafts.push({ off: start, endOff: off + 10, step: { ...tool, durationMs: off + 10 - start } });
        off += 10 + rng.int(5, 60);
      } else {
        drafts.push({ off: start, endOff: start + 5 + tool.durationMs, step: tool });
        off += tool.durationMs + rng.int(5, 60);
      }
      if (mcp && tool.decision === "accept") mcpAttribution = mcp;
    }
  }
  // Squeeze the timeline into the slot when the natural one would run into the next prompt.
  const scale = Math.min(1, (0.9 * slotMs) / Math.max(off, 1));
  const at = (o: number) => atMs + Math.round(o * scale);
  const steps: SimStep[] = drafts
    .map((d): SimStep => (d.step.kind === "tool" ? { ...d.step, atMs: at(d.off), endMs: at(d.endOff ?? d.off) } : ({ ...d.step, atMs: at(d.off) } as SimStep)))
    .sort((a, b) => a.atMs - b.atMs);
  return {
    id: rng.uuid(),
    atMs,
    length: rng.skewed(180, 1.1, 1, 20_000),
    userSeconds: Math.min(rng.skewed(15, 0.6, 1, 180), Math.max(1, slotMs / 2000)),
    cliSeconds: Math.round(off * scale) / 1000,
    steps,
  };
}
