// What happens inside one simulated prompt, as data: API requests (with an occasional refusal),
// API errors, tool uses, and the newer clients' skill activations, subagent runs and compactions.
// prompts.ts builds these; records.ts turns them into metrics and events.
import type { TokenType } from "./profiles.js";
import type { PluginProfile, SkillProfile } from "./extensions.js";

export type QuerySource = "main" | "subagent" | "auxiliary";

/** Who a request's cost is attributed to (newer clients only), with the values the client reports. */
export interface Attribution {
  readonly agent?: string;
  readonly skill?: string;
  readonly plugin?: string;
  readonly mcpServer?: string;
  readonly mcpTool?: string;
}

/** A response that ended with stop_reason "refusal"; the prompt ends with it. */
export interface SimRefusal {
  /**
   * Set when the server first answered from a fallback that refused too (`api_refusal` with
   * server_fallback_hop "true", its own request id), before the final refusal (hop "false").
   */
  readonly fallbackHop?: { readonly requestId: string };
  readonly hasCategory: boolean;
  readonly hasExplanation: boolean;
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
  /** Newer clients only: the request was refused (`api_refusal` after its `api_request`). */
  readonly refusal?: SimRefusal;
}

export interface SimApiError {
  readonly kind: "error";
  readonly atMs: number;
  readonly model: string;
  readonly error: string;
  readonly statusCode?: number;
  readonly durationMs: number;
  /** Attempts made; above 1, newer clients also send `api_retries_exhausted`. */
  readonly attempt: number;
  /** Newer clients only: the attributes they add to `api_error` (request id only with an HTTP answer). */
  readonly newer?: {
    readonly querySource: QuerySource;
    readonly requestId?: string;
    readonly speed?: string;
    readonly effort?: string;
    /** The attribution of the turn the error happened in. */
    readonly attribution: Attribution;
  };
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

/** A skill used by the prompt (`skill_activated`, newer clients). */
export interface SimSkillUse {
  readonly kind: "skill";
  readonly atMs: number;
  readonly skill: SkillProfile;
  /** The plugin that provides it, if any. */
  readonly plugin?: PluginProfile;
  readonly trigger: "user-slash" | "claude-proactive" | "nested-skill";
}

/** The end of a subagent run started by the Task tool (`subagent_completed`, newer clients). */
export interface SimSubagentRun {
  readonly kind: "subagent";
  readonly atMs: number;
  /** `agent_type`: the agent's name as reported ("custom" for user-defined agents). */
  readonly agent: string;
  readonly durationMs: number;
}

/** A finished conversation compaction (`compaction`, newer clients); `atMs` is when it ended. */
export interface SimCompaction {
  readonly kind: "compaction";
  readonly atMs: number;
  readonly trigger: "auto" | "manual";
  readonly success: boolean;
  readonly durationMs: number;
  readonly preTokens: number;
  /** Successful compactions only. */
  readonly postTokens?: number;
  /** Failed compactions only. */
  readonly error?: string;
}

export type SimStep = SimRequest | SimApiError | SimToolUse | SimSkillUse | SimSubagentRun | SimCompaction;

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
