// What the stack keeps of who and what: the privacy settings, the collector statements that enforce
// them before any exporter (so a client configured to send more cannot store more), and the "what
// is collected" table developers are shown. Pure functions: the collector renderer, the rollout
// guide, the dashboards and the README table all read from here.
import { z } from "zod";
import { secret } from "./settings-fields.js";
import { METRICS, ORG_ATTRIBUTES, STANDARD_ATTRIBUTES, promLabel } from "./claude/telemetry.js";
import type { Settings } from "./settings.js";
import { DEFAULT_IDENTITY_CHAIN, INSTALLATION_ATTRIBUTE } from "./usage-series.js";

const attributeKey = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_.]*$/, { message: "must be an attribute key such as team or cost_center" });

export const privacySettingsSchema = z
  .object({
    // `email` keeps the identities Claude Code sends, `hash` replaces them with a keyed SHA-256
    // (per-person views still work, without names), `drop` removes them (team-level figures only).
    identity: z
      .enum(["email", "hash", "drop"], { message: "must be 'email', 'hash' or 'drop'" })
      .default("email")
      .describe("who people are on dashboards and in events: `email`, `hash` or `drop` (Privacy, above)"),
    hashAccountIds: z.boolean().default(true).describe("with `hash`: hash the account ids (user.account_uuid, user.account_id) too"),
    hashKey: secret(z.string().regex(/^[A-Za-z0-9]{24,128}$/, { message: "must be 24 to 128 letters and digits" }))
      .optional()
      .meta({
        description: "key of the identity hash (give every stack the same key to see the same person under one hash)",
        shownDefault: "generated per stack",
      }),
    maxContentLength: z.number().int().min(64).max(65536).default(4096).describe("with content capture acknowledged: the longest content value kept"),
    maxLabelValueLength: z.number().int().min(16).max(1024).default(128).describe("the longest metric label value kept (a longer one is cut)"),
    extraMetricLabels: z.array(attributeKey).max(20).default([]).describe("attributes allowed as metric labels beyond the catalog's and the org attributes"),
    identityChain: z
      .array(attributeKey)
      .min(1, { message: "needs at least one attribute" })
      .max(8)
      .refine((keys) => new Set(keys).size === keys.length, { message: "names an attribute twice" })
      .default([...DEFAULT_IDENTITY_CHAIN])
      .describe(
        "who a session belongs to: the first of these attributes present (`user.id` counts installations, shown as `installation:<id>`; leave it out to count only people)",
      ),
  })
  .strict();

export type PrivacySettings = z.infer<typeof privacySettingsSchema>;
export type IdentityMode = PrivacySettings["identity"];

/** Environment variable that carries the identity hash key into the collector. */
export const IDENTITY_HASH_KEY_ENV = "IDENTITY_HASH_KEY";

/** Attributes that name a person. `user.id` is an anonymous installation id, not a person. */
export const PERSON_ATTRIBUTES = ["user.email", "enduser.id"] as const;
export const ACCOUNT_ATTRIBUTES = ["user.account_uuid", "user.account_id"] as const;

/**
 * Event attributes that carry what developers type, run or receive: prompt text, tool parameters and
 * input, tool output and content, raw API request and response bodies, assistant responses.
 */
export const CONTENT_ATTRIBUTES = ["prompt", "tool_parameters", "tool_input", "tool_output", "tool_content", "body", "response", "content", "text"] as const;

/** Without content capture, no event attribute value is kept longer than this. */
export const NO_CAPTURE_MAX_LENGTH = 256;

/** The marker attributes the governance pipelines count by, removed before any exporter. */
export const MARKERS = { labelsTrimmed: "governance.labels_trimmed", contentRemoved: "governance.content_removed" } as const;

/** Run marker of `npm run verify` and the simulator: kept as a label so a check finds its own data. */
export const RUN_MARKER_ATTRIBUTE = "simulation.run";

export interface PrivacyInput {
  privacy: PrivacySettings;
  /** `client.contentCaptureAcknowledged`: developers were told that content is captured. */
  contentCaptureAcknowledged: boolean;
  /** The org attributes lifted onto data points (collector.labelAttributes). */
  labelAttributes: readonly string[];
}

