// The rollout guide: one markdown page for developers and platform teams about what the stack
// collects, which settings to apply, how to check it works, and how to undo it. It is published as
// a stack output and a rendered file, so it never holds the ingest token: the env block is built
// with a placeholder and redacted once more before it is printed.
import { EVENTS, METRICS, STANDARD_ATTRIBUTES } from "./telemetry.js";
import { clientSettingsSchema, type ClientSettings } from "./client-settings-schema.js";
import {
  DROP_IN_FILE_NAME,
  MANAGED_SETTINGS_DROP_IN_DIRS,
  MANAGED_SETTINGS_PATHS,
  TOKEN_PLACEHOLDER,
  redactEnv,
  renderClientEnv,
  type AuthKind,
  type ClientAuth,
  type ClientEndpoints,
} from "./managed-settings.js";
import { PREFERENCE_DOMAIN, REGISTRY_KEY, REGISTRY_VALUE } from "./mdm.js";
import type { z } from "zod";

export interface RolloutGuideInput {
  stackName: string;
  target: "docker" | "kubernetes";
  endpoints: ClientEndpoints;
  grafanaUrl: string;
  client: ClientSettings | z.input<typeof clientSettingsSchema>;
  authKind: AuthKind;
  /** The `environment` resource attribute; the stack name when absent. */
  environment?: string;
  /** With authKind mtls: clients send the bearer token as well as the certificate. */
  tokenWithMtls?: boolean;
  /** mTLS file paths to show; placeholders when absent. */
  mtlsFiles?: { caFile?: string; certFile: string; keyFile: string };
  /** Dashboards to link, e.g. { title: "Claude Code overview", path: "/d/claude-code-overview" }. */
  dashboards?: readonly { title: string; path: string }[];
  /** What the stack's collector keeps (a markdown table from components/privacy.ts). */
  collected?: string;
  /** What happens to the collected data when the stack is destroyed, and how to remove it (markdown). */
  dataOnDestroy?: string;
}

const code = (s: string) => `\`${s}\``;
/** Passes the token check; redacted to TOKEN_PLACEHOLDER before anything is printed. */
const PLACEHOLDER_TOKEN = "placeholder-token-000000";

function placeholderAuth(input: RolloutGuideInput, client: ClientSettings): ClientAuth {
  const fromSettings =
    client.tls?.certFile && client.tls.keyFile ? { caFile: client.tls.caFile, certFile: client.tls.certFile, keyFile: client.tls.keyFile } : undefined;
  const files = input.mtlsFiles ?? fromSettings ?? { caFile: "<path-to-ca.pem>", certFile: "<path-to-client-cert.pem>", keyFile: "<path-to-client-key.pem>" };
  switch (input.authKind) {
    case "none":
      return { kind: "none" };
    case "bearer":
      return { kind: "bearer", token: PLACEHOLDER_TOKEN };
    case "mtls":
      return { kind: "mtls", ...files, ...(input.tokenWithMtls ? { token: PLACEHOLDER_TOKEN } : {}) };
  }
}

