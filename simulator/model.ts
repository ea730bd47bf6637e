// A seeded, deterministic model of an organisation using Claude Code: people in teams, their
// installations, sessions, prompts, API requests, tool uses and errors. Pure data: nothing here
// talks to OpenTelemetry (records.ts turns sessions into signals, emit.ts sends them).
import { Random } from "./random.js";
import { MACHINES, VERSIONS, FIRST_NAMES, LAST_NAMES, EMAIL_DOMAIN, START_TYPES, MAIN_MODEL_WEIGHTS } from "./profiles.js";
import type { ModelProfile } from "./profiles.js";
import { buildPrompt, type PromptContext } from "./prompts.js";
import type { SimPrompt } from "./steps.js";
import { availableSkills, drawConnections, drawExtensions, type SimMcpConnection, type SimMcpServer, type SimPlugin } from "./extensions.js";

export type { SimPrompt, SimStep, SimRequest, SimApiError, SimToolUse, SimSkillUse, SimSubagentRun, SimCompaction, SimRefusal } from "./steps.js";

/** How people sign in: "mixed" is about 85 % OAuth and 15 % API key; the others sign everyone in one way. */
export type AuthMode = "mixed" | "oauth" | "api_key";
export const AUTH_MODES: readonly AuthMode[] = ["mixed", "oauth", "api_key"];

export interface SimulationOptions {
  /** PRNG seed: the same options and seed always give the same model. Default 42. */
  seed?: number;
  /** Number of people. Default 20. */
  users?: number;
  /** Team names (`team`); people are spread round-robin. Default platform, payments, data. */
  teams?: readonly string[];
  /** Department names (`department`); team i belongs to department i mod n. Default engineering. */
  departments?: readonly string[];
  /** Cost centres (`cost_center`); team i books to cost centre i mod n. Default cc-1000, cc-1010, … per team. */
  costCenters?: readonly string[];
  /** `environment` value. Default production. */
  environment?: string;
  /** Exact number of sessions, assigned to people round-robin. Default: 1–3 per person. */
  sessions?: number;
  /** Start of the simulated window (epoch ms). Default: now minus `durationMs` (pass it for reproducible timestamps). */
  startTimeMs?: number;
  /** Length of the simulated window; every session starts and ends inside it. Default 5 minutes. */
  durationMs?: number;
  /**
   * Opt-in run marker: adds `simulation.run` = marker to the resource and to every data point and
   * event so a check can find its own data. Not a Claude Code attribute; absent by default.
   */
  marker?: string;
  /**
   * How people sign in. "mixed" (default): about 85 % OAuth, 15 % API key. "oauth" / "api_key":
   * everyone; API-key sessions carry no user.email, user.account_uuid, user.account_id or organization.id.
   */
  auth?: AuthMode;
  /**
   * Give every person an `enduser.id` (a login-style name, unique per person) in
   * OTEL_RESOURCE_ATTRIBUTES: on the resource and, as Claude Code copies resource attributes, on
   * every data point and event. Default false.
   */
  enduserId?: boolean;
}

export type ResolvedOptions = Required<Omit<SimulationOptions, "sessions" | "marker">> & Pick<SimulationOptions, "sessions" | "marker">;

export interface SimInstallation {
  /** `user.id`: anonymous per-installation id (counts installations, not people). */
  readonly userId: string;
  readonly serviceName: "claude-code" | "claude-code-desktop";
  readonly serviceVersion: string;
  /** Whether this client version sends the attributes the reference marks as newer. */
  readonly newer: boolean;
  readonly osType: string;
  readonly osVersion: string;
  readonly hostArch: string;
  /** `terminal.type`; absent for the desktop app, where no terminal is detected. */
  readonly terminal?: string;
  /** OTEL_METRICS_INCLUDE_VERSION on this machine: adds `app.version`. */
  readonly includeVersion: boolean;
}

export interface SimPerson {
  readonly index: number;
  readonly auth: "oauth" | "api_key";
  /** Only people signed in with OAuth carry account, organisation and email attributes. */
  readonly email?: string;
  readonly accountUuid?: string;
  /** `user.account_id` (tagged account id); newer clients send it next to the UUID. */
  readonly accountId?: string;
  readonly organizationId?: string;
  readonly team: string;
  readonly department: string;
  readonly costCenter: string;
  readonly environment: string;
  readonly installations: readonly SimInstallation[];
  /** `enduser.id` from OTEL_RESOURCE_ATTRIBUTES (only with the enduserId option). */
  readonly enduserId?: string;
  /** Enabled plugins: newer clients send `plugin_loaded` for each at session start. */
  readonly plugins: readonly SimPlugin[];
  /** Configured MCP servers, those the plugins bring included. */
  readonly mcpServers: readonly SimMcpServer[];
}