/** The policy a stack's settings set. */
export function policyOf(settings: Settings): PrivacyInput {
  return {
    privacy: settings.privacy,
    contentCaptureAcknowledged: settings.client.contentCaptureAcknowledged,
    labelAttributes: settings.collector.labelAttributes,
  };
}

const q = (s: string) => JSON.stringify(s);
type Context = "resource" | "datapoint" | "log";

function hashed(ctx: Context, key: string): string {
  const path = `${ctx}.attributes[${q(key)}]`;
  // The key is letters and digits only, so it is safe inside the OTTL string literal.
  return `set(${path}, SHA256(Concat(["\${env:${IDENTITY_HASH_KEY_ENV}}", ${path}], ":"))) where ${path} != nil`;
}

/**
 * Statements applying the identity mode to one context's attributes. In `hash` mode a missing key
 * fails closed: the identities are removed rather than hashed with an empty key.
 */
export function identityStatements(ctx: Context, p: PrivacySettings): string[] {
  if (p.identity === "email") return [];
  // The org's own identity attributes in the chain name people as much as an email does; the
  // installation id is anonymous (hashing it would hide nothing) and only `drop` removes it.
  const notPeople: readonly string[] = [...ACCOUNT_ATTRIBUTES, INSTALLATION_ATTRIBUTE];
  const people = [...new Set([...PERSON_ATTRIBUTES, ...p.identityChain.filter((k) => !notPeople.includes(k))])];
  if (p.identity === "hash") {
    const keys = [...people, ...(p.hashAccountIds ? ACCOUNT_ATTRIBUTES : [])];
    const noKey = `"\${env:${IDENTITY_HASH_KEY_ENV}}" == ""`;
    return [...keys.map((k) => `delete_key(${ctx}.attributes, ${q(k)}) where ${noKey}`), ...keys.map((k) => hashed(ctx, k))];
  }
  return [...new Set([...people, ...ACCOUNT_ATTRIBUTES, INSTALLATION_ATTRIBUTE])].map((k) => `delete_key(${ctx}.attributes, ${q(k)})`);
}

const anchoredAlternatives = (keys: readonly string[]) => `^(${keys.map((k) => k.replace(/[.]/g, "\\.")).join("|")})$`;

/** Marks (for counting) events that carry content attributes the policy removes. */
export function contentMarkStatements(input: PrivacyInput): string[] {
  if (input.contentCaptureAcknowledged) return [];
  const any = CONTENT_ATTRIBUTES.map((k) => `log.attributes[${q(k)}] != nil`).join(" or ");
  return [`set(log.attributes[${q(MARKERS.contentRemoved)}], true) where ${any}`];
}

/**
 * Statements scrubbing event content: without the acknowledgement every content attribute is
 * deleted and no value is kept longer than NO_CAPTURE_MAX_LENGTH; with it, values are cut at
 * privacy.maxContentLength. The marker goes too.
 */
export function contentStatements(input: PrivacyInput): string[] {
  const out = [`delete_key(log.attributes, ${q(MARKERS.contentRemoved)})`];
  if (!input.contentCaptureAcknowledged) out.push(`delete_matching_keys(log.attributes, ${q(anchoredAlternatives(CONTENT_ATTRIBUTES))})`);
  out.push(`truncate_all(log.attributes, ${input.contentCaptureAcknowledged ? input.privacy.maxContentLength : NO_CAPTURE_MAX_LENGTH})`);
  return out;
}

/** Attributes that may become Prometheus labels: standard, org, the catalog's metric attributes, extras. */
export function metricLabelAllowList(input: PrivacyInput): string[] {
  const catalog = Object.values(METRICS).flatMap((m) => Object.keys(m.attributes));
  return [
    ...new Set([
      "service.name",
      ...STANDARD_ATTRIBUTES,
      ...PERSON_ATTRIBUTES,
      ...input.privacy.identityChain,
      ...ORG_ATTRIBUTES,
      ...input.labelAttributes,
      ...catalog,
      RUN_MARKER_ATTRIBUTE,
      ...input.privacy.extraMetricLabels,
    ]),
  ];
}