function collectedSection(client: ClientSettings, env: Record<string, string>): string[] {
  const metrics = Object.values(METRICS).map((m) => `- ${code(m.name)}${m.unit ? ` (${m.unit})` : ""}: ${m.description}`);
  const events = Object.values(EVENTS).map(
    (e) =>
      `- ${code(e.name)}: ${e.attributes
        .filter((a) => a !== "prompt.id")
        .map(code)
        .join(", ")}`,
  );
  const attrs = (env.OTEL_RESOURCE_ATTRIBUTES ?? "").split(",").filter(Boolean);
  return [
    "## What is collected",
    "",
    "Metrics (counters, exported every " + `${client.metricExportIntervalMs / 1000} s):`,
    "",
    ...metrics,
    "",
    "Cost is Claude Code's own client-side estimate, not billing data.",
    "",
    `Events (OTLP logs, exported every ${client.logsExportIntervalMs / 1000} s):`,
    "",
    ...events,
    "",
    `Every metric and event also carries ${STANDARD_ATTRIBUTES.map(code).join(", ")} where they apply:`,
    "",
    "- `user.email` is sent with OAuth sign-in (Claude accounts) and cannot be switched off on the client; API-key, Bedrock and Vertex sign-ins send none.",
    "- `user.id` is an anonymous id per installation: it counts installations, not people.",
    `- \`session.id\` is ${client.includeSessionId ? "included" : "left out"}, account ids are ${client.includeAccountUuid ? "included" : "left out"}, \`app.version\` is ${client.includeVersion ? "included" : "left out"}.`,
    `- Organisation attributes set by this stack: ${attrs.map(code).join(", ")}.`,
    "",
    "## What is not collected",
    "",
    client.logUserPrompts
      ? "- **Prompt text IS collected** (`OTEL_LOG_USER_PROMPTS=1`): the `user_prompt` event carries what developers type."
      : "- Prompt text: not collected; `user_prompt` events carry only the prompt length.",
    client.logToolDetails
      ? "- **Tool parameters and inputs ARE collected** (`OTEL_LOG_TOOL_DETAILS=1`): commands and file paths that tools ran with."
      : "- Tool parameters and inputs (commands, file paths): not collected; `tool_result` events carry tool name, outcome, duration and sizes.",
    "- Model responses, file contents and raw API bodies: not collected.",
    "- Traces: not enabled.",
    "",
  ];
}

/** What the collector keeps whatever a client sends: the stack's privacy policy, in words. */
function keptSection(collected: string | undefined): string[] {
  if (!collected) return [];
  return ["## What this stack keeps", "", "Whatever a client is set to send, the stack's collector keeps only this:", "", collected, ""];
}

function settingsSection(input: RolloutGuideInput, env: Record<string, string>): string[] {
  const json = JSON.stringify({ env }, null, 2);
  const tokenNote =
    env.OTEL_EXPORTER_OTLP_HEADERS !== undefined
      ? [
          `Replace ${code(TOKEN_PLACEHOLDER)} with the ingest token (a stack secret: \`pulumi stack output clientEnv --show-secrets --stack ${input.stackName}\`). Never commit it.`,
          "",
        ]
      : [];
  return [
    "## Settings to apply",
    "",
    "Every machine gets the same `env` block:",
    "",
    "```json",
    json,
    "```",
    "",
    ...tokenNote,
    "### Platform teams: managed settings",
    "",
    "Managed settings win over everything a developer sets; the telemetry block as a whole is taken from them.",
    "",
    "| OS | file | or as a drop-in beside other policy |",
    "|---|---|---|",
    `| macOS | ${code(MANAGED_SETTINGS_PATHS.macos)} | ${code(`${MANAGED_SETTINGS_DROP_IN_DIRS.macos}/${DROP_IN_FILE_NAME}`)} |`,
    `| Linux, WSL | ${code(MANAGED_SETTINGS_PATHS.linux)} | ${code(`${MANAGED_SETTINGS_DROP_IN_DIRS.linux}/${DROP_IN_FILE_NAME}`)} |`,
    `| Windows | ${code(MANAGED_SETTINGS_PATHS.windows)} | ${code(`${MANAGED_SETTINGS_DROP_IN_DIRS.windows}\\${DROP_IN_FILE_NAME}`)} |`,
    "",
    `- macOS with MDM: install the configuration profile (preference domain ${code(PREFERENCE_DOMAIN)}).`,
    `- Windows with Group Policy or Intune: import the .reg file (${code(`${REGISTRY_KEY}`)}, string value ${code(REGISTRY_VALUE)} holding the JSON).`,
    "- Only one managed source is read (MDM profile or registry before the file): if one is in use already, add the `env` block there instead of shipping a second source.",
    "- `npm run render` writes all of these files for review.",
    "",
    "### One developer without MDM",
    "",
    "```sh",
    `npm run install-settings -- --stack ${input.stackName} --dry-run   # show what would change`,
    `npm run install-settings -- --stack ${input.stackName}`,
    "```",
    "",
    "This merges the block into `~/.claude/settings.json`, keeps every other setting, and writes a timestamped backup first.",
    "",
  ];
}

