// The settings that switch Claude Code telemetry on and point it at this stack: the `env` block,
// managed-settings.json, and the managed-settings.d drop-in. Pure functions; every value a string.
// Facts (variable names, defaults, precedence) follow the project's Claude Code telemetry reference.
import type { z } from "zod";
import { attributeValueSchema, clientSettingsSchema, type ClientSettings } from "./client-settings-schema.js";
import { formatIssues, generatedEnvSchema, type ManagedSettings } from "./claude-settings-schema.js";

export type { ManagedSettings } from "./claude-settings-schema.js";

/**
 * How clients authenticate to the OTLP ingest. File paths are paths on the developer machine;
 * `caFile` is the CA of an ingest certificate that is not publicly trusted.
 */
export type ClientAuth =
  | { kind: "none"; caFile?: string }
  | { kind: "bearer"; token: string; caFile?: string }
  /** mTLS; `token` adds a bearer token on top of the client certificate. */
  | { kind: "mtls"; caFile?: string; certFile: string; keyFile: string; token?: string };
export type AuthKind = ClientAuth["kind"];

/** Base URLs of the stack's OTLP ingest, e.g. http://127.0.0.1:4317 and http://127.0.0.1:4318. */
export interface ClientEndpoints {
  grpc: string;
  http: string;
}

export interface ClientTarget {
  /** The stack's `client` settings (validated again here, so the content-capture rule always holds). */
  client: ClientSettings | z.input<typeof clientSettingsSchema>;
  /** Becomes the `environment` resource attribute. */
  environment: string;
  endpoints: ClientEndpoints;
  auth: ClientAuth;
  /**
   * The MDM file the block is for. With `client.perUserIdentity`, that platform's template (e.g.
   * `enduser.id=%USERNAME%`) joins OTEL_RESOURCE_ATTRIBUTES; without `perUser` (managed-settings.json,
   * the drop-in, a developer's settings.json) it never does, as a file cannot fill it in.
   */
  perUser?: PerUserPlatform;
}

/** The MDM files that can carry a per-user identity: the Windows .reg file and the macOS profile. */
export type PerUserPlatform = "windows" | "macos";

/** Where an admin puts managed-settings.json, per OS. */
export const MANAGED_SETTINGS_PATHS = {
  macos: "/Library/Application Support/ClaudeCode/managed-settings.json",
  linux: "/etc/claude-code/managed-settings.json",
  windows: "C:\\Program Files\\ClaudeCode\\managed-settings.json",
} as const;

/** The drop-in folder beside each managed-settings.json; its files merge in name order. */
export const MANAGED_SETTINGS_DROP_IN_DIRS = {
  macos: "/Library/Application Support/ClaudeCode/managed-settings.d",
  linux: "/etc/claude-code/managed-settings.d",
  windows: "C:\\Program Files\\ClaudeCode\\managed-settings.d",
} as const;

export const DROP_IN_FILE_NAME = "10-telemetry.json";

/** Shown wherever the ingest token must not appear (guides, logs, dry runs). */
export const TOKEN_PLACEHOLDER = "<ingest-token>";

export class ClientSettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid client telemetry settings:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ClientSettingsError";
  }
}

/** Base endpoint for the exporter: scheme, host and port only (the SDK appends /v1/metrics, /v1/logs). */
function baseEndpoint(url: string, key: string, problems: string[]): string {
  try {
    const u = new URL(url);
    if ((u.protocol === "http:" || u.protocol === "https:") && u.hostname && u.pathname === "/" && !u.search && !u.hash) {
      return `${u.protocol}//${u.host}`;
    }
  } catch {
    // reported below
  }
  problems.push(`endpoints.${key}: must be a base URL such as http://127.0.0.1:4318 or https://otel.example.com (got ${JSON.stringify(url)})`);
  return url;
}

/** A token goes into `Authorization=Bearer <token>` inside a comma list: no separators, no spaces. */
function checkToken(token: string, problems: string[]): void {
  // The placeholder is allowed so reviewable files (npm run render) can be rendered without the secret.
  if (token !== TOKEN_PLACEHOLDER && !/^[A-Za-z0-9._~+/=-]{16,}$/.test(token)) {
    problems.push("auth.token: must be at least 16 characters of letters, digits and . _ ~ + / = - (no spaces, commas or '%')");
  }
}

