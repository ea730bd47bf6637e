// TelemetryStack: the whole Claude Code telemetry stack on one platform. Secrets are generated here
// and stay Pulumi secrets; every service is a child component, every resource has a parent.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { FIRST_TOKEN_GENERATION, type Settings } from "./settings.js";
import type { ServiceName } from "./images.js";
import type { DeployedService, Platform, ServiceSpec } from "./platform/spec.js";
import { buildServiceSpecs } from "./services.js";
import { acceptsPreviousToken, requiresIngestToken } from "./ingest-auth.js";
import { publicEndpoints, type PublicEndpoints } from "./endpoints.js";
import { renderClientBundle } from "./claude/client-bundle.js";
import { CLIENT_SETTINGS_TYPE, type ClientSettingsRecordInputs } from "./claude/client-settings-record.js";
import { PLACEHOLDERS } from "./placeholders.js";
import { receiverSecretValues } from "./alertmanager.js";

export const TYPE_PREFIX = "claude-code-telemetry";

/** One deployed service (collector, prometheus, loki, grafana or alertmanager) as a component of its own. */
export class TelemetryService extends pulumi.ComponentResource {
  readonly deployed: DeployedService;

  constructor(name: string, spec: ServiceSpec, platform: Platform, opts: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:service:${spec.name[0]!.toUpperCase()}${spec.name.slice(1)}`, name, {}, opts);
    this.deployed = platform.deploy(spec, this);
    this.registerOutputs({ ready: this.deployed.ready });
  }
}

export interface TelemetryStackArgs {
  settings: Settings;
  /** Builds the platform as a child of the stack (Docker or Kubernetes). */
  platform: (parent: pulumi.Resource) => Platform;
}

export class TelemetryStack extends pulumi.ComponentResource {
  readonly endpoints: PublicEndpoints;
  readonly grafanaAdminUser: string;
  readonly grafanaAdminPassword: pulumi.Output<string>;
  /** Bearer token the OTLP receivers require; undefined where ingest is unauthenticated (loopback only). */
  readonly ingestToken?: pulumi.Output<string>;
  readonly services: Record<ServiceName, TelemetryService>;
  /** Resolves when every service is up (and healthy, where the platform waits). */
  readonly ready: pulumi.Output<unknown[]>;

  constructor(name: string, args: TelemetryStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:index:TelemetryStack`, name, {}, opts);
    const { settings } = args;

    const grafanaPassword = new random.RandomPassword(`${name}-grafana-admin`, { length: 32, special: false }, { parent: this });
    this.grafanaAdminPassword = pulumi.secret(grafanaPassword.result);
    this.grafanaAdminUser = settings.grafana.adminUser;
    let previousIngestToken: pulumi.Output<string> | undefined;
    if (requiresIngestToken(settings)) {
      // One token per generation: raising the generation rotates it, the previous one can stay valid meanwhile.
      const generation = settings.kubernetes?.ingestTokenGeneration ?? FIRST_TOKEN_GENERATION;
      const token = (g: number) =>
        new random.RandomPassword(
          g === FIRST_TOKEN_GENERATION ? `${name}-ingest-token` : `${name}-ingest-token-g${g}`,
          { length: 48, special: false },
          { parent: this },
        );
      this.ingestToken = pulumi.secret(token(generation).result);
      if (acceptsPreviousToken(settings)) previousIngestToken = pulumi.secret(token(generation - 1).result);
    }

    // The identity hash key: given (a secret), or generated once and kept in the stack's state.
    let identityHashKey: pulumi.Output<string> | undefined;
    if (settings.privacy.identity === "hash") {
      identityHashKey = settings.privacy.hashKey
        ? pulumi.secret(settings.privacy.hashKey)
        : pulumi.secret(new random.RandomPassword(`${name}-identity-hash-key`, { length: 48, special: false }, { parent: this }).result);
    }

    const rw = settings.prometheus.remoteWrite;
    const platform = args.platform(this);
    const specs = buildServiceSpecs(settings, (s) => platform.hostOf(s), {
      grafanaAdminPassword: this.grafanaAdminPassword,
      ingestToken: this.ingestToken,
      previousIngestToken,
      remoteWritePassword: rw?.password ? pulumi.secret(rw.password) : undefined,
      remoteWriteBearerToken: rw?.bearerToken ? pulumi.secret(rw.bearerToken) : undefined,
      identityHashKey,
      receivers: Object.fromEntries(Object.entries(receiverSecretValues(settings.alerting)).map(([r, v]) => [r, pulumi.secret(v)])),
    });

    const order: ServiceName[] = ["alertmanager", "prometheus", "loki", "collector", "grafana"];
    const services = {} as Record<ServiceName, TelemetryService>;
    for (const s of order) services[s] = new TelemetryService(`${name}-${s}`, specs[s], platform, { parent: this });
    this.services = services;
    this.endpoints = publicEndpoints(settings);
    this.ready = pulumi.all(order.map((s) => services[s].deployed.ready));

    // What every developer's Claude Code will be told to send, where the policy pack can check it.
    const client: ClientSettingsRecordInputs = {
      env: renderClientBundle(settings, this.ingestToken ? PLACEHOLDERS.ingestToken : undefined).env,
      contentCaptureAcknowledged: settings.client.contentCaptureAcknowledged,
    };
    new pulumi.ComponentResource(CLIENT_SETTINGS_TYPE, `${name}-client-settings`, { ...client }, { parent: this });

    this.registerOutputs({ endpoints: this.endpoints, ready: this.ready });
  }
}
