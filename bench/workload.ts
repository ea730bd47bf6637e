// The organisation and its working days for the load benchmark. People (teams, departments, cost
// centres, sign-in kind, installations) come from the simulator's model; sessions are spread over
// working days with realistic lengths and built by the simulator's session builder (installation,
// model, prompts), so the attribute values and the series they produce are those of the rest of
// the project.
//
// Every person-day is generated on its own from (seed, person, day): any window of time can be
// produced without holding the whole range in memory.
import { buildModel, Random, type SimPerson, type SimSession } from "../simulator/index.js";
import { buildSession, type SessionShape } from "../simulator/model.js";

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Assumptions about how developers use Claude Code; printed with the results. */
export const USAGE_PROFILE = {
  /** Chance a person uses Claude Code on a working day / a weekend day. */
  activeWeekday: 0.85,
  activeWeekend: 0.08,
  /** Sessions (Claude Code processes) per active day: median and log-normal spread, clamped. */
  sessionsMedian: 3,
  sessionsSpread: 0.5,
  sessionsMax: 12,
  /** Session length: median, spread, bounds (minutes). The process exports every minute while it lives. */
  lengthMedianMin: 35,
  lengthSpread: 0.9,
  lengthMinMin: 2,
  lengthMaxMin: 8 * 60,
  /** Minutes between prompts within a session (median). */
  promptGapMedianMin: 6,
  /** Local working hours in which sessions start. */
  dayStartHour: 8.5,
  dayEndHour: 18.5,
  /** UTC offsets (hours) of the offices people work from, spread round-robin. */
  utcOffsets: [-8, -5, 0, 1, 5.5] as readonly number[],
} as const;

/** Longest a session can live: windows look this far back for sessions that started earlier. */
export const MAX_SESSION_MS = USAGE_PROFILE.lengthMaxMin * MINUTE_MS;

export interface Organisation {
  readonly seed: number;
  readonly people: readonly SimPerson[];
  readonly teams: readonly string[];
  readonly departments: readonly string[];
  /** UTC offsets (hours) of the offices; person i works in office i mod n. */
  readonly utcOffsets: readonly number[];
}

export interface OrganisationOptions {
  readonly seed: number;
  readonly users: number;
  readonly utcOffsets?: readonly number[];
}

const DEPARTMENTS = ["engineering", "data-science", "platform", "product", "security", "it", "research", "support"];
const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** Teams of about ten people, departments of several teams: the shape of a larger engineering org. */
export function buildOrganisation({ seed, users, utcOffsets = USAGE_PROFILE.utcOffsets }: OrganisationOptions): Organisation {
  const teamCount = Math.max(1, Math.round(users / 10));
  const teams = Array.from({ length: teamCount }, (_, i) => `team-${pad(i + 1, 4)}`);
  const departments = DEPARTMENTS.slice(0, Math.min(DEPARTMENTS.length, Math.max(1, Math.ceil(teamCount / 6))));
  const costCenters = teams.map((_, i) => `cc-${1000 + 10 * i}`);
  // One session per person is enough to build the people; the sessions themselves are ours.
  const model = buildModel({ seed, users, teams, departments, costCenters, sessions: 1, startTimeMs: 0, durationMs: MINUTE_MS });
  if (utcOffsets.length === 0) throw new Error("at least one UTC offset is needed");
  return { seed, people: model.people, teams, departments, utcOffsets };
}

/** Offset of a person's office from UTC. */
function utcOffsetMs(org: Organisation, person: SimPerson): number {
  return (org.utcOffsets[person.index % org.utcOffsets.length] as number) * HOUR_MS;
}

function isWeekend(localDay: number): boolean {
  const weekday = new Date(localDay * DAY_MS).getUTCDay();
  return weekday === 0 || weekday === 6;
}

/**
 * Sessions a person runs on one local calendar day (`localDay` = days since the epoch in their
 * office's time zone), sorted by start. Deterministic in (seed, person, day).
 */
