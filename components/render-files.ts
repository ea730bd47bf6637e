// Every generated file of a stack, as path → content, with secrets replaced by placeholders.
// The `render` command writes them for review (GitOps pull requests, MDM packaging); tests check them.
import type { Settings } from "./settings.js";
import type { ServiceSpec } from "./platform/spec.js";
import { buildServiceSpecs, type ServiceSpecs } from "./services.js";
import { acceptsPreviousToken, requiresIngestToken } from "./ingest-auth.js";
import { hostResolver } from "./platform/hosts.js";
import { publishedPorts } from "./platform/docker-ports.js";
import { volumeClaim } from "./platform/kubernetes-workload.js";
import { renderClientBundle, renderStackRolloutGuide, renderRegRemovalFile } from "./claude/client-bundle.js";
import { regFileBytes } from "./claude/mdm.js";
import { PLACEHOLDERS } from "./placeholders.js";
import { receiverSecretValues, type ReceiverName } from "./alertmanager.js";

/** Service specs with placeholder secrets, for rendering and review. */
export function placeholderSpecs(settings: Settings): ServiceSpecs {
  const rw = settings.prometheus.remoteWrite;
  return buildServiceSpecs(settings, hostResolver(settings), {
    grafanaAdminPassword: PLACEHOLDERS.grafanaAdminPassword,
    ingestToken: requiresIngestToken(settings) ? PLACEHOLDERS.ingestToken : undefined,
    previousIngestToken: acceptsPreviousToken(settings) ? PLACEHOLDERS.previousIngestToken : undefined,
    remoteWritePassword: rw?.password ? PLACEHOLDERS.remoteWritePassword : undefined,
    remoteWriteBearerToken: rw?.bearerToken ? PLACEHOLDERS.remoteWriteBearerToken : undefined,
    identityHashKey: settings.privacy.identity === "hash" ? PLACEHOLDERS.identityHashKey : undefined,
    receivers: Object.fromEntries(Object.keys(receiverSecretValues(settings.alerting)).map((r) => [r, PLACEHOLDERS[r as ReceiverName]])),
  });
}

/** A spec's ports and volume as the stack's platform deploys them: with Docker's host ports, or the size of Kubernetes' claim. */
function asDeployed(settings: Settings, spec: ServiceSpec): { ports: readonly object[]; volume?: object } {
  if (settings.target === "kubernetes") {
    return { ports: spec.ports, volume: spec.volume && { ...spec.volume, size: volumeClaim(settings.kubernetes, spec.name).size } };
  }
  const hostPorts = new Map(publishedPorts(spec, settings.docker).map((p) => [p.port.name, p.hostPort]));
  return {
    ports: spec.ports.map(({ name, port, protocol, ...rest }) => ({ name, port, protocol, hostPort: hostPorts.get(name), ...rest })),
    volume: spec.volume,
  };
}

/**
 * Files by path relative to the output folder: `<service>/<path in the container>` for service
 * files, a `<service>/service.json` summary of image, entrypoint (where replaced), arguments, ports
 * (with their host ports on Docker), volume (with its size on Kubernetes) and environment names,
 * and `client/` with what MDM tooling distributes to developer machines.
 */
export function renderStackFiles(settings: Settings): Map<string, string | Buffer> {
  const files = new Map<string, string | Buffer>();
  const specs = placeholderSpecs(settings);
  for (const spec of Object.values(specs)) {
    for (const f of spec.files) {
      if (typeof f.content !== "string") throw new Error(`${spec.name}: ${f.path} is not rendered as text`);
      files.set(`${spec.name}${f.path}`, f.content);
    }
    const { ports, volume } = asDeployed(settings, spec);
    const summary = {
      image: spec.image,
      ...(spec.entrypoint ? { entrypoint: spec.entrypoint } : {}),
      args: spec.args ?? [],
      ports,
      env: spec.env ?? {},
      secretEnv: Object.keys(spec.secretEnv ?? {}),
      volume: volume ?? null,
      health: spec.health,
      resources: spec.resources,
    };
    files.set(`${spec.name}/service.json`, JSON.stringify(summary, null, 2) + "\n");
  }
  const client = renderClientBundle(settings, requiresIngestToken(settings) ? PLACEHOLDERS.ingestToken : undefined);
  files.set("client/managed-settings.json", client.managedSettings);
  files.set("client/managed-settings.d/10-telemetry.json", client.dropIn);
  files.set("client/claude-code-telemetry.mobileconfig", client.mobileconfig);
  // regedit reads .reg files as UTF-16LE with a byte-order mark.
  files.set("client/claude-code-telemetry.reg", regFileBytes(client.reg));
  files.set("client/claude-code-telemetry-remove.reg", regFileBytes(renderRegRemovalFile()));
  files.set("client/rollout-guide.md", renderStackRolloutGuide(settings));
  return files;
}
