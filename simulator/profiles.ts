// The vocabulary the model draws from: models and their prices, tools, languages, machines,
// client versions. Values follow what Claude Code reports; weights are plausible, not measured.
import { MCP_TOOL_NAME, METRICS } from "../components/claude/telemetry.js";

export interface ModelProfile {
  /** Model id as Claude Code reports it in `model`. */
  readonly id: string;
  /** USD per million tokens, by token type. */
  readonly price: { readonly input: number; readonly output: number; readonly cacheRead: number; readonly cacheCreation: number };
}

export const MODELS = {
  opus: {
    id: "claude-opus-4-5-20251101",
    price: { input: 5, output: 25, cacheRead: 0.5, cacheCreation: 6.25 },
  },
  sonnet: {
    id: "claude-sonnet-4-5-20250929",
    price: { input: 3, output: 15, cacheRead: 0.3, cacheCreation: 3.75 },
  },
  haiku: {
    id: "claude-haiku-4-5-20251001",
    price: { input: 1, output: 5, cacheRead: 0.1, cacheCreation: 1.25 },
  },
} as const satisfies Record<string, ModelProfile>;

/** Main-loop model a session uses. Auxiliary requests (titles, summaries) always use haiku. */
export const MAIN_MODEL_WEIGHTS: readonly (readonly [ModelProfile, number])[] = [
  [MODELS.sonnet, 65],
  [MODELS.opus, 25],
  [MODELS.haiku, 10],
];

/** Token types in the order the catalog lists them (`type` on `claude_code.token.usage`). */
export const TOKEN_TYPES = METRICS.tokens.attributes.type;
export type TokenType = (typeof TOKEN_TYPES)[number];

export const EFFORTS = [
  ["low", 10],
  ["medium", 60],
  ["high", 30],
] as const;
export const START_TYPES = [
  ["fresh", 70],
  ["resume", 15],
  ["continue", 15],
] as const;

/** Tools a prompt may use. `edit` tools count in `code_edit_tool.decision` and lines of code. */
export const TOOL_WEIGHTS = [
  ["Read", 30],
  ["Edit", 15],
  ["Bash", 15],
  ["Grep", 10],
  ["Glob", 6],
  ["Write", 5],
  ["TodoWrite", 5],
  ["Task", 4],
  [MCP_TOOL_NAME, 4],
  ["WebFetch", 3],
  ["WebSearch", 2],
  ["NotebookEdit", 1],
] as const;

export const EDIT_TOOLS: readonly string[] = METRICS.editDecision.attributes.tool_name;
/** Read-only tools a default configuration allows without asking. */
export const AUTO_ALLOWED_TOOLS: readonly string[] = ["Read", "Grep", "Glob", "TodoWrite"];

export const ACCEPT_SOURCES = [
  ["user_temporary", 40],
  ["user_permanent", 25],
  ["config", 30],
  ["hook", 5],
] as const;
export const REJECT_SOURCES = [
  ["user_reject", 70],
  ["user_abort", 20],
  ["hook", 5],
  ["config", 5],
] as const;

/** `error` of a failed tool run, by tool (others: a timeout). */
export const TOOL_ERRORS: Readonly<Record<string, readonly string[]>> = {
  Bash: ["Exit code 1", "Exit code 2", "Command timed out after 2m 0.0s"],
  Edit: ["String to replace not found in file", "File has not been read yet"],
  Write: ["File has not been read yet"],
  NotebookEdit: ["Cell not found"],
  Read: ["File does not exist"],
  WebFetch: ["Request failed with status code 404"],
  [MCP_TOOL_NAME]: ["MCP error -32603: Internal error"],
};
export const DEFAULT_TOOL_ERROR = "Request timed out";
export const REJECTED_TOOL_ERROR = "The user doesn't want to proceed with this tool use";

export const LANGUAGES = [
  ["TypeScript", 35],
  ["Python", 25],
  ["Go", 10],
  ["Markdown", 10],
  ["JSON", 6],
  ["YAML", 6],
  ["Rust", 4],
  ["Java", 4],
] as const;

