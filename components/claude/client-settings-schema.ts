// Settings for the Claude Code clients that send to this stack (the `client` section of the stack
// config): what goes into the generated managed-settings.json `env` block.
import { z } from "zod";
import { crossCheck } from "../settings-fields.js";

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
  })
  .strict();

/** Content capture needs an explicit acknowledgement that developers were told. */
export const clientSettingsSchema = crossCheck(clientSettingsFields, (c, report) => {
  if (c.contentCaptureAcknowledged === true) return;
  for (const k of ["logUserPrompts", "logToolDetails"] as const) {
    if (c[k] === true) report([k], "captures content developers type or run: also set client.contentCaptureAcknowledged: true once they were told");
  }
});

export type ClientSettings = z.infer<typeof clientSettingsSchema>;
export type ClientTlsSettings = NonNullable<ClientSettings["tls"]>;
