// Settings for the Claude Code clients that send to this stack (the `client` section of the stack
// config): what goes into the generated managed-settings.json `env` block.
import { z } from "zod";
import { crossCheck, isRecord } from "../settings-fields.js";
import { RESOURCE_ATTRIBUTES, STANDARD_ATTRIBUTES } from "./telemetry.js";

/** Attribute keys and values end up in `OTEL_RESOURCE_ATTRIBUTES` (`k=v,k=v`): no separators inside. */
export const ATTRIBUTE_KEY_RE = /^[a-zA-Z_][a-zA-Z0-9_.]{0,63}$/;
export const ATTRIBUTE_KEY_MESSAGE = "must be an attribute key of letters, digits, '_' and '.' (at most 64)";
export const attributeKeySchema = z.string().regex(ATTRIBUTE_KEY_RE, { message: ATTRIBUTE_KEY_MESSAGE });
export const attributeValueSchema = z
  .string()
  .min(1, { message: "must not be empty" })
  .max(128, { message: "must be at most 128 characters" })
  .regex(/^[^\s,=]+$/, { message: "must not contain spaces, commas or '='" });

/** A file path on the developer machines (any OS), on one line. */
const clientFilePath = z
  .string()
  .min(1, { message: "must be a file path" })
  .refine((p) => !/[\r\n]/.test(p), { message: "must be a file path on one line" });

/**
 * TLS files as they are found on every developer machine: the CA that signed the ingest's
 * certificate (when it is not publicly trusted) and the client certificate and key (mTLS).
 */
const clientTlsSchema = crossCheck(
  z
    .object({
      caFile: clientFilePath.optional().describe("path on developer machines of the CA that signed the ingest's certificate, when it is not publicly trusted"),
      certFile: clientFilePath.optional().describe("path on developer machines of the client certificate (mTLS), with `keyFile`"),
      keyFile: clientFilePath.optional().describe("path on developer machines of the client certificate's key"),
    })
    .strict(),
  (t, report) => {
    if ((t.certFile === undefined) !== (t.keyFile === undefined))
      report([t.certFile === undefined ? "certFile" : "keyFile"], "certFile and keyFile go together");
  },
);

// ---- per-user identity through the MDM files ------------------------------------------------------

/** A Windows environment variable reference, as REG_EXPAND_SZ expands it: `%USERNAME%`. */
export const WINDOWS_VARIABLE_RE = /%[A-Za-z_][A-Za-z0-9_]*%/g;
/**
 * MDM profile variables as the common tools spell them: `$EMAIL` (Jamf Pro), `${user.mail}`,
 * `{{mail}}`, `{EmailAddress}`, `%Email%`. Never with spaces, commas, '=' or '"' inside.
 */