function verifySection(input: RolloutGuideInput, client: ClientSettings, env: Record<string, string>): string[] {
  const host = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? input.endpoints.http).hostname;
  const loopback = host === "localhost" || host === "[::1]" || host.startsWith("127.");
  return [
    "## Check that it works",
    "",
    `1. From a developer machine: \`npm run check-endpoint -- --stack ${input.stackName}\` (the ingest must answer${env.OTEL_EXPORTER_OTLP_HEADERS ? ", and refuse requests without the token" : ""}).`,
    "2. Restart running Claude Code sessions: telemetry settings are read at start.",
    "3. In Claude Code, `/status` lists the setting sources (managed settings appear there).",
    `4. Use Claude Code for a minute, then open Grafana; metrics arrive every ${client.metricExportIntervalMs / 1000} s, events within seconds.`,
    `5. Short \`claude -p\` and CI runs flush for up to ${client.shutdownTimeoutMs / 1000} s at exit (\`CLAUDE_CODE_OTEL_SHUTDOWN_TIMEOUT_MS\`).`,
    "",
    ...(loopback ? [`The ingest is addressed as ${code(host)}: only Claude Code on the machine running the stack can reach it.`, ""] : []),
  ];
}

function rollbackSection(input: RolloutGuideInput): string[] {
  return [
    "## Opt out or roll back",
    "",
    `- One developer: \`npm run install-settings -- --stack ${input.stackName} --rollback\` restores the newest backup of \`~/.claude/settings.json\`; or set \`CLAUDE_CODE_ENABLE_TELEMETRY\` to \`0\` in its \`env\` block.`,
    `- Platform teams: remove the drop-in \`${DROP_IN_FILE_NAME}\` (or the \`env\` keys from managed-settings.json), remove the configuration profile, or import the removal .reg file. Developers cannot opt out of managed settings themselves.`,
    "- Either way, sessions pick up the change when they restart.",
    "",
  ];
}

function retireSection(input: RolloutGuideInput): string[] {
  return [
    "## Retiring this stack",
    "",
    "In this order, so no Claude Code keeps sending to a stack that is gone:",
    "",
    "1. Remove the client settings from every machine (above), and let running sessions restart.",
    `2. \`pulumi destroy --stack ${input.stackName}\`.`,
    ...(input.dataOnDestroy ? [`3. ${input.dataOnDestroy}`] : []),
    "",
  ];
}

function dashboardsSection(input: RolloutGuideInput): string[] {
  const base = input.grafanaUrl.replace(/\/+$/, "");
  const links = (input.dashboards ?? []).map((d) => `- [${d.title}](${base}${d.path.startsWith("/") ? "" : "/"}${d.path})`);
  return ["## Dashboards", "", `Grafana: ${base}`, "", ...(links.length ? [...links, ""] : [])];
}

/** Markdown rollout guide for one stack. */
export function renderRolloutGuide(input: RolloutGuideInput): string {
  const client = clientSettingsSchema.parse(input.client);
  const env = renderClientEnv({
    client,
    environment: input.environment ?? input.stackName,
    endpoints: input.endpoints,
    auth: placeholderAuth(input, client),
  });
  const shown = redactEnv(env);
  const lines = [
    `# Claude Code telemetry: rollout guide for stack \`${input.stackName}\``,
    "",
    `Claude Code sends usage metrics and events over OpenTelemetry (${client.protocol === "grpc" ? "gRPC" : "HTTP/protobuf"}) to this organisation's own stack (${input.target === "docker" ? "Docker on one machine" : "Kubernetes"}); nothing goes to a third party.`,
    "",
    `- OTLP ingest: gRPC ${code(input.endpoints.grpc)}, HTTP ${code(input.endpoints.http)}`,
    `- Authentication: ${{ none: "none", bearer: "bearer token", mtls: input.tokenWithMtls ? "client certificate (mTLS) and bearer token" : "client certificate (mTLS)" }[input.authKind]}`,
    "",
    ...collectedSection(client, shown),
    ...keptSection(input.collected),
    ...settingsSection(input, shown),
    ...verifySection(input, client, shown),
    ...rollbackSection(input),
    ...retireSection(input),
    ...dashboardsSection(input),
  ];
  return lines.join("\n");
}
