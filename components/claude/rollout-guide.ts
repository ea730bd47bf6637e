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
import { DEFAULT_IDENTITY_CHAIN } from "../usage-series.js";
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
  /** The collector's identity chain (privacy.identityChain); the default chain when absent. */
  identityChain?: readonly string[];
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
    `- Organisation attributes set by this stack: ${attrs.map(code).join(", ")}${client.perUserIdentity ? `; the MDM files add ${code(client.perUserIdentity.attribute)} per person (Per-user identity, below)` : ""}.`,
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

function settingsSection(input: RolloutGuideInput, client: ClientSettings, env: Record<string, string>): string[] {
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
    client.perUserIdentity
      ? "Every machine gets this `env` block; the Windows .reg file and the macOS profile add a per-user identity to its `OTEL_RESOURCE_ATTRIBUTES` (Per-user identity, below):"
      : "Every machine gets the same `env` block:",
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
    `- Windows with Group Policy or Intune: import the .reg file (${code(`${REGISTRY_KEY}`)}, ${client.perUserIdentity ? "expandable string value (REG_EXPAND_SZ)" : "string value"} ${code(REGISTRY_VALUE)} holding the JSON).`,
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

/** Where a person's identity comes from when the sign-in sends none, and what can go wrong with it. */
function perUserSection(client: ClientSettings, chain: readonly string[]): string[] {
  const head = [
    "## Per-user identity",
    "",
    "Sessions signed in with an API key, Amazon Bedrock or Google Vertex send no `user.email` and no account id, only `user.id`, which is one per installation, not per person.",
    "",
  ];
  const identity = client.perUserIdentity;
  if (!identity) {
    return [
      ...head,
      "Not set up for this stack: with `client.perUserIdentity` the Windows .reg file and the macOS profile add each person's identity (by default `enduser.id=%USERNAME%` on Windows, `enduser.id=$EMAIL` from Jamf Pro on macOS) to `OTEL_RESOURCE_ATTRIBUTES`, without a file per person.",
      "",
    ];
  }
  const a = identity.attribute;
  return [
    ...head,
    `This stack adds a person's identity as ${code(a)} through the MDM files, without a file per person:`,
    "",
    "| file | `OTEL_RESOURCE_ATTRIBUTES` gets | filled in by |",
    "|---|---|---|",
    `| Windows .reg file (\`${REGISTRY_VALUE}\` as REG_EXPAND_SZ) | ${code(`${a}=${identity.windows}`)} | Windows, when the user's Claude Code reads the value |`,
    `| macOS configuration profile | ${code(`${a}=${identity.macos}`)} | the MDM, when it installs the profile |`,
    `| managed-settings.json, the drop-in, \`~/.claude/settings.json\` | nothing per person | nothing: a file cannot fill anything in |`,
    "",
    "- **Windows**: a REG_EXPAND_SZ value is expanded by the process that reads it, Claude Code, in the environment of the user running it: each person sends their own logon name. Claude Code run by a service account (a CI agent, a scheduled task) sends that account's name.",
    `- Check one Windows machine after deployment: \`reg query "${REGISTRY_KEY.replace("HKEY_LOCAL_MACHINE", "HKLM")}" /v ${REGISTRY_VALUE}\` must show REG_EXPAND_SZ with ${code(identity.windows)} still unexpanded. Import the .reg file as it is: a tool that writes the value itself must keep the type and must not expand the variables (it would write its own account's name for everyone).`,
    "- Use variables every user has (`%USERNAME%` is always set for a signed-in user): Windows leaves a variable that is not set as written (`%NAME%`), which OpenTelemetry cannot percent-decode, and the whole attribute list is then discarded.",
    "- **Values must stay plain**: the filled-in value goes into `OTEL_RESOURCE_ATTRIBUTES` as it is, and nothing can percent-encode a value that Windows or the MDM fills in. A user name with a space (Windows allows them), or a value with a comma, `=` or `%`, breaks the `key=value,key=value` list, and OpenTelemetry then discards the whole variable: that person's sessions lose `environment` and the organisation attributes too. Use a variable whose values have none of these (logon names without spaces, e-mail addresses).",
    `- **macOS**: the MDM fills in its variables when it installs the profile on a Mac. The profile is computer-level, so the value is that of the user the Mac is assigned to in the MDM's inventory: on a shared Mac everyone sends the assigned user's value, and a new assignment shows only once the MDM sends the profile again. ${code(identity.macos)}${identity.macos === "$EMAIL" ? " is Jamf Pro's variable for the e-mail address of the computer's user" : ""}; other MDMs spell their variables differently (e.g. \`{{mail}}\`, \`{EmailAddress}\`, \`%Email%\`): set \`client.perUserIdentity.macos\` to yours. An MDM that does not substitute variables in this payload sends the template text, the same on every Mac: check \`/Library/Managed Preferences/${PREFERENCE_DOMAIN}.plist\` on one Mac.`,
    "- **managed-settings.json** (Linux, WSL, macOS without MDM, Windows without the registry) stays the same for everyone. Claude Code applies the managed `env` block over the environment it starts in and over each user's settings, key by key, so a shell export, a launch wrapper or `~/.claude/settings.json` cannot add to the managed `OTEL_RESOURCE_ATTRIBUTES`. On machines used by one person, let configuration management write that machine's file with the person's value appended (e.g. " +
      `${code(`,${a}=jdoe`)}); on machines shared by several people, their sessions have no per-user identity.`,
    `- The same person on Windows and on a Mac is one identity only when both templates give the same value: e.g. ${code("%USERNAME%@example.com")} on Windows to match an e-mail address from the MDM.`,
    ...chainNotes(a, chain),
    "",
  ];
}

/** What the collector's identity chain makes of the per-user attribute (the settings refuse a chain without it, or with it after `user.id`). */
function chainNotes(attribute: string, chain: readonly string[]): string[] {
  const shown = chain.map(code).join(", ");
  const at = chain.indexOf(attribute);
  const before = chain.slice(0, at);
  return [
    `- The collector names a session by the first attribute of its identity chain that is present (${shown}): ${
      before.length
        ? `${code(attribute)} names the sessions without ${before.map(code).join(" or ")}`
        : `${code(attribute)} names every session that carries it`
    }.${before.includes("user.email") ? " E-mail sign-ins still count by e-mail, as `user.email` comes first." : ""}`,
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
    ...settingsSection(input, client, shown),
    ...perUserSection(client, input.identityChain ?? DEFAULT_IDENTITY_CHAIN),
    ...verifySection(input, client, shown),
    ...rollbackSection(input),
    ...retireSection(input),
    ...dashboardsSection(input),
  ];
  return lines.join("\n");
}
