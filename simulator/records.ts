// Turns one simulated session into the signals Claude Code would send for it: counter additions
// and events, each with its full attribute set, in time order. Pure: emit.ts replays these into the
// OpenTelemetry SDK, totals.ts and tests read them.
import {
  EVENTS,
  METRICS,
  eventBody,
  type EventKey,
  type MetricKey,
  ORG_ATTRIBUTES,
  RESOURCE_ATTRIBUTES,
  STANDARD_ATTRIBUTES,
} from "../components/claude/telemetry.js";
import type { SimSession } from "./model.js";
import type { SimRequest, SimToolUse } from "./steps.js";
import { TOKEN_TYPES } from "./profiles.js";
import {
  attributionAttributes,
  newerErrorEvents,
  promptStepEvent,
  refusalEvents,
  sessionEndEvents,
  sessionStartEvents,
  type EventAttrs,
} from "./newer-events.js";

export type AttributeValue = string | number;
export type Attributes = Readonly<Record<string, AttributeValue>>;

/** Opt-in run marker key (not a Claude Code attribute): on the resource, every data point and event. */
export const MARKER_ATTRIBUTE = "simulation.run";
/** The person's identity from OTEL_RESOURCE_ATTRIBUTES (enduserId option): on the resource, every data point and event. */
export const ENDUSER_ATTRIBUTE = "enduser.id";

export interface MetricRecord {
  readonly kind: "metric";
  readonly atMs: number;
  readonly metric: MetricKey;
  readonly value: number;
  /** Standard, org and metric attributes together, as on the wire. */
  readonly attributes: Attributes;
  /** The metric's own attributes: within a session, they alone tell its series apart. */
  readonly own: Attributes;
}

export interface EventRecord {
  readonly kind: "event";
  readonly atMs: number;
  readonly event: EventKey;
  /** `claude_code.<event>`. */
  readonly body: string;
  /** Includes `event.name`, `event.timestamp`, `event.sequence` and the standard and org attributes. */
  readonly attributes: Attributes;
}

export type SignalRecord = MetricRecord | EventRecord;

/** A metric record whose full attribute set is put together when first read (many readers need only `own`). */
class LazyMetricRecord implements MetricRecord {
  readonly kind = "metric";
  private full: Attributes | undefined;

  constructor(
    readonly atMs: number,
    readonly metric: MetricKey,
    readonly value: number,
    private readonly common: Attributes,
    readonly own: Attributes,
  ) {}

  get attributes(): Attributes {
    return (this.full ??= { ...this.common, ...this.own });
  }
}

type Maybe<K extends string> = Partial<Record<K, AttributeValue | undefined>>;
type MetricAttrs<K extends MetricKey> = Maybe<Extract<keyof (typeof METRICS)[K]["attributes"], string>>;

