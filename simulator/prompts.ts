// One prompt of a simulated session: the API requests it makes (main loop, auxiliary, subagents),
// the tools it runs with their permission decisions, and an occasional API error.
import type { Random } from "./random.js";
import { MCP_TOOL_NAME } from "../components/claude/telemetry.js";
import {
  ACCEPT_SOURCES,
  API_ERRORS,
  DEFAULT_TOOL_ERROR,
  AUTO_ALLOWED_TOOLS,
  EDIT_TOOLS,
  EFFORTS,
  LANGUAGES,
  MCP_SERVERS,
  MODELS,
  REJECT_SOURCES,
  REJECTED_TOOL_ERROR,
  SKILLS,
  SUBAGENTS,
  TOOL_ERRORS,
  TOOL_WEIGHTS,
  type ModelProfile,
  type TokenType,
} from "./profiles.js";

export type QuerySource = "main" | "subagent" | "auxiliary";

/** Who a request's cost is attributed to (newer clients only). */
export interface Attribution {
  readonly agent?: string;
  readonly skill?: string;
  readonly plugin?: string;
  readonly mcpServer?: string;
  readonly mcpTool?: string;
}

export interface SimRequest {
  readonly kind: "request";
  readonly atMs: number;
  readonly model: string;
  readonly querySource: QuerySource;
  /** `speed` / `effort`: sent by newer clients only. */
  readonly speed?: string;
  readonly effort?: string;
  readonly tokens: Readonly<Record<TokenType, number>>;
  readonly costUsd: number;
  readonly durationMs: number;
  readonly requestId: string;
  readonly attribution: Attribution;
}

export interface SimApiError {
  readonly kind: "error";
  readonly atMs: number;
  readonly model: string;
  readonly error: string;
  readonly statusCode?: number;
  readonly durationMs: number;
  readonly attempt: number;
}

export interface SimToolUse {
  readonly kind: "tool";
  /** Permission decision time (`tool_decision`); the result (`tool_result`) comes at `endMs`. */
  readonly atMs: number;
  readonly endMs: number;
  readonly toolName: string;
  readonly toolSource: "builtin" | "mcp";
  readonly decision: "accept" | "reject";
  readonly decisionSource: string;
  readonly success: boolean;
  readonly error?: string;
  readonly durationMs: number;
  readonly inputBytes: number;
  readonly resultBytes: number;
  /** Edit, Write, NotebookEdit: language always; lines only count when accepted and successful. */
  readonly edit?: { readonly language: string; readonly added: number; readonly removed: number; readonly model: string };
  /** A Bash run that created a commit or a pull request. */
  readonly vcs?: "commit" | "pull_request";
}

export type SimStep = SimRequest | SimApiError | SimToolUse;

export interface SimPrompt {
  /** `prompt.id`. */
  readonly id: string;
  readonly atMs: number;
  /** `prompt_length` (the prompt text itself is never modelled or sent). */
  readonly length: number;
  /** Active time: typing (`type=user`) and processing (`type=cli`), in seconds. */
  readonly userSeconds: number;
  readonly cliSeconds: number;
  /** In time order (a tool's result may come after the subagent requests it made). */
  readonly steps: readonly SimStep[];
}

interface Draft {
  readonly off: number;
  readonly endOff?: number;
  readonly step: Omit<SimRequest, "atMs"> | Omit<SimApiError, "atMs"> | Omit<SimToolUse, "atMs" | "endMs">;
}

function cost(model: ModelProfile, tokens: Record<TokenType, number>): number {
  const p = model.price;
  return (tokens.input * p.input + tokens.output * p.output + tokens.cacheRead * p.cacheRead + tokens.cacheCreation * p.cacheCreation) / 1e6;
}

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
    requestId: `req_011C${rng.base58(20)}`,
    attribution,
  };
}

function toolUse(rng: Random, model: ModelProfile): Omit<SimToolUse, "atMs" | "endMs"> & { mcp?: Attribution } {
  const toolName: string = rng.weighted(TOOL_WEIGHTS);
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
    const [server, tools] = rng.pick(MCP_SERVERS);
    return { ...base, mcp: { mcpServer: server, mcpTool: rng.pick(tools) } };
  }
  return base;
}

/** A prompt submitted at `atMs`, squeezed into `slotMs` (until the next prompt) if it would overrun. */
export function buildPrompt(rng: Random, atMs: number, slotMs: number, main: ModelProfile, newer: boolean): SimPrompt {
  const style = newer ? { speed: main === MODELS.opus && rng.chance(0.1) ? "fast" : "normal", effort: rng.weighted(EFFORTS) } : {};
  const [skill, plugin] = newer && rng.chance(0.12) ? rng.pick(SKILLS) : [undefined, undefined];
  const skillAttribution: Attribution = skill ? { skill, ...(plugin ? { plugin } : {}) } : {};
  const drafts: Draft[] = [];
  let off = rng.int(50, 400);
  if (rng.chance(0.3)) {
    const tokens = { input: rng.skewed(600, 0.5, 50, 5_000), output: rng.skewed(25, 0.5, 1, 200), cacheRead: 0, cacheCreation: 0 };
    const step = request(rng, MODELS.haiku, "auxiliary", tokens, style, {});
    drafts.push({ off, step });
    off += step.durationMs;
  }
  let context = rng.skewed(15_000, 0.6, 2_000, 120_000);
  let mcpAttribution: Attribution = {};
  const requests = rng.int(1, 5);
  for (let r = 0; r < requests; r++) {
    if (rng.chance(0.03)) {
      const [error, statusCode] = rng.weighted(API_ERRORS.map(([e, s, w]) => [[e, s] as const, w] as const));
      const durationMs = rng.skewed(15_000, 0.8, 300, 300_000);
      const attempt = rng.chance(0.2) ? 1 : rng.int(3, 11);
      drafts.push({ off, step: { kind: "error", model: main.id, error, ...(statusCode ? { statusCode } : {}), durationMs, attempt } });
      off += durationMs;
      break; // retries are exhausted: the prompt ends here
    }
    const cacheCreation = rng.chance(0.1) ? 0 : rng.skewed(r === 0 ? 3_000 : 900, 0.9, 0, 60_000);
    const tokens = { input: rng.skewed(300, 1, 1, 20_000), output: rng.skewed(450, 1, 1, 16_000), cacheRead: context, cacheCreation };
    const step = request(rng, main, "main", tokens, style, newer ? { ...skillAttribution, ...mcpAttribution } : {});
    drafts.push({ off, step });
    off += step.durationMs;
    context += cacheCreation + tokens.output;
    mcpAttribution = {};
    if (r === requests - 1) break;
    for (let t = rng.int(1, 3); t > 0; t--) {
      const { mcp, ...tool } = toolUse(rng, main);
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
    .map((d): SimStep => (d.step.kind === "tool" ? { ...d.step, atMs: at(d.off), endMs: at(d.endOff ?? d.off) } : { ...d.step, atMs: at(d.off) }))
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