/** `agent.name` / `agent_type` of Task subagents: built-in agents by name, user-defined ones as "custom". */
export const SUBAGENTS = ["general-purpose", "Explore", "Plan", "custom"] as const;

/** How a skill gets invoked (`invocation_trigger`). */
export const SKILL_TRIGGERS = [
  ["user-slash", 40],
  ["claude-proactive", 50],
  ["nested-skill", 10],
] as const;

/** Share of main requests (newer clients) answered with a refusal, and of those first refused by a server fallback. */
export const REFUSAL_SHARE = 0.005;
export const REFUSAL_FALLBACK_SHARE = 0.3;

/**
 * Context (tokens) past which a prompt compacts automatically. The model's conversations are
 * smaller than real ones (a median prompt carries ~20k tokens of context), so the threshold sits
 * where about the same share of prompts compacts as in real use (a few percent), not at a real
 * context window's ~160k.
 */
export const AUTO_COMPACT_TOKENS = 60_000;
/** Share of prompts (with some context) that start with a manual /compact. */
export const MANUAL_COMPACT_SHARE = 0.01;
export const COMPACTION_ERRORS = ["Prompt is too long", "Request timed out", "Compaction was interrupted"] as const;

/** API failures as reported once retries are exhausted; `undefined` status = no HTTP response. */
export const API_ERRORS = [
  ["Overloaded", 529, 40],
  ["Rate limited", 429, 25],
  ["Internal server error", 500, 15],
  ["Request timed out", undefined, 15],
  ["Connection error", undefined, 5],
] as const;

export interface MachineProfile {
  readonly osType: string;
  readonly osVersions: readonly string[];
  readonly arch: readonly string[];
  readonly terminals: readonly string[];
}

export const MACHINES: readonly (readonly [MachineProfile, number])[] = [
  [
    {
      osType: "darwin",
      osVersions: ["24.6.0", "25.0.0", "25.1.0"],
      arch: ["arm64", "arm64", "amd64"],
      terminals: ["iTerm.app", "vscode", "Apple_Terminal", "ghostty", "cursor", "tmux"],
    },
    55,
  ],
  [
    {
      osType: "linux",
      osVersions: ["6.8.0-85-generic", "6.12.48-1-lts", "5.15.167.4-microsoft-standard-WSL2"],
      arch: ["amd64", "amd64", "arm64"],
      terminals: ["vscode", "tmux", "xterm-256color", "WezTerm", "cursor"],
    },
    35,
  ],
  [
    {
      osType: "windows",
      osVersions: ["10.0.26100", "10.0.22631"],
      arch: ["amd64"],
      terminals: ["windows-terminal", "vscode"],
    },
    10,
  ],
];

/**
 * Client versions in use, oldest first. Sessions on the older ones leave out the attributes the
 * reference marks as newer (`start_type`, `speed`, `effort`, attribution keys, `model` on lines of
 * code), so consumers are exercised with both shapes.
 */
export const VERSIONS = [
  ["2.1.214", 10, false],
  ["2.1.239", 15, false],
  ["2.1.268", 30, true],
  ["2.1.301", 45, true],
] as const;

export const FIRST_NAMES = [
  "ada",
  "alan",
  "grace",
  "linus",
  "barbara",
  "ken",
  "margaret",
  "dennis",
  "radia",
  "guido",
  "frances",
  "john",
  "sophie",
  "edsger",
  "hedy",
  "tim",
] as const;
export const LAST_NAMES = [
  "lovelace",
  "turing",
  "hopper",
  "torvalds",
  "liskov",
  "thompson",
  "hamilton",
  "ritchie",
  "perlman",
  "rossum",
  "allen",
  "backus",
  "wilson",
  "dijkstra",
  "lamarr",
  "berners",
] as const;
/** Reserved example domain: simulated addresses never reach a real mailbox. */
export const EMAIL_DOMAIN = "example.com";