function defined(attrs: Record<string, AttributeValue | undefined>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const k in attrs) {
    const v = attrs[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** Resource of the session's process: Claude Code's own keys plus OTEL_RESOURCE_ATTRIBUTES. */
export function resourceAttributes(session: SimSession, marker?: string): Attributes {
  const i = session.installation;
  const own: Record<(typeof RESOURCE_ATTRIBUTES)[number], string> = {
    "service.name": i.serviceName,
    "service.version": i.serviceVersion,
    "os.type": i.osType,
    "os.version": i.osVersion,
    "host.arch": i.hostArch,
  };
  return { ...own, ...orgAttributes(session), ...(marker ? { [MARKER_ATTRIBUTE]: marker } : {}) };
}

/** What OTEL_RESOURCE_ATTRIBUTES sets: the org keys, and `enduser.id` when the person has one. */
function orgAttributes(session: SimSession): Record<string, string> {
  const p = session.person;
  const org: Record<(typeof ORG_ATTRIBUTES)[number], string> = {
    team: p.team,
    department: p.department,
    cost_center: p.costCenter,
    environment: p.environment,
  };
  return p.enduserId ? { ...org, [ENDUSER_ATTRIBUTE]: p.enduserId } : org;
}

/**
 * Attributes on every data point and event of the session: the standard ones (account keys and
 * email only for OAuth sign-ins, `app.version` only when the machine opted in) and, as with
 * OTEL_METRICS_INCLUDE_RESOURCE_ATTRIBUTES=true, the org keys from the resource.
 */
export function commonAttributes(session: SimSession, marker?: string): Attributes {
  const { person: p, installation: i } = session;
  const standard: Maybe<(typeof STANDARD_ATTRIBUTES)[number]> = {
    "session.id": session.id,
    "user.id": i.userId,
    "user.account_uuid": p.accountUuid,
    "user.account_id": i.newer ? p.accountId : undefined,
    "organization.id": p.organizationId,
    "user.email": p.email,
    "terminal.type": i.terminal,
    "app.version": i.includeVersion ? i.serviceVersion : undefined,
  };
  return { ...defined(standard), ...orgAttributes(session), ...(marker ? { [MARKER_ATTRIBUTE]: marker } : {}) };
}

function costAttributes(r: SimRequest): MetricAttrs<"cost"> {
  return { model: r.model, query_source: r.querySource, speed: r.speed, effort: r.effort, ...attributionAttributes(r.attribution) };
}

/**
 * Every signal of the session in time order, with `event.sequence` numbered as sent; with
 * `only: "metrics"`, just the metric records (what a metrics backend sees, built faster).
 */
export function sessionRecords(session: SimSession, marker?: string, only?: "metrics"): SignalRecord[] {
  const common = commonAttributes(session, marker);
  const newer = session.installation.newer;
  type Draft = { atMs: number; metric?: MetricKey; value?: number; event?: EventKey; attributes: Attributes };
  const drafts: Draft[] = [];
  const metric = <K extends MetricKey>(atMs: number, key: K, value: number, attrs: MetricAttrs<K>) => {
    drafts.push({ atMs, metric: key, value, attributes: defined(attrs) });
  };
  const event = <K extends EventKey>(atMs: number, key: K, attrs: EventAttrs<K>) => {
    if (only !== "metrics") drafts.push({ atMs, event: key, attributes: defined(attrs) });
  };

  metric(session.startMs, "session", 1, { start_type: newer ? session.startType : undefined });
  if (newer) sessionStartEvents(session, event);
  for (const prompt of session.prompts) {
    const pid = prompt.id;
    event(prompt.atMs, "userPrompt", { prompt_length: prompt.length, "prompt.id": pid });
    metric(prompt.atMs, "activeTime", prompt.userSeconds, { type: "user" });
    let lastMs = prompt.atMs;
    for (const step of prompt.steps) {
      lastMs = Math.max(lastMs, step.kind === "tool" ? step.endMs : step.atMs);
      if (step.kind === "request") {
        event(step.atMs, "apiRequest", {
          model: step.model,
          cost_usd: step.costUsd,
          duration_ms: step.durationMs,
          input_tokens: step.tokens.input,
          output_tokens: step.tokens.output,
          cache_read_tokens: step.tokens.cacheRead,
          cache_creation_tokens: step.tokens.cacheCreation,
          request_id: step.requestId,
          query_source: step.querySource,
          effort: step.effort,
          speed: step.speed,
          ...attributionAttributes(step.attribution),
          "prompt.id": pid,
        });
        const cost = costAttributes(step);
        metric(step.atMs, "cost", step.costUsd, cost);
        for (const type of TOKEN_TYPES) metric(step.atMs, "tokens", step.tokens[type], { ...cost, type });
        refusalEvents(step, pid, event);
      } else if (step.kind === "error") {
        newerErrorEvents(step, pid, event);
      } else if (step.kind === "tool") {
        toolRecords(step, pid, newer, metric, event);
      } else {
        promptStepEvent(step, pid, event);
      }
    }
    if (prompt.cliSeconds > 0) metric(lastMs, "activeTime", prompt.cliSeconds, { type: "cli" });
  }
  if (newer) sessionEndEvents(session, event);

  drafts.sort((a, b) => a.atMs - b.atMs); // stable: same-time records keep their causal order
  let sequence = 0;
  return drafts.map((d): SignalRecord => {
    if (d.metric) return new LazyMetricRecord(d.atMs, d.metric, d.value ?? 0, common, d.attributes);
    const key = d.event as EventKey;
    const attributes = {
      ...common,
      "event.name": EVENTS[key].name,
      "event.timestamp": new Date(d.atMs).toISOString(),
      "event.sequence": sequence++,
      ...d.attributes,
    };
    return { kind: "event", atMs: d.atMs, event: key, body: eventBody(EVENTS[key]), attributes };
  });
}

function toolRecords(
  tool: SimToolUse,
  pid: string,
  newer: boolean,
  metric: <K extends MetricKey>(atMs: number, key: K, value: number, attrs: MetricAttrs<K>) => unknown,
  event: <K extends EventKey>(atMs: number, key: K, attrs: EventAttrs<K>) => unknown,
): void {
  const { toolName: tool_name, decision, decisionSource: source } = tool;
  event(tool.atMs, "toolDecision", { tool_name, decision, source, tool_source: tool.toolSource, "prompt.id": pid });
  if (tool.edit) metric(tool.atMs, "editDecision", 1, { tool_name, decision, source, language: tool.edit.language });
  event(tool.endMs, "toolResult", {
    tool_name,
    success: tool.success ? "true" : "false",
    duration_ms: tool.durationMs,
    error: tool.error,
    decision_type: decision,
    decision_source: source,
    tool_input_size_bytes: tool.inputBytes,
    tool_result_size_bytes: tool.resultBytes,
    "prompt.id": pid,
  });
  if (tool.edit && tool.success) {
    const model = newer ? tool.edit.model : undefined;
    if (tool.edit.added > 0) metric(tool.endMs, "linesOfCode", tool.edit.added, { type: "added", model });
    if (tool.edit.removed > 0) metric(tool.endMs, "linesOfCode", tool.edit.removed, { type: "removed", model });
  }
  if (tool.vcs === "commit") metric(tool.endMs, "commit", 1, {});
  if (tool.vcs === "pull_request") metric(tool.endMs, "pullRequest", 1, {});
}

/** Metric or event name on the wire for a record. */
export function recordName(r: SignalRecord): string {
  return r.kind === "metric" ? METRICS[r.metric].name : r.body;
}
