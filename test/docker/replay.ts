// The local program's Docker resources, replayed on a real Docker Engine: a stand-in for the Pulumi
// Docker provider, called from the Pulumi mocks (setupPulumiMocks' `providers`) with each resource's
// recorded inputs. Every input field maps to the Engine API field the provider maps it to; a field
// the replay does not know fails the registration, so nothing new is ever silently ignored. Like the
// provider, a container is created, its uploads copied in, then started, and waited for when asked.
// What it proves and what not: the containers the program asks for start and work as asked; the
// Pulumi engine and the provider's own code are not run here.
import { GO_DURATION, parseDuration } from "../../lib/duration.js";
import { poll, type PollResult } from "../../lib/poll.js";
import type { RecordedResource } from "../support/pulumi-mocks.js";
import { EngineError, type Engine } from "./engine.js";
import { tar } from "./tar.js";

type Inputs = Record<string, any>;

/** The fields each resource type may carry; anything else is refused. */
const KNOWN: Record<string, readonly string[]> = {
  network: ["name", "driver"],
  volume: ["name"],
  remoteImage: ["name", "keepLocally"],
  container: [
    "name",
    "image",
    "entrypoints",
    "command",
    "envs",
    "uploads",
    "ports",
    "networksAdvanced",
    "volumes",
    "healthcheck",
    "wait",
    "waitTimeout",
    "mustRun",
    "restart",
    "memory",
    "capabilities",
    "securityOpts",
    "logDriver",
    "logOpts",
    "labels",
  ],
};

function refuseUnknown(kind: string, inputs: Inputs): void {
  const unknown = Object.keys(inputs).filter((k) => inputs[k] !== undefined && !KNOWN[kind]?.includes(k));
  if (unknown.length > 0) throw new Error(`the Docker replay does not know ${kind}.${unknown.join(`, ${kind}.`)}: map it as the Docker provider does`);
}

function only(kind: string, value: Inputs, keys: readonly string[]): void {
  const extra = Object.keys(value).filter((k) => value[k] !== undefined && !keys.includes(k));
  if (extra.length > 0) throw new Error(`the Docker replay does not know ${kind}.${extra.join(`, ${kind}.`)}`);
}

/** Go durations the provider accepts (`10s`, `1m30s`) in nanoseconds, as the Engine API wants them. */
export function durationNs(d: string): number {
  const ms = parseDuration(d, GO_DURATION);
  if (ms === undefined) throw new Error(`not a duration: ${d} (a Go duration with units ${GO_DURATION.units.join(", ")}, e.g. 10s or 1m30s)`);
  return Math.round(ms * 1e6);
}