export function personDaySessions(org: Organisation, person: SimPerson, localDay: number): SimSession[] {
  const p = USAGE_PROFILE;
  const rng = new Random(org.seed, `bench/person:${person.index}/day:${localDay}`);
  if (!rng.chance(isWeekend(localDay) ? p.activeWeekend : p.activeWeekday)) return [];
  const count = rng.skewed(p.sessionsMedian, p.sessionsSpread, 1, p.sessionsMax);
  const dayStartUtc = localDay * DAY_MS - utcOffsetMs(org, person);
  const sessions: SimSession[] = [];
  for (let k = 0; k < count; k++) {
    const s = rng.fork(`session:${k}`);
    const lengthMs = s.skewed(p.lengthMedianMin, p.lengthSpread, p.lengthMinMin, p.lengthMaxMin) * MINUTE_MS + s.int(0, 59) * 1000;
    // Whole seconds: OpenMetrics timestamps are seconds, and the export ticks follow the start.
    const startMs = dayStartUtc + Math.round(s.float(p.dayStartHour, p.dayEndHour) * 3600) * 1000;
    sessions.push({ index: 0, ...buildSession(s, person, workdayShape(startMs, startMs + lengthMs)) });
  }
  return sessions.sort((a, b) => a.startMs - b.startMs);
}

/** A session of a working day: its time is already drawn; a prompt every few minutes, 80 at most. */
function workdayShape(startMs: number, endMs: number): SessionShape {
  return {
    span: () => ({ startMs, endMs }),
    promptCount: (rng, lengthMs) => Math.max(1, Math.min(80, Math.round(lengthMs / (rng.skewed(USAGE_PROFILE.promptGapMedianMin, 0.5, 1, 30) * MINUTE_MS)))),
  };
}

/** Person-days already generated, so consecutive windows do not build the same sessions again. */
export class SessionCache {
  private readonly days = new Map<string, { localDay: number; lastMs: number; sessions: SimSession[] }>();

  constructor(private readonly org: Organisation) {}

  get(person: SimPerson, localDay: number): SimSession[] {
    const key = `${person.index}:${localDay}`;
    let hit = this.days.get(key);
    if (!hit) {
      const sessions = personDaySessions(this.org, person, localDay);
      hit = { localDay, lastMs: Math.max(-Infinity, ...sessions.map((s) => s.endMs)), sessions };
      this.days.set(key, hit);
    }
    return hit.sessions;
  }

  /**
   * Forgets the sessions of person-days that all ended before `ms`. The day itself is remembered
   * as empty while a later window can still ask for it (windows look back MAX_SESSION_MS and more),
   * so it is never generated again.
   */
  forgetBefore(ms: number): void {
    const oldest = Math.floor((ms - MAX_SESSION_MS) / DAY_MS) - 2;
    for (const [key, day] of this.days) {
      if (day.lastMs >= ms) continue;
      if (day.localDay < oldest) this.days.delete(key);
      else if (day.sessions.length > 0) day.sessions = [];
    }
  }
}

/**
 * Every session of every person that is alive at some point in [fromMs, toMs), person by person.
 * Sessions are generated from their start day, so one that crosses a window edge is the same in both.
 */
export function* sessionsOverlapping(org: Organisation, fromMs: number, toMs: number, cache?: SessionCache): Generator<SimSession> {
  for (const person of org.people) {
    const offset = utcOffsetMs(org, person);
    const firstDay = Math.floor((fromMs - MAX_SESSION_MS + offset) / DAY_MS);
    const lastDay = Math.floor((toMs + offset) / DAY_MS);
    for (let day = firstDay; day <= lastDay; day++) {
      for (const s of cache ? cache.get(person, day) : personDaySessions(org, person, day)) {
        if (s.endMs >= fromMs && s.startMs < toMs) yield s;
      }
    }
  }
}