/** Marks (for counting) data points that carry an attribute the allow-list removes. */
export function labelMarkStatements(input: PrivacyInput): string[] {
  const allowed = `[${metricLabelAllowList(input).map(q).join(", ")}]`;
  return [
    `set(datapoint.cache["allowed"], datapoint.attributes)`,
    `keep_keys(datapoint.cache["allowed"], ${allowed})`,
    `set(datapoint.attributes[${q(MARKERS.labelsTrimmed)}], true) where Len(datapoint.cache["allowed"]) < Len(datapoint.attributes)`,
  ];
}

/**
 * Statements bounding metric labels: only allow-listed attributes stay (the marker goes with the
 * rest), values of the catalog's closed sets outside the set become "other", and every value is cut
 * at privacy.maxLabelValueLength.
 */
export function labelStatements(input: PrivacyInput): string[] {
  const out = [`keep_keys(datapoint.attributes, [${metricLabelAllowList(input).map(q).join(", ")}])`];
  for (const m of Object.values(METRICS)) {
    for (const [key, values] of Object.entries(m.attributes)) {
      if (values === "open") continue;
      const path = `datapoint.attributes[${q(key)}]`;
      out.push(`set(${path}, "other") where metric.name == ${q(m.name)} and ${path} != nil and not IsMatch(${path}, ${q(anchoredAlternatives(values))})`);
    }
  }
  out.push(`truncate_all(datapoint.attributes, ${input.privacy.maxLabelValueLength})`);
  return out;
}

// ---- what developers are told ------------------------------------------------------------------

export interface CollectedRow {
  what: string;
  kept: string;
}

/** What the pipeline keeps, in words, for these settings. */
export function collectedTable(input: PrivacyInput): CollectedRow[] {
  const p = input.privacy;
  const who =
    p.identity === "email"
      ? "kept as sent: email (OAuth sign-in), org identity (enduser.id), account ids"
      : p.identity === "hash"
        ? `replaced by a keyed SHA-256 hash: email, org identity${p.hashAccountIds ? ", account ids" : " (account ids kept)"}`
        : "removed: email, org identity, account ids and the installation id (team-level figures only)";
  const chain =
    p.identity === "drop"
      ? []
      : [
          {
            what: "Who: which identity names a session",
            kept: `the first present of ${p.identityChain.map((k) => `\`${k}\``).join(", ")}${
              p.identityChain.includes(INSTALLATION_ATTRIBUTE)
                ? "; sessions with no identity of a person (API key, Bedrock, Vertex) count per installation"
                : "; sessions with none of them count for no one"
            }`,
          },
        ];
  return [
    {
      what: "Usage: cost, tokens, sessions, active time, lines of code, commits, pull requests, edit decisions",
      kept: `summed per ${p.identity === "drop" ? "" : "person, "}team, department, cost centre, environment and model (cost and tokens also per query source, subagent, skill, plugin, MCP server and tool); never per session`,
    },
    { what: "Who: person identity", kept: who },
    ...chain,
    {
      what: "Content: prompt text, assistant responses, tool parameters and content, raw API bodies",
      kept: input.contentCaptureAcknowledged
        ? `kept when the clients send it (content capture acknowledged), cut at ${p.maxContentLength} characters`
        : `removed by the collector whatever the clients send; no event value kept longer than ${NO_CAPTURE_MAX_LENGTH} characters`,
    },
    {
      what: "Events: prompts (length only), API requests, errors and refusals, tool results and decisions, compactions, subagents, skills, plugins, MCP connections",
      kept: "kept, with the attributes above applied; some also counted per team (not per person) as metrics",
    },
    {
      what: "Metric labels",
      kept: `the org attributes, ${p.identity === "drop" ? "" : "the person, "}each metric's own (model, type, …)${p.extraMetricLabels.length > 0 ? `, ${p.extraMetricLabels.join(", ")}` : ""}, out of ${metricLabelAllowList(input).length} known attributes (values over ${p.maxLabelValueLength} characters cut, unknown values of closed sets counted as "other")`,
    },
  ];
}

export function collectedMarkdown(input: PrivacyInput): string {
  return ["| what | what this stack keeps |", "|---|---|", ...collectedTable(input).map((r) => `| ${r.what} | ${r.kept} |`)].join("\n");
}

/** Prometheus labels of the person attributes, for checks that nothing forbidden is stored. */
export const PERSON_LABELS = [...PERSON_ATTRIBUTES, ...ACCOUNT_ATTRIBUTES].map(promLabel);
