// Entry point: settings → TelemetryStack → stack outputs.
import { loadSettings } from "./components/config.js";
import { TelemetryStack } from "./components/stack.js";
import * as pulumi from "@pulumi/pulumi";
import { platformFor } from "./components/platforms.js";
import { STACK_NAME } from "./components/stack-name.js";
import { renderClientBundle, renderStackRolloutGuide, MANAGED_SETTINGS_LOCATIONS } from "./components/claude/client-bundle.js";

const settings = loadSettings();
const stack = new TelemetryStack(STACK_NAME, { settings, platform: platformFor(settings) });

export const target = settings.target;
export const grafanaUrl = stack.endpoints.grafana;
export const prometheusUrl = stack.endpoints.prometheus;
export const alertmanagerUrl = stack.endpoints.alertmanager;
export const otlpGrpcEndpoint = stack.endpoints.otlpGrpc;
export const otlpHttpEndpoint = stack.endpoints.otlpHttp;
export const grafanaAdminUser = stack.grafanaAdminUser;
export const grafanaAdminPassword = stack.grafanaAdminPassword;
/** Bearer token for OTLP ingest (secret); absent where ingest is loopback-only. */
export const ingestToken = stack.ingestToken;
export const healthy = stack.ready.apply(() => true);
/** What the collector keeps of identity and content (no secret in it; `npm run verify` checks it). */
export const privacyPolicy = {
  identity: settings.privacy.identity,
  contentCaptureAcknowledged: settings.client.contentCaptureAcknowledged,
  maxContentLength: settings.privacy.maxContentLength,
};

// What platform teams push to developer machines. Secret wherever it carries the ingest token.
const client = stack.ingestToken
  ? stack.ingestToken.apply((token) => renderClientBundle(settings, token))
  : pulumi.output(renderClientBundle(settings, undefined));
/** The env block for Claude Code settings (`npm run install-settings` reads it). */
export const clientEnv = client.env;
/** managed-settings.json for MDM. */
export const managedSettings = client.managedSettings;
/** The same as a managed-settings.d/ drop-in, beside an organisation's other managed policy. */
export const managedSettingsDropIn = client.dropIn;
export const managedSettingsPaths = MANAGED_SETTINGS_LOCATIONS;
/** macOS configuration profile (preference domain com.anthropic.claudecode). */
export const macosMobileconfig = client.mobileconfig;
/** Windows registry file (HKLM\SOFTWARE\Policies\ClaudeCode, value Settings). */
export const windowsRegFile = client.reg;
/** Rollout guide for developers and platform teams (markdown, no secret in it). */
export const rolloutGuide = renderStackRolloutGuide(settings);