/** The create-container request for a Container's inputs (image given as resolved by the replay). */
export function containerCreateBody(inputs: Inputs): { name: string; body: Record<string, any>; uploads: { file: string; content: string; mode: number }[] } {
  refuseUnknown("container", inputs);
  const ports: Inputs[] = inputs.ports ?? [];
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of ports) {
    only("container.ports", p, ["internal", "external", "ip", "protocol"]);
    const key = `${p.internal}/${p.protocol ?? "tcp"}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.ip ?? "0.0.0.0", HostPort: p.external === undefined ? "" : String(p.external) });
  }
  const networks: Inputs[] = inputs.networksAdvanced ?? [];
  if (networks.length > 1) throw new Error("the Docker replay connects one network per container");
  for (const n of networks) only("container.networksAdvanced", n, ["name", "aliases"]);
  const volumes: Inputs[] = inputs.volumes ?? [];
  for (const v of volumes) only("container.volumes", v, ["volumeName", "containerPath"]);
  const hc: Inputs | undefined = inputs.healthcheck;
  if (hc) only("container.healthcheck", hc, ["tests", "interval", "timeout", "retries", "startPeriod"]);
  if (inputs.capabilities) only("container.capabilities", inputs.capabilities, ["drops"]);
  const uploads = ((inputs.uploads ?? []) as Inputs[]).map((u) => {
    only("container.uploads", u, ["file", "content", "permissions"]);
    return { file: String(u.file), content: String(u.content), mode: u.permissions ? parseInt(String(u.permissions), 8) : 0o644 };
  });
  const labels = Object.fromEntries(
    ((inputs.labels ?? []) as Inputs[]).map((l) => (only("container.labels", l, ["label", "value"]), [l.label, String(l.value)])),
  );
  const network = networks[0];
  return {
    name: inputs.name,
    uploads,
    body: {
      Image: inputs.image,
      // The provider sets each only when given: an entrypoint without a command drops the image's CMD.
      Entrypoint: inputs.entrypoints,
      Cmd: inputs.command,
      Env: inputs.envs,
      ExposedPorts: exposed,
      Labels: labels,
      Healthcheck: hc
        ? {
            Test: hc.tests,
            Interval: durationNs(hc.interval ?? "0s"),
            Timeout: durationNs(hc.timeout ?? "0s"),
            Retries: hc.retries ?? 0,
            StartPeriod: durationNs(hc.startPeriod ?? "0s"),
          }
        : undefined,
      HostConfig: {
        PortBindings: bindings,
        Binds: volumes.map((v) => `${v.volumeName}:${v.containerPath}`),
        RestartPolicy: inputs.restart ? { Name: inputs.restart } : undefined,
        // The provider takes megabytes.
        Memory: inputs.memory === undefined ? undefined : inputs.memory * 1024 * 1024,
        CapDrop: inputs.capabilities?.drops,
        SecurityOpt: inputs.securityOpts,
        LogConfig: inputs.logDriver ? { Type: inputs.logDriver, Config: inputs.logOpts ?? {} } : undefined,
        NetworkMode: network?.name,
      },
      NetworkingConfig: network ? { EndpointsConfig: { [network.name]: { Aliases: network.aliases ?? [] } } } : undefined,
    },
  };
}

interface Inspect {
  Id: string;
  State: { Status: string; Running: boolean; Restarting: boolean; ExitCode: number; Health?: { Status: string; Log?: { Output: string }[] } };
}

export class DockerReplay {
  readonly containers: string[] = [];
  readonly networks: string[] = [];
  readonly volumes: string[] = [];
  /** The last create body of each container, by name (for re-creating one). */
  readonly recorded = new Map<string, Inputs>();

  constructor(private readonly engine: Engine) {}

  /** The `providers` map for setupPulumiMocks. */
  providers(): Record<string, (r: RecordedResource) => Promise<{ id?: string; state?: Record<string, unknown> }>> {
    return {
      "docker:index/network:Network": (r) => this.network(r.inputs),
      "docker:index/volume:Volume": (r) => this.volume(r.inputs),
      "docker:index/remoteImage:RemoteImage": (r) => this.remoteImage(r.inputs),
      "docker:index/container:Container": (r) => this.container(r.inputs),
    };
  }

  async network(inputs: Inputs): Promise<{ id: string }> {
    refuseUnknown("network", inputs);
    const r = await this.engine.api<{ Id: string }>("POST", "/networks/create", { Name: inputs.name, Driver: inputs.driver ?? "bridge", CheckDuplicate: true });
    this.networks.push(inputs.name);
    return { id: r.Id };
  }

  async volume(inputs: Inputs): Promise<{ id: string }> {
    refuseUnknown("volume", inputs);
    await this.engine.api("POST", "/volumes/create", { Name: inputs.name });
    if (!this.volumes.includes(inputs.name)) this.volumes.push(inputs.name);
    return { id: inputs.name };
  }

  /** Never pulls: the image must have been built into this engine. */
  async remoteImage(inputs: Inputs): Promise<{ id: string; state: { imageId: string; repoDigest: string } }> {
    refuseUnknown("remoteImage", inputs);
    const image = await this.engine.api<{ Id: string }>("GET", `/images/${encodeURIComponent(inputs.name)}/json`).catch((e: Error) => {
      throw new Error(`image ${inputs.name} is not in the test engine (nothing is pulled): ${e.message}`);
    });
    return { id: `${image.Id}${inputs.name}`, state: { imageId: image.Id, repoDigest: image.Id } };
  }

  async container(inputs: Inputs): Promise<{ id: string }> {
    const { name, body, uploads } = containerCreateBody(inputs);
    this.recorded.set(name, inputs);
    const created = await this.engine.api<{ Id: string }>("POST", `/containers/create?name=${encodeURIComponent(name)}`, body);
    this.containers.push(created.Id);
    if (uploads.length > 0) {
      const archive = tar(uploads.map((u) => ({ path: u.file.replace(/^\/+/, ""), type: "file" as const, content: u.content, mode: u.mode })));
      await this.engine.api("PUT", `/containers/${created.Id}/archive?path=/`, undefined, { raw: archive, contentType: "application/x-tar" });
    }
    await this.engine.api("POST", `/containers/${created.Id}/start`);
    if (inputs.wait) await this.waitHealthy(created.Id, name, Number(inputs.waitTimeout ?? 60));
    else if (inputs.mustRun) await this.waitRunning(created.Id, name);
    return { id: created.Id };
  }

  inspect(id: string): Promise<Inspect> {
    return this.engine.api<Inspect>("GET", `/containers/${id}/json`);
  }

  async logs(id: string): Promise<string> {
    const raw = await this.engine.api<string>("GET", `/containers/${id}/logs?stdout=1&stderr=1&tail=40`).catch(() => "");
    // Multiplexed stream: strip the 8-byte frame headers roughly, for a readable message.
    // eslint-disable-next-line no-control-regex -- the frame headers are control bytes
    const text = String(raw).replace(/[\u0000-\u0008]/g, "");
    return text.slice(-3000);
  }

  /**
   * As the provider's `mustRun`: the container must be running. One that crashes and is being
   * restarted by its restart policy counts as running (the provider's check may meet it between
   * two restarts); the program's own health wait then tells whether it works.
   */
  private async waitRunning(id: string, name: string): Promise<void> {
    const result = await this.pollState(id, 15_000, 200, (s) => s.State.Running || s.State.Restarting);
    if (!result.done) throw new Error(`container ${name} exited immediately (exit code ${result.seen?.State.ExitCode}):\n${await this.logs(id)}`);
  }

  /** As the provider's `wait`: until Docker reports the container healthy, or the timeout. */
  private async waitHealthy(id: string, name: string, timeoutSeconds: number): Promise<void> {
    // A container that stopped running ends the wait too.
    const result = await this.pollState(id, timeoutSeconds * 1000, 500, (s) => s.State.Health?.Status === "healthy" || !s.State.Running);
    const s = result.done ? result.value : result.seen;
    if (s?.State.Health?.Status === "healthy") return;
    const last = s?.State.Health?.Log?.at(-1)?.Output?.trim() ?? "";
    const state = `${s?.State.Status}, health ${s?.State.Health?.Status ?? "none"}${last ? `: ${last}` : ""}`;
    throw new Error(`container ${name} did not become healthy within ${timeoutSeconds} s (${state}):\n${await this.logs(id)}`);
  }

  /** Inspects the container until `until` holds of it; tries until `timeoutMs` has passed, then once more at most. */
  private pollState(id: string, timeoutMs: number, intervalMs: number, until: (s: Inspect) => boolean): Promise<PollResult<Inspect, Inspect>> {
    return poll<Inspect, Inspect>(
      async () => {
        const s = await this.inspect(id);
        return until(s) ? { done: true, value: s } : { done: false, seen: s };
      },
      { deadlineMs: Date.now() + timeoutMs + intervalMs, intervalMs, errors: "throw" },
    );
  }

  async removeContainer(id: string): Promise<void> {
    await this.engine.api("DELETE", `/containers/${id}?force=1`).catch((e: unknown) => {
      if (!(e instanceof EngineError && e.status === 404)) throw e;
    });
  }

  /** Removes everything it created, volumes included; whatever fails is reported at the end. */
  async cleanup(): Promise<void> {
    const errors: string[] = [];
    const attempt = (p: Promise<unknown>) => p.catch((e: unknown) => void (!(e instanceof EngineError && e.status === 404) && errors.push(String(e))));
    for (const id of this.containers) await attempt(this.engine.api("DELETE", `/containers/${id}?force=1&v=1`));
    for (const n of this.networks) await attempt(this.engine.api("DELETE", `/networks/${encodeURIComponent(n)}`));
    for (const v of this.volumes) await attempt(this.engine.api("DELETE", `/volumes/${encodeURIComponent(v)}?force=1`));
    if (errors.length > 0) throw new Error(`cleanup left things behind: ${errors.join("; ")}`);
  }
}
