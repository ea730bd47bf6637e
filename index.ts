// Entry point: settings → TelemetryStack → stack outputs.
import * as pulumi from "@pulumi/pulumi";
import { loadSettings } from "./components/config.js";
import { TelemetryStack } from "./components/stack.js";
import { DockerPlatform } from "./components/platform/docker.js";

const settings = loadSettings();

const stack = new TelemetryStack("claude-telemetry", {
  settings,
  platform: (parent) => new DockerPlatform(settings, parent),
});

export const target = settings.target;
export const grafanaUrl = stack.endpoints.grafana;
export const prometheusUrl = stack.endpoints.prometheus;
export const otlpGrpcEndpoint = stack.endpoints.otlpGrpc;
export const otlpHttpEndpoint = stack.endpoints.otlpHttp;
export const grafanaAdminUser = stack.grafanaAdminUser;
export const grafanaAdminPassword = stack.grafanaAdminPassword;
export const healthy = stack.ready.apply(() => true);