export interface SimSession {
  readonly index: number;
  /** `session.id`. */
  readonly id: string;
  readonly person: SimPerson;
  readonly installation: SimInstallation;
  readonly startType: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly prompts: readonly SimPrompt[];
  /** One attempt per configured MCP server at start (events from newer clients only). */
  readonly mcpConnections: readonly SimMcpConnection[];
}

export interface SimulationModel {
  readonly options: ResolvedOptions;
  readonly people: readonly SimPerson[];
  /** Sorted by start time. */
  readonly sessions: readonly SimSession[];
}

const DEFAULT_TEAMS = ["platform", "payments", "data"];

export function resolveOptions(options: SimulationOptions = {}): ResolvedOptions {
  const teams = options.teams?.length ? [...options.teams] : DEFAULT_TEAMS;
  const durationMs = options.durationMs ?? 5 * 60_000;
  const resolved: ResolvedOptions = {
    seed: options.seed ?? 42,
    users: options.users ?? 20,
    teams,
    departments: options.departments?.length ? [...options.departments] : ["engineering"],
    costCenters: options.costCenters?.length ? [...options.costCenters] : teams.map((_, i) => `cc-${1000 + 10 * i}`),
    environment: options.environment ?? "production",
    durationMs,
    startTimeMs: options.startTimeMs ?? Date.now() - durationMs,
    sessions: options.sessions,
    marker: options.marker,
    auth: options.auth ?? "mixed",
    enduserId: options.enduserId ?? false,
  };
  const positiveInt = (n: number | undefined) => n === undefined || (Number.isInteger(n) && n > 0);
  if (!Number.isInteger(resolved.seed) || resolved.seed < 0) throw new Error(`seed must be a non-negative integer (got ${resolved.seed})`);
  if (!positiveInt(resolved.users)) throw new Error(`users must be a positive integer (got ${resolved.users})`);
  if (!positiveInt(resolved.sessions)) throw new Error(`sessions must be a positive integer (got ${resolved.sessions})`);
  if (!(durationMs >= 1000)) throw new Error(`duration must be at least 1s (got ${durationMs} ms)`);
  if (!Number.isFinite(resolved.startTimeMs)) throw new Error("startTimeMs must be a finite epoch time in ms");
  if (!AUTH_MODES.includes(resolved.auth)) throw new Error(`auth must be one of ${AUTH_MODES.join(", ")} (got ${String(resolved.auth)})`);
  return resolved;
}

/** Names already given out in the model: emails and enduser ids are unique per person. */
interface UsedNames {
  readonly emails: Set<string>;
  readonly logins: Set<string>;
}

function unique(used: Set<string>, base: string, format: (n: string) => string): string {
  let name = format(base);
  for (let n = 2; used.has(name); n++) name = format(`${base}${n}`);
  used.add(name);
  return name;
}

function buildPerson(rng: Random, index: number, opts: ResolvedOptions, orgId: string, used: UsedNames): SimPerson {
  const teamIndex = index % opts.teams.length;
  // The sign-in and the name are drawn the same way in every auth mode (the name of a person the
  // draw makes an API-key user from a stream of its own), so modes differ in identities only.
  const drawn = rng.chance(0.85) ? "oauth" : "api_key";
  const auth = opts.auth === "mixed" ? drawn : opts.auth;
  const names = drawn === "oauth" ? rng : rng.fork("name");
  const [first, last] = drawn === "oauth" || auth === "oauth" || opts.enduserId ? [names.pick(FIRST_NAMES), names.pick(LAST_NAMES)] : ["", ""];
  const email = auth === "oauth" ? unique(used.emails, `${first}.${last}`, (local) => `${local}@${EMAIL_DOMAIN}`) : undefined;
  const enduserId = opts.enduserId ? unique(used.logins, `${first.charAt(0)}${last}`, (login) => login) : undefined;
  const { plugins, mcpServers } = drawExtensions(rng.fork("extensions"));
  const installations = [buildInstallation(rng.fork("install:0"), rng.chance(0.05))];
  if (rng.chance(0.2)) installations.push(buildInstallation(rng.fork("install:1"), rng.chance(0.6)));
  return {
    index,
    auth,
    email,
    accountUuid: auth === "oauth" ? rng.uuid() : undefined,
    accountId: auth === "oauth" ? `user_01${rng.base58(24)}` : undefined,
    organizationId: auth === "oauth" ? orgId : undefined,
    team: opts.teams[teamIndex] as string,
    department: opts.departments[teamIndex % opts.departments.length] as string,
    costCenter: opts.costCenters[teamIndex % opts.costCenters.length] as string,
    environment: opts.environment,
    installations,
    ...(enduserId ? { enduserId } : {}),
    plugins,
    mcpServers,
  };
}

