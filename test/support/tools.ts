// The real OpenTelemetry Collector, Prometheus and promtool that `npm run tools`
// (scripts/provision-tools.ts) builds into .cache/tools (or TOOLS_DIR) at the pinned releases, as
// the tests use them (lib/tool-runner.ts runs them). A test that needs a missing tool fails under
// CI=true and is skipped (and reported as skipped) elsewhere, so a developer without Go still gets
// a green unit run.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "vitest";
import { lastMiss, poll } from "../../lib/poll.js";
import { startPrometheus as startServer } from "../../lib/prometheus-server.js";
import { runTool } from "../../lib/tool-runner.js";
import { missingTools, missingToolsMessage, toolPath, type ToolName } from "../../lib/tools.js";

export { toolPath, TOOL_VERSIONS, type ToolName } from "../../lib/tools.js";
export { runTool, type ToolRun } from "../../lib/tool-runner.js";

const isCI = () => process.env.CI === "true";

/** A describe block that needs real tools: fails under CI=true when one is missing, skips otherwise. */
export function describeWithTools(tools: readonly ToolName[], title: string, body: () => void): void {
  const missing = missingTools(tools);
  if (missing.length === 0) {
    describe(title, body);
  } else if (isCI()) {
    describe(title, () => {
      it(`has ${tools.join(", ")}`, () => {
        throw new Error(missingToolsMessage(missing));
      });
    });
  } else {
    describe.skipIf(true)(`${title} (${missingToolsMessage(missing)})`, body);
  }
}

/** Inside a test: the tools' paths, or a failure (CI) / skip (elsewhere) when one is missing. */
export function requireTools<T extends ToolName>(ctx: { skip: (note?: string) => never }, ...tools: T[]): Record<T, string> {
  const missing = missingTools(tools);
  if (missing.length > 0) {
    if (isCI()) throw new Error(missingToolsMessage(missing));
    ctx.skip(missingToolsMessage(missing));
  }
  return Object.fromEntries(tools.map((t) => [t, toolPath(t)])) as Record<T, string>;
}

export const promtool = (args: string[], opts?: { cwd?: string; timeoutMs?: number }) => runTool("promtool", args, opts);
export const checkConfig = (file: string) => promtool(["check", "config", file]);
export const checkRules = (...files: string[]) => promtool(["check", "rules", ...files]);
export const testRules = (file: string) => promtool(["test", "rules", file]);

/**
 * Calls `fn` until it returns something other than undefined/false, or throws after `timeoutMs`
 * with the last error (or the last value) in the message.
 */
export async function waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000, intervalMs = 200): Promise<T> {
  const result = await poll<T, T | undefined | false>(
    async () => {
      const value = await fn();
      return value !== undefined && value !== false ? { done: true, value } : { done: false, seen: value };
    },
    // Tries until the timeout has passed: the last try may start up to one interval after it.
    { deadlineMs: Date.now() + timeoutMs + intervalMs, intervalMs },
  );
  if (result.done) return result.value;
  throw new Error(`condition not met within ${timeoutMs} ms (last: ${lastMiss(result, JSON.stringify)})`);
}

// ---------------------------------------------------------------------------------------------
// Prometheus

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  /** Working folder of the server (configs, data); removed by stop(). */
  dir: string;
  /** Recent log output, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

/** A Prometheus that can also be taken down and brought back on the same address and TSDB. */
export interface RestartablePrometheus extends RunningServer {
  /** Stops the server, runs `whileDown`, then starts it again. */
  restart(whileDown: () => Promise<void>): Promise<void>;
}

export interface PrometheusOptions {
  /**
   * prometheus.yml, or a function of the address it will listen on (host:port), e.g. for a config
   * that scrapes Prometheus itself; rule files are referenced by their names in `ruleFiles`.
   */
  configYaml: string | ((listen: string) => string);
  ruleFiles?: Record<string, string>;
  /** Further command-line flags, e.g. `--web.enable-otlp-receiver`. */
  flags?: string[];
  /** Hard limit on the server's life (default 15 minutes). */
  maxLifetimeMs?: number;
}

/** A real Prometheus on 127.0.0.1 with a throw-away TSDB and the remote-write receiver on. */
export async function startPrometheus(opts: PrometheusOptions): Promise<RestartablePrometheus> {
  const dir = mkdtempSync(path.join(tmpdir(), "prometheus-"));
  const removeDir = () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  for (const [name, content] of Object.entries(opts.ruleFiles ?? {})) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  const configFile = path.join(dir, "prometheus.yml");
  const flags = (listen: string) => {
    const config = opts.configYaml;
    writeFileSync(configFile, typeof config === "function" ? config(listen) : config);
    return [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      "--web.enable-remote-write-receiver",
      "--log.level=warn",
      ...(opts.flags ?? []),
    ];
  };
  const lifetimeMs = opts.maxLifetimeMs ?? 15 * 60_000;
  try {
    let server = await startServer({ flags, lifetimeMs, cwd: dir });
    const stop = async () => {
      await server.stop();
      removeDir();
    };
    const restart = async (whileDown: () => Promise<void>) => {
      await server.stop();
      await whileDown();
      server = await startServer({ flags, lifetimeMs, cwd: dir, listen: server.listen });
    };
    return { url: server.url, dir, logs: () => server.logs(), stop, restart };
  } catch (e) {
    removeDir();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Prometheus HTTP API

export interface PromSeries {
  metric: Record<string, string>;
  /** Instant vectors and scalars. */
  value?: [number, string];
  /** Range vectors. */
  values?: [number, string][];
}

async function promApi<T>(url: string, pathAndQuery: string): Promise<T> {
  const res = await fetch(url + pathAndQuery, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== "success") throw new Error(`Prometheus ${pathAndQuery}: ${body.error ?? res.status}`);
  return body.data;
}

/** Instant query; scalar and string results come back as one series without labels. */
export async function queryPrometheus(url: string, promql: string, time?: Date | number): Promise<PromSeries[]> {
  const params = new URLSearchParams({ query: promql });
  if (time !== undefined) params.set("time", String((time instanceof Date ? time.getTime() : time) / 1000));
  const data = await promApi<{ resultType: string; result: unknown }>(url, `/api/v1/query?${params}`);
  if (data.resultType === "scalar" || data.resultType === "string") {
    return [{ metric: {}, value: data.result as [number, string] }];
  }
  return data.result as PromSeries[];
}

/** Every metric name Prometheus holds. */
export function metricNames(url: string): Promise<string[]> {
  return promApi<string[]>(url, "/api/v1/label/__name__/values");
}
