// What a simulation sends, summed: the figures an end-to-end test compares with what a backend
// returns. Sums come from the model itself (requests, tool uses, prompts), not from the emitted
// records, so a record that goes missing on the way to the SDK shows up as a difference.
import { EVENTS, METRICS } from "../components/claude/telemetry.js";
import { INSTALLATION_PREFIX, resolveUser } from "../components/usage-series.js";
import type { SimulationModel } from "./model.js";
import { TOKEN_TYPES, type TokenType } from "./profiles.js";
import { commonAttributes, sessionRecords } from "./records.js";
import { NewerTotalsCollector, type EventName, type NewerTotals } from "./totals-newer.js";

export type { AttributionSums, ByValue, NewerTotals } from "./totals-newer.js";

export interface ExpectedTotals extends NewerTotals {
  readonly sessions: number;
  /** People with at least one session (what "active users" should count). */
  readonly people: number;
  /** People with an email (OAuth sign-in); the rest use an API key. */
  readonly peopleWithEmail: number;
  /** Distinct `user.id` values (installations) with at least one session. */
  readonly installations: number;
  /** Installations (with a session) whose records carry no email, no enduser.id and no account id: only `user.id` tells them apart. */
  readonly anonymousInstallations: number;
  readonly prompts: number;
  /** Events by `event.name`. */
  readonly events: Readonly<Record<EventName, number>>;
  readonly costUsd: number;
  readonly tokens: Readonly<Record<TokenType, number>>;
  readonly costByTeam: Readonly<Record<string, number>>;
  readonly costByDepartment: Readonly<Record<string, number>>;
  readonly costByCostCenter: Readonly<Record<string, number>>;
  readonly costByModel: Readonly<Record<string, number>>;
  readonly tokensByTeam: Readonly<Record<string, Readonly<Record<TokenType, number>>>>;
  readonly sessionsByTeam: Readonly<Record<string, number>>;
  readonly peopleByTeam: Readonly<Record<string, number>>;
  readonly linesOfCode: { readonly added: number; readonly removed: number };
  readonly commits: number;
  readonly pullRequests: number;
  readonly activeTimeSeconds: { readonly user: number; readonly cli: number };
  readonly editDecisions: { readonly accept: number; readonly reject: number };
  /**
   * Distinct series per metric name (resource + attribute set; each session has its own). With
   * one export per session (burst mode) this is also the number of data points sent.
   */
  readonly series: Readonly<Record<string, number>>;
}

const add = (m: Record<string, number>, k: string, v: number) => (m[k] = (m[k] ?? 0) + v);
const zeroTokens = (): Record<TokenType, number> => Object.fromEntries(TOKEN_TYPES.map((t) => [t, 0])) as Record<TokenType, number>;

export function expectedTotals(model: SimulationModel): ExpectedTotals {
  const events = Object.fromEntries(Object.values(EVENTS).map((e) => [e.name, 0])) as Record<EventName, number>;
  const tokens = zeroTokens();
  const costByTeam: Record<string, number> = {};
  const costByDepartment: Record<string, number> = {};
  const costByCostCenter: Record<string, number> = {};
  const costByModel: Record<string, number> = {};
  const tokensByTeam: Record<string, Record<TokenType, number>> = {};
  const sessionsByTeam: Record<string, number> = {};
  const teamPeople: Record<string, Set<number>> = {};
  const people = new Set<number>();
  const installations = new Set<string>();
  const anonymous = new Set<string>();
  const newer = new NewerTotalsCollector(events);
  const lines = { added: 0, removed: 0 };
  const active = { user: 0, cli: 0 };
  const edits = { accept: 0, reject: 0 };
  let costUsd = 0;
  let prompts = 0;
  let commits = 0;
  let pullRequests = 0;

  for (const s of model.sessions) {
    const p = s.person;
    people.add(p.index);
    installations.add(s.installation.userId);
    if (!p.email && !p.enduserId && !p.accountUuid) anonymous.add(s.installation.userId);
    newer.session(s);
    add(sessionsByTeam, p.team, 1);
    (teamPeople[p.team] ??= new Set()).add(p.index);
    const teamTokens = (tokensByTeam[p.team] ??= zeroTokens());
    for (const prompt of s.prompts) {
      prompts++;
      events.user_prompt++;
      active.user += prompt.userSeconds;
      active.cli += prompt.cliSeconds;
      for (const step of prompt.steps) {
        if (step.kind !== "tool") newer.step(step);
        if (step.kind === "request") {
          events.api_request++;
          costUsd += step.costUsd;
          add(costByTeam, p.team, step.costUsd);
          add(costByDepartment, p.department, step.costUsd);
          add(costByCostCenter, p.costCenter, step.costUsd);
          add(costByModel, step.model, step.costUsd);
          for (const t of TOKEN_TYPES) {
            tokens[t] += step.tokens[t];
            teamTokens[t] += step.tokens[t];
          }
        } else if (step.kind === "error") {
          events.api_error++;
        } else if (step.kind === "tool") {
          events.tool_decision++;
          events.tool_result++;
          if (step.edit) {
            edits[step.decision]++;
            if (step.success) {
              lines.added += step.edit.added;
              lines.removed += step.edit.removed;
            }
          }
          if (step.vcs === "commit") commits++;
          if (step.vcs === "pull_request") pullRequests++;
        }
      }
    }
  }

  const seriesKeys = Object.fromEntries(Object.values(METRICS).map((m) => [m.name, new Set<string>()]));
  for (const s of model.sessions) {
    for (const r of sessionRecords(s, model.options.marker)) {
      if (r.kind !== "metric") continue;
      const attrs = Object.entries(r.attributes).sort(([a], [b]) => (a < b ? -1 : 1));
      seriesKeys[METRICS[r.metric].name]?.add(JSON.stringify(attrs));
    }
  }

  return {
    sessions: model.sessions.length,
    people: people.size,
    peopleWithEmail: model.people.filter((p) => p.email && people.has(p.index)).length,
    installations: installations.size,
    anonymousInstallations: anonymous.size,
    prompts,
    events,
    costUsd,
    tokens,
    costByTeam,
    costByDepartment,
    costByCostCenter,
    costByModel,
    tokensByTeam,
    sessionsByTeam,
    peopleByTeam: Object.fromEntries(Object.entries(teamPeople).map(([t, set]) => [t, set.size])),
    linesOfCode: lines,
    commits,
    pullRequests,
    activeTimeSeconds: active,
    editDecisions: edits,
    series: Object.fromEntries(Object.entries(seriesKeys).map(([name, set]) => [name, set.size])),
    ...newer.totals(),
  };
}

/**
 * People and installations a dashboard finds when it takes, for each session, the first non-empty
 * attribute of `chain` (e.g. user.email, enduser.id, user.id) from the attributes on its data
 * points. A value found under `user.id` counts as an installation, any other as a person; sessions
 * with none of the chain's attributes count as neither.
 */
export function identitiesByChain(model: SimulationModel, chain: readonly string[]): { people: number; installations: number } {
  const people = new Set<string>();
  const installations = new Set<string>();
  for (const s of model.sessions) {
    const user = resolveUser(commonAttributes(s, model.options.marker), chain);
    if (user !== undefined) (user.startsWith(INSTALLATION_PREFIX) ? installations : people).add(user);
  }
  return { people: people.size, installations: installations.size };
}
