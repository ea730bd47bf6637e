// Entry point: settings → TelemetryStack → stack outputs.
import { loadSettings } from "./components/config.js";
import { TelemetryStack } from "./components/stack.js";
import { platformFor } from "./components/platforms.js";

const settings = loadSettings();
const stack = new TelemetryStack("claude-telemetry", { settings, platform: platformFor(settings) });

export const target = settings.target;
export const grafanaUrl = stack.endpoints.grafana;
export const prometheusUrl = stack.endpoints.prometheus;
export const otlpGrpcEndpoint = stack.endpoints.otlpGrpc;
export const otlpHttpEndpoint = stack.endpoints.otlpHttp;
export const grafanaAdminUser = stack.grafanaAdminUser;
export const grafanaAdminPassword = stack.grafanaAdminPassword;
/** Bearer token for OTLP ingest (secret); absent where ingest is loopback-only. */
export const ingestToken = stack.ingestToken;
export const healthy = stack.ready.apply(() => true);
