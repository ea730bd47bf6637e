// The subset of Claude Code's settings file that this project writes: the telemetry `env` block.
// Two views of it: `generatedEnvSchema` for what the project generates (closed set of keys, every
// required selector present, project policy such as delta temporality), and
// `userSettingsSchema` for a developer's whole settings.json after the block was merged in (every
// other key is theirs and allowed; the telemetry keys must still hold valid values).
import { z } from "zod";

const boolFlag = z.enum(["0", "1", "true", "false"], { message: "must be '1', '0', 'true' or 'false'" });
const millis = z.string().regex(/^[1-9]\d*$/, { message: "must be a whole number of milliseconds" });
const nonEmptyPath = z
  .string()
  .min(1, { message: "must be a file path" })
  .refine((s) => !/[\r\n]/.test(s), { message: "must be a file path on one line" });

/** Base URL without path, query or fragment: the exporter appends `/v1/metrics` and `/v1/logs`. */
const baseEndpoint = z.string().refine(
  (s) => {
    try {
      const u = new URL(s);
      return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "" && u.pathname === "/" && !u.search && !u.hash && !s.endsWith("/");
    } catch {
      return false;
    }
  },
  { message: "must be a base URL such as http://127.0.0.1:4318 (http or https, no path, no trailing '/')" },
);

/** Per-signal endpoints are used exactly as given, so they carry the full path. */
const signalEndpoint = z.url({ message: "must be an absolute URL including the signal path, e.g. .../v1/metrics" });

/** `key=value,key=value` as OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES take it. */
const keyValueList = (what: string) =>
  z.string().regex(/^[^=,\s]+=[^,]*[^,\s](,[^=,\s]+=[^,]*[^,\s])*$/, { message: `must be a comma-separated list of ${what}` });

/** Every environment variable the project may write, with the values Claude Code accepts. */
export const TELEMETRY_ENV = {
  CLAUDE_CODE_ENABLE_TELEMETRY: boolFlag,
  OTEL_METRICS_EXPORTER: z
    .string()
    .regex(/^(otlp|prometheus|console|none)(,(otlp|prometheus|console|none))*$/, { message: "must be otlp, prometheus, console or none (comma list)" }),
  OTEL_LOGS_EXPORTER: z.string().regex(/^(otlp|console|none)(,(otlp|console|none))*$/, { message: "must be otlp, console or none (comma list)" }),
  OTEL_TRACES_EXPORTER: z.string().regex(/^(otlp|console|none)(,(otlp|console|none))*$/, { message: "must be otlp, console or none (comma list)" }),
  CLAUDE_CODE_ENHANCED_TELEMETRY_BETA: boolFlag,
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(["grpc", "http/protobuf", "http/json"], { message: "must be grpc, http/protobuf or http/json" }),
  OTEL_EXPORTER_OTLP_ENDPOINT: baseEndpoint,
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: signalEndpoint,
  OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: signalEndpoint,
  OTEL_EXPORTER_OTLP_HEADERS: keyValueList("header=value pairs (no spaces around '=')"),
  OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: z.enum(["delta", "cumulative"], { message: "must be delta or cumulative" }),
  OTEL_METRIC_EXPORT_INTERVAL: millis,
  OTEL_LOGS_EXPORT_INTERVAL: millis,
  OTEL_LOG_USER_PROMPTS: boolFlag,
  OTEL_LOG_TOOL_DETAILS: boolFlag,
  OTEL_LOG_ASSISTANT_RESPONSES: boolFlag,
  OTEL_LOG_TOOL_CONTENT: boolFlag,
  OTEL_LOG_RAW_API_BODIES: boolFlag,
  OTEL_RESOURCE_ATTRIBUTES: keyValueList("key=value attributes"),
  OTEL_METRICS_INCLUDE_SESSION_ID: boolFlag,
  OTEL_METRICS_INCLUDE_ACCOUNT_UUID: boolFlag,
  OTEL_METRICS_INCLUDE_VERSION: boolFlag,
  OTEL_METRICS_INCLUDE_RESOURCE_ATTRIBUTES: boolFlag,
  CLAUDE_CODE_OTEL_SHUTDOWN_TIMEOUT_MS: millis,
  OTEL_EXPORTER_OTLP_CERTIFICATE: nonEmptyPath,
  OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: nonEmptyPath,
  OTEL_EXPORTER_OTLP_CLIENT_KEY: nonEmptyPath,
  CLAUDE_CODE_CLIENT_CERT: nonEmptyPath,
  CLAUDE_CODE_CLIENT_KEY: nonEmptyPath,
  NODE_EXTRA_CA_CERTS: nonEmptyPath,
} as const;

export type TelemetryEnvKey = keyof typeof TELEMETRY_ENV;
export const TELEMETRY_ENV_KEYS = Object.keys(TELEMETRY_ENV) as TelemetryEnvKey[];