function checkPath(path: string | undefined, key: string, problems: string[]): void {
  if (path !== undefined && (path.trim() === "" || /[\r\n]/.test(path))) problems.push(`auth.${key}: must be a file path on one line`);
}

function resourceAttributes(client: ClientSettings, environment: string, perUser: PerUserPlatform | undefined, problems: string[]): string {
  const env = attributeValueSchema.safeParse(environment);
  if (!env.success) problems.push(`environment: ${env.error.issues[0]?.message ?? "invalid"} (got ${JSON.stringify(environment)})`);
  const own = client.resourceAttributes.environment;
  if (own !== undefined && own !== environment) {
    problems.push(`client.resourceAttributes.environment: conflicts with the stack environment '${environment}'; set the stack's environment setting instead`);
  }
  const attrs: Record<string, string> = { environment, ...client.resourceAttributes };
  // The schema keeps the per-user attribute apart from the fixed ones; the template goes last.
  const identity = client.perUserIdentity;
  if (perUser !== undefined && identity !== undefined) attrs[identity.attribute] = identity[perUser];
  return Object.entries(attrs)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/**
 * The `env` block that turns telemetry on for one client: the same block goes into managed settings,
 * the drop-in, MDM profiles and a developer's own settings.json.
 */
export function renderClientEnv(input: ClientTarget): Record<string, string> {
  const parsed = clientSettingsSchema.safeParse(input.client);
  if (!parsed.success) throw new ClientSettingsError(formatIssues(parsed.error).map((p) => `client.${p}`));
  const client = parsed.data;
  const problems: string[] = [];
  const grpc = client.protocol === "grpc";
  const endpoint = grpc ? baseEndpoint(input.endpoints.grpc, "grpc", problems) : baseEndpoint(input.endpoints.http, "http", problems);

  const env: Record<string, string> = {
    CLAUDE_CODE_ENABLE_TELEMETRY: "1",
    // The selectors follow per-key precedence, so managed settings must set them as well.
    OTEL_METRICS_EXPORTER: "otlp",
    OTEL_LOGS_EXPORTER: "otlp",
    // No default in Claude Code: always explicit.
    OTEL_EXPORTER_OTLP_PROTOCOL: client.protocol,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    // Claude Code's own default, set explicitly: every export is an exact increment the collector
    // sums per person, whichever replica it reaches (components/usage-series.ts).
    OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "delta",
    OTEL_METRIC_EXPORT_INTERVAL: String(client.metricExportIntervalMs),
    OTEL_LOGS_EXPORT_INTERVAL: String(client.logsExportIntervalMs),
    OTEL_RESOURCE_ATTRIBUTES: resourceAttributes(client, input.environment, input.perUser, problems),
    OTEL_METRICS_INCLUDE_SESSION_ID: String(client.includeSessionId),
    OTEL_METRICS_INCLUDE_ACCOUNT_UUID: String(client.includeAccountUuid),
    OTEL_METRICS_INCLUDE_VERSION: String(client.includeVersion),
    // Long enough for short `claude -p` and CI runs to flush before exit.
    CLAUDE_CODE_OTEL_SHUTDOWN_TIMEOUT_MS: String(client.shutdownTimeoutMs),
  };

  const auth = input.auth;
  const token = auth.kind === "bearer" ? auth.token : auth.kind === "mtls" ? auth.token : undefined;
  if (token !== undefined) {
    checkToken(token, problems);
    env.OTEL_EXPORTER_OTLP_HEADERS = `Authorization=Bearer ${token}`;
  }
  const caFile = auth.caFile ?? client.tls?.caFile;
  checkPath(caFile, "caFile", problems);
  if (auth.kind === "mtls") {
    checkPath(auth.certFile, "certFile", problems);
    checkPath(auth.keyFile, "keyFile", problems);
  }
  if ((auth.kind === "mtls" || caFile) && !endpoint.startsWith("https:")) {
    problems.push(`endpoints.${grpc ? "grpc" : "http"}: must be https for ${auth.kind === "mtls" ? "mTLS" : "a CA file"}`);
  }
  if (grpc) {
    if (caFile) env.OTEL_EXPORTER_OTLP_CERTIFICATE = caFile;
    if (auth.kind === "mtls") {
      env.OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE = auth.certFile;
      env.OTEL_EXPORTER_OTLP_CLIENT_KEY = auth.keyFile;
    }
  } else {
    // The HTTP exporter uses Claude Code's own client-certificate settings and Node's CA list.
    if (auth.kind === "mtls") {
      env.CLAUDE_CODE_CLIENT_CERT = auth.certFile;
      env.CLAUDE_CODE_CLIENT_KEY = auth.keyFile;
    }
    if (caFile) env.NODE_EXTRA_CA_CERTS = caFile;
  }

  // Content capture only when switched on; the schema already demanded the acknowledgement.
  if (client.logUserPrompts) env.OTEL_LOG_USER_PROMPTS = "1";
  if (client.logToolDetails) env.OTEL_LOG_TOOL_DETAILS = "1";

  if (problems.length > 0) throw new ClientSettingsError(problems);
  // Guard against the renderer and the schema drifting apart.
  const check = generatedEnvSchema.safeParse(env);
  if (!check.success) throw new ClientSettingsError(formatIssues(check.error).map((p) => `generated env.${p}`));
  return env;
}

/**
 * The auth a stack's clients use: mTLS with the files of `client.tls` when the ingest requires client
 * certificates, a bearer token when it has one (both when it has both), `client.tls.caFile` for a private CA.
 */
export function clientAuthFor(client: ClientSettings, opts: { token?: string; clientCertificates?: boolean }): ClientAuth {
  const tls = client.tls ?? {};
  const ca = tls.caFile ? { caFile: tls.caFile } : {};
  if (opts.clientCertificates) {
    if (!tls.certFile || !tls.keyFile) {
      throw new ClientSettingsError([
        "client.tls: certFile and keyFile (paths on developer machines) are required when the ingest requires client certificates",
      ]);
    }
    return { kind: "mtls", certFile: tls.certFile, keyFile: tls.keyFile, ...ca, ...(opts.token !== undefined ? { token: opts.token } : {}) };
  }
  if (opts.token !== undefined) return { kind: "bearer", token: opts.token, ...ca };
  return { kind: "none", ...ca };
}

/** managed-settings.json: the env block and nothing else, so it sits beside an org's other policy. */
export function renderManagedSettings(input: ClientTarget): ManagedSettings {
  return { env: renderClientEnv(input) };
}

/** The same settings as a drop-in for `managed-settings.d/`, which merges in name order. */
export function renderDropIn(input: ClientTarget): { fileName: string; settings: ManagedSettings; content: string } {
  const settings = renderManagedSettings(input);
  return { fileName: DROP_IN_FILE_NAME, settings, content: formatSettingsJson(settings) };
}

/** Settings file text: two-space JSON with a final newline. */
export function formatSettingsJson(settings: unknown): string {
  return `${JSON.stringify(settings, null, 2)}\n`;
}

/** The bearer token inside an env block's OTEL_EXPORTER_OTLP_HEADERS, if any. */
export function bearerTokenFromEnv(env: Readonly<Record<string, string>>): string | undefined {
  const headers = env.OTEL_EXPORTER_OTLP_HEADERS;
  if (!headers) return undefined;
  for (const pair of headers.split(",")) {
    const eq = pair.indexOf("=");
    if (eq < 0 || pair.slice(0, eq).trim().toLowerCase() !== "authorization") continue;
    const m = /^Bearer\s+(\S+)$/i.exec(pair.slice(eq + 1).trim());
    if (m) return m[1];
  }
  return undefined;
}

/** Header values masked: `Authorization=Bearer <ingest-token>`. Other variables are returned as they are. */
export function maskEnvValue(key: string, value: string, placeholder = TOKEN_PLACEHOLDER): string {
  if (key !== "OTEL_EXPORTER_OTLP_HEADERS") return value;
  return value
    .split(",")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq < 0) return pair;
      const name = pair.slice(0, eq);
      const scheme = /^(Bearer|Basic)\s+/i.exec(pair.slice(eq + 1));
      return `${name}=${scheme ? scheme[0] : ""}${placeholder}`;
    })
    .join(",");
}

/** A copy of an env block that is safe to print or publish. */
export function redactEnv(env: Readonly<Record<string, string>>, placeholder = TOKEN_PLACEHOLDER): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, maskEnvValue(k, v, placeholder)]));
}
