// Plugins, skills and MCP servers: the vocabulary, what each person has enabled and configured,
// and which servers a session connects at its start. Names are the values Claude Code reports on
// cost/token metrics and api_* events: user-configured MCP servers and their tools as "custom",
// third-party plugins and their skills and servers as "third-party", official and bundled names as
// they are. The real names stay in the model only (as `id`), never on the wire.
import { Random } from "./random.js";

export const CUSTOM = "custom";
export const THIRD_PARTY = "third-party";
/** Anthropic's official plugin marketplace: its plugin names arrive as they are. */
export const OFFICIAL_MARKETPLACE = "claude-plugins-official";

export interface SkillProfile {
  /** `skill.name` as reported. */
  readonly name: string;
  /** `skill.source`: shipped with Claude Code, or from a plugin. */
  readonly source: "bundled" | "plugin";
}

export interface McpServerProfile {
  /** The configured name: only OTEL_LOG_TOOL_DETAILS would send it (`server_name`), never simulated. */
  readonly id: string;
  /** `mcp_server.name` as reported. */
  readonly name: string;
  /** `mcp_tool.name` values of its tools, as reported. */
  readonly tools: readonly string[];
  readonly transport: "stdio" | "sse" | "http";
  readonly scope: "user" | "project" | "local";
}

export interface PluginProfile {
  /** `name@marketplace`, hashed into `plugin_id_hash` (which tells hidden third-party names apart). */
  readonly id: string;
  /** `plugin.name` and `marketplace.name` as reported. */
  readonly name: string;
  readonly marketplace: string;
  readonly scope: "official" | "org" | "user-local" | "default-bundle";
  readonly versions: readonly string[];
  readonly hasHooks: boolean;
  readonly skills: readonly SkillProfile[];
  /** An MCP server the plugin brings along. */
  readonly mcp?: McpServerProfile;
  /** Share of people who enable it. */
  readonly share: number;
  /** How it is enabled (`enabled_via`), weighted. Plausible values, not measured. */
  readonly enabledVia: readonly (readonly [string, number])[];
}

const BY_USER = [
  ["user_settings", 80],
  ["project_settings", 20],
] as const;
const BY_ORG = [
  ["managed_settings", 70],
  ["project_settings", 30],
] as const;
const pluginSkill = (name: string): SkillProfile => ({ name, source: "plugin" });

export const PLUGINS: readonly PluginProfile[] = [
  {
    id: `commit-commands@${OFFICIAL_MARKETPLACE}`,
    name: "commit-commands",
    marketplace: OFFICIAL_MARKETPLACE,
    scope: "official",
    versions: ["1.0.0", "1.1.0"],
    hasHooks: false,
    skills: [pluginSkill("commit")],
    share: 0.3,
    enabledVia: BY_USER,
  },
  {
    id: `frontend-design@${OFFICIAL_MARKETPLACE}`,
    name: "frontend-design",
    marketplace: OFFICIAL_MARKETPLACE,
    scope: "official",
    versions: ["1.0.0"],
    hasHooks: false,
    skills: [pluginSkill("frontend-design")],
    share: 0.2,
    enabledVia: BY_USER,
  },
  {
    id: `security-guidance@${OFFICIAL_MARKETPLACE}`,
    name: "security-guidance",
    marketplace: OFFICIAL_MARKETPLACE,
    scope: "official",
    versions: ["1.0.0", "1.0.1"],
    hasHooks: true,
    skills: [],
    share: 0.2,
    enabledVia: BY_ORG,
  },
  {
    id: `github@${OFFICIAL_MARKETPLACE}`,
    name: "github",
    marketplace: OFFICIAL_MARKETPLACE,
    scope: "official",
    versions: ["1.2.0"],
    hasHooks: false,
    skills: [],
    mcp: { id: "github", name: "github", tools: ["create_issue", "get_pull_request", "search_code"], transport: "http", scope: "user" },
    share: 0.3,
    enabledVia: BY_USER,
  },
  {
    id: "team-tools@acme-plugins",
    name: THIRD_PARTY,
    marketplace: THIRD_PARTY,
    scope: "org",
    versions: ["0.4.2", "0.5.0"],
    hasHooks: false,
    skills: [pluginSkill(THIRD_PARTY)],
    share: 0.45,
    enabledVia: BY_ORG,
  },
  {
    id: "platform-kit@acme-plugins",
    name: THIRD_PARTY,
    marketplace: THIRD_PARTY,
    scope: "org",
    versions: ["2.3.1"],
    hasHooks: true,
    skills: [pluginSkill(THIRD_PARTY)],
    mcp: { id: "platform-api", name: THIRD_PARTY, tools: [THIRD_PARTY], transport: "stdio", scope: "project" },
    share: 0.25,
    enabledVia: BY_ORG,
  },
  {
    id: "my-workflows@local",
    name: THIRD_PARTY,
    marketplace: THIRD_PARTY,
    scope: "user-local",
    versions: ["0.1.0"],
    hasHooks: false,
    skills: [pluginSkill(THIRD_PARTY)],
    share: 0.08,
    enabledVia: [["user_settings", 1]],
  },
];