/** Keys every generated block sets (the selectors follow per-key precedence, so managed settings need them). */
export const REQUIRED_ENV_KEYS = [
  "CLAUDE_CODE_ENABLE_TELEMETRY",
  "OTEL_METRICS_EXPORTER",
  "OTEL_LOGS_EXPORTER",
  "OTEL_EXPORTER_OTLP_PROTOCOL",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
] as const satisfies readonly TelemetryEnvKey[];

const GRPC_TLS_KEYS = ["OTEL_EXPORTER_OTLP_CERTIFICATE", "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "OTEL_EXPORTER_OTLP_CLIENT_KEY"] as const;
const HTTP_TLS_KEYS = ["CLAUDE_CODE_CLIENT_CERT", "CLAUDE_CODE_CLIENT_KEY"] as const;

const envShape = Object.fromEntries(TELEMETRY_ENV_KEYS.map((k) => [k, TELEMETRY_ENV[k].optional()])) as {
  [K in TelemetryEnvKey]: z.ZodOptional<(typeof TELEMETRY_ENV)[K]>;
};

/** The env block this project generates: known keys only, consistent with each other. */
export const generatedEnvSchema = z
  .object(envShape)
  .strict()
  .superRefine((env, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    for (const k of REQUIRED_ENV_KEYS) if (env[k] === undefined) issue(k, "is required in the generated telemetry settings");
    if (env.CLAUDE_CODE_ENABLE_TELEMETRY !== undefined && env.CLAUDE_CODE_ENABLE_TELEMETRY !== "1") {
      issue("CLAUDE_CODE_ENABLE_TELEMETRY", "must be '1' in the generated settings");
    }
    if (env.OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE === "cumulative") {
      issue(
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
        "must be 'delta': the collector sums deltas per person; cumulative counters need per-session state in one collector",
      );
    }
    const headers = env.OTEL_EXPORTER_OTLP_HEADERS;
    if (headers !== undefined && !/^Authorization=Bearer [^\s,]+$/.test(headers)) {
      issue("OTEL_EXPORTER_OTLP_HEADERS", "must be exactly 'Authorization=Bearer <token>'");
    }
    const grpc = env.OTEL_EXPORTER_OTLP_PROTOCOL === "grpc";
    for (const k of grpc ? HTTP_TLS_KEYS : GRPC_TLS_KEYS) {
      if (env[k] !== undefined) issue(k, `does not apply to protocol ${env.OTEL_EXPORTER_OTLP_PROTOCOL ?? "(unset)"}`);
    }
    if (grpc && env.NODE_EXTRA_CA_CERTS !== undefined) issue("NODE_EXTRA_CA_CERTS", "gRPC takes its CA from OTEL_EXPORTER_OTLP_CERTIFICATE");
    const pairs = [
      ["OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "OTEL_EXPORTER_OTLP_CLIENT_KEY"],
      ["CLAUDE_CODE_CLIENT_CERT", "CLAUDE_CODE_CLIENT_KEY"],
    ] as const;
    for (const [cert, key] of pairs) {
      if ((env[cert] === undefined) !== (env[key] === undefined)) issue(env[cert] === undefined ? cert : key, `${cert} and ${key} go together`);
    }
    const usesTls = [...GRPC_TLS_KEYS, ...HTTP_TLS_KEYS].some((k) => env[k] !== undefined);
    if (usesTls && env.OTEL_EXPORTER_OTLP_ENDPOINT?.startsWith("http:")) {
      issue("OTEL_EXPORTER_OTLP_ENDPOINT", "must be https when client certificates are configured");
    }
  });

export type GeneratedEnv = z.infer<typeof generatedEnvSchema>;

/** managed-settings.json and the managed-settings.d drop-in: only the env block. */
export const managedSettingsSchema = z.object({ env: generatedEnvSchema }).strict();
export type ManagedSettings = { env: Record<string, string> };

/**
 * A developer's settings.json after merging: any other top-level key and any other env key is theirs;
 * env values are strings, and the telemetry keys that are present hold values Claude Code accepts.
 */
export const userSettingsSchema = z.looseObject({
  env: z
    .record(z.string(), z.string({ message: "env values must be strings" }))
    .superRefine((env, ctx) => {
      for (const k of TELEMETRY_ENV_KEYS) {
        const v = env[k];
        if (v === undefined) continue;
        const r = TELEMETRY_ENV[k].safeParse(v);
        if (!r.success) ctx.addIssue({ code: "custom", path: [k], message: r.error.issues[0]?.message ?? "invalid value" });
      }
    })
    .optional(),
  /** Script printing a JSON object of headers (rotating tokens; HTTP protocols only). */
  otelHeadersHelper: z.string().min(1).optional(),
});

/** One line per problem, `env.KEY: message`. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
}
