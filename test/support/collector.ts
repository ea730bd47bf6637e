// The real OpenTelemetry Collector (otelcol, built by `npm run tools` from tools/otelcol-builder.yaml
// at the pinned release) running a config the project rendered. Only its listen addresses move: to
// free ports on 127.0.0.1; the exporters' targets are whatever the renderer was given.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse, stringify } from "yaml";
import { LOOPBACK, freePort } from "../../lib/loopback.js";
import { startReadyServer } from "../../lib/ready-server.js";
import { launchTool, runTool, type ToolRun } from "../../lib/tool-runner.js";
import { COLLECTOR_COMPONENTS as ID, renderCollectorConfig } from "../../components/collector-config.js";
import { acceptsPreviousToken, requiresIngestToken } from "../../components/ingest-auth.js";
import type { Settings } from "../../components/settings.js";

export interface CollectorPorts {
  grpc: number;
  http: number;
  health: number;
  telemetry: number;
}

type Config = Record<string, any>;

function at(config: Config, keys: readonly string[]): Config {
  let node: any = config;
  for (const k of keys) {
    node = node?.[k];
    if (node === undefined || node === null) throw new Error(`the rendered collector config has no ${keys.join(".")}`);
  }
  return node as Config;
}

/**
 * The rendered config with every listener on 127.0.0.1 at the given ports. Fails when a listener it
 * should move is missing, or when anything would still listen on all interfaces.
 */
export function onLoopback(configYaml: string, ports: CollectorPorts): string {
  const config = parse(configYaml) as Config;
  const protocols = at(config, ["receivers", ID.otlpReceiver, "protocols"]);
  at(protocols, ["grpc"]).endpoint = `${LOOPBACK}:${ports.grpc}`;
  at(protocols, ["http"]).endpoint = `${LOOPBACK}:${ports.http}`;
  at(config, ["extensions", ID.health]).endpoint = `${LOOPBACK}:${ports.health}`;
  const readers = at(config, ["service", "telemetry", "metrics", "readers"]) as unknown as Config[];
  for (const r of readers) Object.assign(at(r, ["pull", "exporter", "prometheus"]), { host: LOOPBACK, port: ports.telemetry });
  const out = stringify(config, { lineWidth: 0 });
  if (out.includes("0.0.0.0")) throw new Error(`a listener of the rendered config was not moved to loopback:\n${out}`);
  return out;
}

export interface RunningCollector {
  grpcEndpoint: string;
  httpEndpoint: string;
  healthUrl: string;
  /** The collector's own metrics (Prometheus text). */
  metricsUrl: string;
  /** The config it runs, as written to disk. */
  config: string;
  logs(): string;
  /** How the process ended, once it has. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

export interface CollectorOptions {
  /** The rendered config (listeners are moved to loopback here). */
  config: string;
  /** Environment of the process, e.g. the ingest token variables. */
  env?: Record<string, string>;
  /** Ports to use instead of free ones picked here (e.g. a telemetry port Prometheus already scrapes). */
  ports?: Partial<CollectorPorts>;
  /**
   * Config files merged over the rendered one, in order (the collector merges every --config):
   * for a test that must change a value, which then says so; the rendered file stays as it is.
   */
  overrides?: string[];
  maxLifetimeMs?: number;
}

async function freePorts(): Promise<CollectorPorts> {
  const [grpc, http, health, telemetry] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  return { grpc: grpc as number, http: http as number, health: health as number, telemetry: telemetry as number };
}

/** Starts otelcol and waits until its health check answers; retries when a port was taken. */
export async function startCollector(opts: CollectorOptions): Promise<RunningCollector> {
  const start = async () => {
    const ports = { ...(await freePorts()), ...opts.ports };
    const dir = mkdtempSync(path.join(tmpdir(), "otelcol-"));
    const config = onLoopback(opts.config, ports);
    const files = [config, ...(opts.overrides ?? [])].map((text, i) => {
      const file = path.join(dir, i === 0 ? "config.yaml" : `override-${i}.yaml`);
      writeFileSync(file, text);
      return `--config=${file}`;
    });
    // A container or pod always has a host name; the rendered config names its replica by it.
    const env = { HOSTNAME: `otelcol-${ports.grpc}`, ...opts.env };
    const proc = launchTool("otelcol", files, { lifetimeMs: opts.maxLifetimeMs ?? 15 * 60_000, cwd: dir, env });
    const stop = async () => {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    };
    return { proc, readyUrl: `http://${LOOPBACK}:${ports.health}/`, ports, config, stop };
  };
  const { proc, readyUrl, ports, config, stop } = await startReadyServer(start, { name: "otelcol", readyTimeoutMs: 30_000 });
  return {
    grpcEndpoint: `http://${LOOPBACK}:${ports.grpc}`,
    httpEndpoint: `http://${LOOPBACK}:${ports.http}`,
    healthUrl: readyUrl,
    metricsUrl: `http://${LOOPBACK}:${ports.telemetry}/metrics`,
    config,
    logs: proc.output,
    exited: proc.exited,
    stop,
  };
}

/** `otelcol validate` of a config; extra arguments such as `--feature-gates=…` go after it. */
export async function validateCollectorConfig(configYaml: string, env: Record<string, string> = {}, extra: string[] = []): Promise<ToolRun> {
  const dir = mkdtempSync(path.join(tmpdir(), "otelcol-validate-"));
  try {
    const file = path.join(dir, "config.yaml");
    writeFileSync(file, configYaml);
    return await runTool("otelcol", ["validate", `--config=${file}`, ...extra], { env });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Metric names in a Prometheus text exposition, with the sum of their samples. */
export function exposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (!name) continue;
    out.set(name, (out.get(name) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return out;
}

/** The collector's own metrics, scraped once. */
export async function collectorMetrics(collector: RunningCollector): Promise<Map<string, number>> {
  const res = await fetch(collector.metricsUrl, { signal: AbortSignal.timeout(5000) });
  return exposition(await res.text());
}

/**
 * The collector config the stack renders for these settings, with its exporters pointed at the
 * given backends (base URLs): the same renderer and settings as a deployment, other addresses.
 */
export function renderedCollectorConfig(settings: Settings, backends: { prometheus: string; loki: string }): string {
  return renderCollectorConfig(settings, {
    prometheusRemoteWrite: `${backends.prometheus}/api/v1/write`,
    lokiOtlp: `${backends.loki}/otlp`,
    requireToken: requiresIngestToken(settings),
    acceptPreviousToken: acceptsPreviousToken(settings),
  });
}