/** Skills every client has, whatever its plugins. */
export const BUNDLED_SKILLS: readonly SkillProfile[] = [{ name: "pdf", source: "bundled" }];

/** MCP servers people configure themselves: reported as "custom", and so are their tools. */
export const USER_MCP_SERVERS: readonly McpServerProfile[] = [
  { id: "linear", name: CUSTOM, tools: [CUSTOM], transport: "http", scope: "user" },
  { id: "postgres", name: CUSTOM, tools: [CUSTOM], transport: "stdio", scope: "project" },
  { id: "sentry", name: CUSTOM, tools: [CUSTOM], transport: "sse", scope: "user" },
  { id: "filesystem", name: CUSTOM, tools: [CUSTOM], transport: "stdio", scope: "local" },
  { id: "internal-docs", name: CUSTOM, tools: [CUSTOM], transport: "http", scope: "project" },
];

/** `error_code` of a failed connection. Plausible values, not measured. */
export const MCP_ERROR_CODES = ["ECONNREFUSED", "ETIMEDOUT", "ENOENT", "ECONNRESET"] as const;
/** Share of connection attempts that fail. */
export const MCP_FAILURE_SHARE = 0.05;

export interface SimPlugin {
  readonly profile: PluginProfile;
  readonly version: string;
  readonly enabledVia: string;
}

/** A server a person has configured, or one an enabled plugin brings (`plugin`). */
export interface SimMcpServer {
  readonly server: McpServerProfile;
  readonly plugin?: PluginProfile;
}

/** A skill available to a person: bundled, or from one of their enabled plugins. */
export interface AvailableSkill {
  readonly skill: SkillProfile;
  readonly plugin?: PluginProfile;
}

/** One connection attempt at session start; connected servers disconnect at session end. */
export interface SimMcpConnection extends SimMcpServer {
  readonly status: "connected" | "failed";
  /** When the attempt ended. */
  readonly atMs: number;
  readonly durationMs: number;
  readonly errorCode?: string;
}

/** A person's enabled plugins (about one in eight enables none) and MCP servers (theirs and their plugins'). */
export function drawExtensions(rng: Random): { plugins: SimPlugin[]; mcpServers: SimMcpServer[] } {
  const plugins = PLUGINS.filter((p) => rng.chance(p.share)).map((profile) => ({
    profile,
    version: rng.pick(profile.versions),
    enabledVia: rng.weighted(profile.enabledVia),
  }));
  const own = rng.weighted([
    [0, 35],
    [1, 35],
    [2, 20],
    [3, 10],
  ] as const);
  const pool = [...USER_MCP_SERVERS];
  const mcpServers: SimMcpServer[] = [];
  for (let k = 0; k < own; k++) mcpServers.push({ server: pool.splice(rng.int(0, pool.length - 1), 1)[0] as McpServerProfile });
  for (const p of plugins) if (p.profile.mcp) mcpServers.push({ server: p.profile.mcp, plugin: p.profile });
  return { plugins, mcpServers };
}

/** Skills a person can use. */
export function availableSkills(plugins: readonly SimPlugin[]): AvailableSkill[] {
  return [...BUNDLED_SKILLS.map((skill) => ({ skill })), ...plugins.flatMap((p) => p.profile.skills.map((skill) => ({ skill, plugin: p.profile })))];
}

/** Each configured server's connection attempt at `startMs` (ending by `endMs` at the latest). */
export function drawConnections(rng: Random, servers: readonly SimMcpServer[], startMs: number, endMs: number): SimMcpConnection[] {
  return servers.map((s) => {
    const failed = rng.chance(MCP_FAILURE_SHARE);
    const errorCode = failed ? rng.pick(MCP_ERROR_CODES) : undefined;
    const durationMs =
      errorCode === "ETIMEDOUT" ? 30_000 : s.server.transport === "stdio" ? rng.skewed(900, 0.6, 40, 15_000) : rng.skewed(350, 0.6, 20, 10_000);
    return { ...s, status: failed ? "failed" : "connected", atMs: Math.min(startMs + durationMs, endMs), durationMs, ...(errorCode ? { errorCode } : {}) };
  });
}

const idHashes = new Map<string, string>();

/** `plugin_id_hash`: a stable hash of the plugin's real id, the same for everyone (not seed-dependent). */
export function pluginIdHash(plugin: PluginProfile): string {
  let h = idHashes.get(plugin.id);
  if (h === undefined) idHashes.set(plugin.id, (h = new Random(0, `plugin-id:${plugin.id}`).hex(16)));
  return h;
}
