// Docker platform: one user-defined network, pinned images, named volumes, config files uploaded into
// the containers, ports published on the configured host address only, and a health wait.
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import type { Settings } from "../settings.js";
import type { ServiceName } from "../images.js";
import type { DeployedService, Platform, ServiceSpec } from "./spec.js";
import { isLoopbackIpv4 } from "../settings-fields.js";
import { containerName, NETWORK_EXPOSURE_LABEL, volumeName } from "./docker-names.js";
import { publishedPorts, reachableAt, type PublishedPort } from "./docker-ports.js";
import { waitForHttpOk } from "./health.js";
import { dockerHostOf } from "./hosts.js";

export class DockerPlatform implements Platform {
  readonly network: docker.Network;
  private readonly prefix: string;

  constructor(
    private readonly settings: Settings,
    parent: pulumi.Resource,
  ) {
    this.prefix = settings.namePrefix;
    this.network = new docker.Network(`${this.prefix}-net`, { name: `${this.prefix}-net`, driver: "bridge" }, { parent });
  }

  /** Containers reach each other by their service name, an alias on the stack's network. */
  hostOf(service: ServiceName): string {
    return dockerHostOf(service);
  }

  deploy(spec: ServiceSpec, parent: pulumi.Resource): DeployedService {
    const d = this.settings.docker;
    const name = containerName(this.prefix, spec.name);
    const published = publishedPorts(spec, d);
    const image = new docker.RemoteImage(`${name}-image`, { name: spec.image, keepLocally: true }, { parent });

    const volume = spec.volume
      ? new docker.Volume(volumeName(this.prefix, spec.name), { name: volumeName(this.prefix, spec.name) }, { parent, retainOnDelete: true })
      : undefined;

    const envs = pulumi
      .all(Object.entries({ ...spec.env, ...spec.secretEnv }).map(([k, v]) => pulumi.output(v).apply((val) => `${k}=${val}`)))
      .apply((list) => list);
    const hasSecretEnv = Object.keys(spec.secretEnv ?? {}).length > 0;

    const healthcheck = spec.dockerHealthCommand
      ? { tests: [...spec.dockerHealthCommand], interval: "10s", timeout: "5s", retries: 6, startPeriod: "30s" }
      : undefined;

    const container = new docker.Container(
      name,
      {
        name,
        image: image.imageId,
        entrypoints: spec.entrypoint ? [...spec.entrypoint] : undefined,
        command: spec.args ? [...spec.args] : undefined,
        envs: hasSecretEnv ? pulumi.secret(envs) : envs,
        uploads: spec.files.map((f) => ({
          file: f.path,
          content: f.secret ? pulumi.secret(f.content) : f.content,
          permissions: "0444",
        })),
        ports: published.map((p) => ({ internal: p.port.port, external: p.hostPort, ip: p.address, protocol: "tcp" })),
        networksAdvanced: [{ name: this.network.name, aliases: [spec.name] }],
        volumes: volume && spec.volume ? [{ volumeName: volume.name, containerPath: spec.volume.path }] : undefined,
        healthcheck,
        // Docker's own wait needs a HEALTHCHECK; the others are waited for from this machine below.
        wait: healthcheck !== undefined && d.waitForHealthy,
        waitTimeout: d.healthTimeoutSeconds,
        mustRun: true,
        restart: d.restart,
        memory: spec.resources.memoryLimitMiB,
        capabilities: { drops: ["ALL"] },
        securityOpts: ["no-new-privileges:true"],
        logDriver: "json-file",
        logOpts: { "max-size": "10m", "max-file": "3" },
        labels: [
          { label: "app.kubernetes.io/part-of", value: "claude-code-telemetry" },
          { label: "app.kubernetes.io/name", value: spec.name },
          // A config change re-creates the container: the label is part of its identity.
          { label: "claude-code-telemetry/config-hash", value: pulumi.output(spec.configHash ?? "") },
          // Says the policy pack that a port beyond loopback was asked for (docker.networkExposureAcknowledged).
          ...(published.some((p) => !isLoopbackIpv4(p.address)) ? [{ label: NETWORK_EXPOSURE_LABEL, value: "acknowledged" }] : []),
        ],
      },
      // Fixed container names: the old container must go before its replacement starts.
      { parent, deleteBeforeReplace: true },
    );

    const ready = this.healthGate(spec, published, name, container);
    const internalEndpoints = Object.fromEntries(spec.ports.map((p) => [p.name, `${spec.name}:${p.port}`]));
    return { internalEndpoints, ready };
  }

  /** Resolves once the service answers its health endpoint on the published port (skipped in preview). */
  private healthGate(spec: ServiceSpec, published: readonly PublishedPort[], containerName: string, container: docker.Container): pulumi.Output<unknown> {
    const d = this.settings.docker;
    const health = published.find((p) => p.port.port === spec.health.port);
    if (!d.waitForHealthy || !health) return container.id;
    // Where the port is published, unless told otherwise (a remote Docker host); 0.0.0.0 includes loopback.
    const { address, hostPort } = health;
    const url = `http://${d.healthCheckHost ?? reachableAt(address)}:${hostPort}${spec.health.path}`;
    return container.id.apply(async (id) => {
      if (pulumi.runtime.isDryRun() || !id) return id;
      await waitForHttpOk(url, { timeoutMs: d.healthTimeoutSeconds * 1000 }).catch((err: Error) => {
        throw new Error(`${spec.name} did not become healthy: ${err.message}. See: docker logs ${containerName}`);
      });
      return id;
    });
  }
}