function buildInstallation(rng: Random, desktop: boolean): SimInstallation {
  const machine = rng.weighted(MACHINES);
  const [version, , newer] = rng.weighted(VERSIONS.map((v) => [v, v[1]] as const));
  const base = {
    userId: rng.hex(64),
    serviceName: desktop ? ("claude-code-desktop" as const) : ("claude-code" as const),
    serviceVersion: version,
    newer,
    osType: machine.osType,
    osVersion: rng.pick(machine.osVersions),
    hostArch: rng.pick(machine.arch),
    includeVersion: rng.chance(0.7),
  };
  return desktop ? base : { ...base, terminal: rng.pick(machine.terminals) };
}

/** What a caller of buildSession decides: when the session runs and how many prompts it holds. */
export interface SessionShape {
  /** Start and end (epoch ms); drawn after the installation, from the session's own random stream. */
  span(rng: Random): { readonly startMs: number; readonly endMs: number };
  /** Prompts in a session this long; drawn after its main model. */
  promptCount(rng: Random, lengthMs: number): number;
}

/**
 * One session of `person`: an installation of theirs, a main model, prompts spread over it, ids.
 * The simulator and the load benchmark both build their sessions here, each with its own shape.
 */
export function buildSession(rng: Random, person: SimPerson, shape: SessionShape): Omit<SimSession, "index"> {
  const installation = person.installations.length > 1 && rng.chance(0.35) ? person.installations[1] : person.installations[0];
  if (!installation) throw new Error("a person without an installation");
  const { startMs, endMs } = shape.span(rng);
  const length = endMs - startMs;
  const mainModel: ModelProfile = rng.weighted(MAIN_MODEL_WEIGHTS);
  const mcpConnections = drawConnections(rng.fork("mcp"), person.mcpServers, startMs, endMs);
  const ctx: PromptContext = {
    newer: installation.newer,
    skills: availableSkills(person.plugins),
    mcpServers: mcpConnections.filter((c) => c.status === "connected"),
  };
  const prompts = spreadPrompts(rng, startMs, length, shape.promptCount(rng, length), mainModel, ctx);
  return {
    id: rng.uuid(),
    person,
    installation,
    startType: rng.weighted(START_TYPES),
    startMs,
    endMs,
    prompts,
    mcpConnections,
  };
}

/** The simulator's sessions: somewhere inside the simulated window, 30-95 % of it long, 1-6 prompts. */
function windowShape(opts: ResolvedOptions): SessionShape {
  return {
    span: (rng) => {
      const length = Math.round(opts.durationMs * rng.float(0.3, 0.95));
      const startMs = opts.startTimeMs + Math.round(rng.float(0, opts.durationMs - length));
      return { startMs, endMs: startMs + length };
    },
    promptCount: (rng) => rng.int(1, 6),
  };
}

/** The whole simulated organisation and its sessions, from the options and seed alone. */
export function buildModel(options: SimulationOptions = {}): SimulationModel {
  const opts = resolveOptions(options);
  const root = new Random(opts.seed, "claude-code-sim");
  const orgId = root.fork("org").uuid();
  const used: UsedNames = { emails: new Set(), logins: new Set() };
  const people = Array.from({ length: opts.users }, (_, i) => buildPerson(root.fork(`person:${i}`), i, opts, orgId, used));

  const shape = windowShape(opts);
  const drafts: Omit<SimSession, "index">[] = [];
  if (opts.sessions !== undefined) {
    for (let k = 0; k < opts.sessions; k++) {
      const person = people[k % people.length] as SimPerson;
      drafts.push(buildSession(root.fork(`session:${k}`), person, shape));
    }
  } else {
    for (const person of people) {
      const rng = root.fork(`person:${person.index}/sessions`);
      const count = rng.int(1, 3);
      for (let j = 0; j < count; j++) drafts.push(buildSession(rng.fork(`session:${j}`), person, shape));
    }
  }
  const sessions = drafts
    .map((s, i) => ({ ...s, order: i }))
    .sort((a, b) => a.startMs - b.startMs || a.order - b.order)
    .map(({ order: _order, ...s }, index) => ({ ...s, index }));
  return { options: opts, people, sessions };
}

/** `count` prompts over a session: the first right after start, later ones spread over it, in order. */
function spreadPrompts(rng: Random, startMs: number, length: number, count: number, mainModel: ModelProfile, ctx: PromptContext): SimPrompt[] {
  const prompts: SimPrompt[] = [];
  for (let i = 0; i < count; i++) {
    const at = startMs + Math.round(i === 0 ? rng.float(0, 0.05 * length) : ((i + rng.float(0, 0.5)) / count) * length);
    const nextAt = startMs + Math.round(((i + 1) / count) * length);
    prompts.push(buildPrompt(rng.fork(`prompt:${i}`), at, Math.max(nextAt, at + 1) - at, mainModel, ctx));
  }
  return prompts;
}