export const MDM_VARIABLE_RE = /\$\{[^{}\s,="]+\}|\$[A-Za-z_][A-Za-z0-9_]*|\{\{[^{}\s,="]+\}\}|\{[^{}\s,="]+\}|%[^%\s,="]+%/g;
/** Characters a template cannot hold outside its variables: OTEL_RESOURCE_ATTRIBUTES is `k=v,k=v`, the JSON quotes with '"'. */
const TEMPLATE_FORBIDDEN_RE = /[\s,="]/;
const TEMPLATE_FORBIDDEN_MESSAGE = "must not contain spaces, commas, '=' or '\"' (OTEL_RESOURCE_ATTRIBUTES is key=value,key=value)";

/** Attributes Claude Code sets itself: it keeps its own value when OTEL_RESOURCE_ATTRIBUTES names the same key. */
const BUILT_IN_ATTRIBUTES: readonly string[] = [...STANDARD_ATTRIBUTES, ...RESOURCE_ATTRIBUTES];

/** Why a Windows template cannot go into the REG_EXPAND_SZ value, or undefined when it can. */
export function windowsTemplateProblem(template: string): string | undefined {
  const variables = template.match(WINDOWS_VARIABLE_RE) ?? [];
  const outside = template.replace(WINDOWS_VARIABLE_RE, "");
  if (outside.includes("%")) return "may use '%' only in %NAME% variables: Windows expands every %…% of the REG_EXPAND_SZ value";
  if (variables.length === 0) return "must contain a %NAME% variable such as %USERNAME%: without one every machine sends the same value";
  if (TEMPLATE_FORBIDDEN_RE.test(outside)) return TEMPLATE_FORBIDDEN_MESSAGE;
  if (template.length > 128) return "must be at most 128 characters";
  return undefined;
}

/** Why a macOS template cannot go into the configuration profile, or undefined when it can. */
export function macosTemplateProblem(template: string): string | undefined {
  const variables = template.match(MDM_VARIABLE_RE) ?? [];
  if (TEMPLATE_FORBIDDEN_RE.test(template.replace(MDM_VARIABLE_RE, ""))) return TEMPLATE_FORBIDDEN_MESSAGE;
  if (variables.length === 0) {
    return "must contain an MDM variable such as $EMAIL (Jamf Pro), {{mail}} or {EmailAddress}: without one every Mac sends the same value";
  }
  if (template.length > 128) return "must be at most 128 characters";
  return undefined;
}

const template = (problem: (t: string) => string | undefined) =>
  z.string().superRefine((t, ctx) => {
    const message = problem(t);
    if (message !== undefined) ctx.addIssue({ code: "custom", message });
  });

/**
 * A person's identity added to OTEL_RESOURCE_ATTRIBUTES by the MDM files only: Windows expands
 * `%USERNAME%` in the REG_EXPAND_SZ policy value for the user running Claude Code, the MDM fills
 * in its profile variables when it installs the macOS profile. managed-settings.json stays without.
 */
const perUserIdentitySchema = z
  .object({
    attribute: attributeKeySchema
      .refine((k) => !BUILT_IN_ATTRIBUTES.includes(k), {
        message:
          "is one of Claude Code's own attributes: Claude Code keeps its built-in value when OTEL_RESOURCE_ATTRIBUTES sets the same key; use e.g. enduser.id",
      })
      .refine((k) => k !== "environment", { message: "is set by the stack's environment setting; use e.g. enduser.id" })
      .default("enduser.id")
      .describe("per-user identity: the attribute the MDM files add to `OTEL_RESOURCE_ATTRIBUTES` (keep it in `privacy.identityChain`)"),
    windows: template(windowsTemplateProblem)
      .default("%USERNAME%")
      .describe("per-user identity: its value in the Windows .reg file (REG_EXPAND_SZ), `%NAME%` variables expanded for the user running Claude Code"),
    macos: template(macosTemplateProblem)
      .default("$EMAIL")
      .describe("per-user identity: its value in the macOS profile, a variable your MDM fills in (`$EMAIL` is Jamf Pro's; others spell it e.g. `{{mail}}`)"),
  })
  .strict();

const clientSettingsFields = z
  .object({
    protocol: z
      .enum(["grpc", "http/protobuf"], { message: "must be 'grpc' or 'http/protobuf'" })
      .default("grpc")
      .describe("OTLP protocol of the clients: `grpc` (port 4317) or `http/protobuf` (port 4318)"),
    // Keys are checked here rather than by the record's key schema so the message names the key.
    resourceAttributes: crossCheck(z.record(z.string(), attributeValueSchema), (r, report) => {
      for (const key of Object.keys(r)) if (!ATTRIBUTE_KEY_RE.test(key)) report([key], ATTRIBUTE_KEY_MESSAGE);
      if (Object.keys(r).length > 10) report([], "keep it to at most 10 attributes (long lists have broken export)");
    })
      .default({})
      .describe("organisation attributes added to every signal, e.g. `team: platform` (at most 10, no spaces, commas or `=`)"),
    metricExportIntervalMs: z.number().int().min(1000).max(600000).default(60000).describe("how often the clients export metrics"),
    logsExportIntervalMs: z.number().int().min(1000).max(600000).default(5000).describe("how often the clients export events"),
    shutdownTimeoutMs: z.number().int().min(500).max(60000).default(10000).describe("flush time at exit, long enough for `claude -p` and CI runs"),
    includeSessionId: z.boolean().default(true).describe("`session.id` on every metric"),
    includeAccountUuid: z.boolean().default(true).describe("the account's uuid on every metric"),
    includeVersion: z.boolean().default(true).describe("Claude Code's version on every metric"),
    // Content capture is off unless turned on together with contentCaptureAcknowledged.
    logUserPrompts: z.boolean().default(false).describe("content capture: the prompts' text in the events; also needs `client.contentCaptureAcknowledged`"),
    logToolDetails: z
      .boolean()
      .default(false)
      .describe("content capture: tool parameters and input in the events; also needs `client.contentCaptureAcknowledged`"),
    contentCaptureAcknowledged: z.boolean().default(false).describe("`true` confirms developers were told that prompt or tool content is collected"),
    // Needed when the ingest requires client certificates or uses a private CA.
    tls: clientTlsSchema.optional(),
    // Only the MDM files carry it; without it every file is the same for everyone.
    perUserIdentity: perUserIdentitySchema.optional(),
  })
  .strict();

/**
 * Content capture needs an explicit acknowledgement that developers were told. The per-user
 * attribute is not also a fixed one, and with it nothing else in the .reg file's REG_EXPAND_SZ
 * value holds a '%' that Windows would expand.
 */
export const clientSettingsSchema = crossCheck(clientSettingsFields, (c, report) => {
  if (c.contentCaptureAcknowledged !== true) {
    for (const k of ["logUserPrompts", "logToolDetails"] as const) {
      if (c[k] === true) report([k], "captures content developers type or run: also set client.contentCaptureAcknowledged: true once they were told");
    }
  }
  if (!isRecord(c.perUserIdentity)) return;
  const attrs = isRecord(c.resourceAttributes) ? c.resourceAttributes : {};
  const attribute = c.perUserIdentity.attribute ?? "enduser.id";
  if (typeof attribute === "string" && Object.hasOwn(attrs, attribute)) {
    report(["perUserIdentity", "attribute"], `is also set in client.resourceAttributes (one value for everyone): remove ${attribute} from one of the two`);
  }
  const expanded = "the .reg file's value is REG_EXPAND_SZ with client.perUserIdentity, and Windows would expand it";
  for (const [k, v] of Object.entries(attrs))
    if (typeof v === "string" && v.includes("%")) report(["resourceAttributes", k], `must not contain '%': ${expanded}`);
  const tls = isRecord(c.tls) ? c.tls : {};
  for (const k of ["caFile", "certFile", "keyFile"] as const) {
    const v = tls[k];
    if (typeof v === "string" && v.includes("%")) report(["tls", k], `must not contain '%': ${expanded}`);
  }
});

export type ClientSettings = z.infer<typeof clientSettingsSchema>;
export type ClientTlsSettings = NonNullable<ClientSettings["tls"]>;
