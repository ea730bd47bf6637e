// Runs the real OpenTelemetry Collector, Prometheus and promtool that `npm run tools`
// (scripts/provision-tools.ts) builds into .cache/tools (or TOOLS_DIR) at the pinned releases. A
// test that needs a missing tool fails under CI=true and is skipped (and reported as skipped)
// elsewhere, so a developer without Go still gets a green unit run.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "vitest";
import { LOOPBACK, freePort, sleep } from "../../lib/loopback.js";
import { boundChild, type BoundedChild } from "../../lib/bounded-child.js";
import { missingToolsMessage, toolPath, type ToolName } from "../../lib/tools.js";

export { toolPath, TOOL_VERSIONS, type ToolName } from "../../lib/tools.js";

const isCI = () => process.env.CI === "true";

/** A describe block that needs real tools: fails under CI=true when one is missing, skips otherwise. */
export function describeWithTools(tools: readonly ToolName[], title: string, body: () => void): void {
  const missing = tools.filter((t) => toolPath(t) === undefined);
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
export function requireTools<T extends ToolName>(
  ctx: { skip: (note?: string) => never },
  ...tools: T[]
): Record<T, string> {
  const found = {} as Record<T, string>;
  const missing: ToolName[] = [];
  for (const t of tools) {
    const p = toolPath(t);
    if (p === undefined) missing.push(t);
    else found[t] = p;
  }
  if (missing.length > 0) {
    if (isCI()) throw new Error(missingToolsMessage(missing));
    ctx.skip(missingToolsMessage(missing));
  }
  return found;
}

function mustHave(name: ToolName): string {
  const p = toolPath(name);
  if (p === undefined) throw new Error(missingToolsMessage([name]));
  return p;
}

// ---------------------------------------------------------------------------------------------
// Child processes: every one is bounded in time, and killed when the test process goes away.

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

// setpriv asks the kernel to kill the tool if the test process dies without running exit hooks.
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));

export function launch(bin: string, args: string[], lifetimeMs: number, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): BoundedChild {
  const [cmd, argv] = SETPRIV ? [SETPRIV, ["--pdeathsig", "KILL", "--", bin, ...args]] : [bin, args];
  const child = spawn(cmd, argv, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  const bounded = boundChild(child, lifetimeMs, 5000);
  void bounded.exited.finally(() => live.delete(child));
  return bounded;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool to completion (killed after `timeoutMs`), e.g. `prometheus --version`. */
export function runTool(name: ToolName, args: string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  const bin = mustHave(name);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export const promtool = (args: string[], opts?: { cwd?: string; timeoutMs?: number }) => runTool("promtool", args, opts);
export const checkConfig = (file: string) => promtool(["check", "config", file]);
export const checkRules = (...files: string[]) => promtool(["check", "rules", ...files]);
export const testRules = (file: string) => promtool(["test", "rules", file]);

// ---------------------------------------------------------------------------------------------
// Servers

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  /** Working folder of the server (configs, data); removed by stop(). */
  dir: string;
  /** Recent log output, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}


/**
 * Calls `fn` until it returns something other than undefined/false, or throws after `timeoutMs`
 * with the last error (or the last value) in the message.
 */
export async function waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const why = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`condition not met within ${timeoutMs} ms (last: ${why})`);
    }
    await sleep(intervalMs);
  }
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.ok;
}

/** Starts a server on a fresh loopback port and waits for `readyPath`; retries when the port was taken. */
async function startServer(
  name: ToolName,
  dir: string,
  args: (port: number) => string[],
  readyPath: string,
  lifetimeMs: number,
): Promise<RunningServer> {
  const bin = mustHave(name);
  let lastError = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://${LOOPBACK}:${port}`;
    const proc = launch(bin, args(port), lifetimeMs, { cwd: dir });
    const ready = waitFor(() => httpOk(url + readyPath), 30_000, 100).then(() => "ready");
    const outcome = await Promise.race([ready, proc.exited.then((how) => `exited (${how})`)]).catch(
      (err: Error) => `not ready: ${err.message}`,
    );
    if (outcome === "ready") {
      const stop = async () => {
        await proc.stop();
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      };
      return { url, dir, logs: proc.output, stop };
    }
    await proc.stop();
    lastError = `${name} ${outcome}\n${proc.output()}`;
    if (!/address already in use/i.test(proc.output())) break;
  }
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  throw new Error(lastError);
}

function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `${prefix}-`));
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
export async function startPrometheus(opts: PrometheusOptions): Promise<RunningServer> {
  const dir = tempDir("prometheus");
  for (const [name, content] of Object.entries(opts.ruleFiles ?? {})) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  const args = (port: number) => {
    const config = opts.configYaml;
    writeFileSync(path.join(dir, "prometheus.yml"), typeof config === "function" ? config(`${LOOPBACK}:${port}`) : config);
    return [
      `--config.file=${path.join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=${LOOPBACK}:${port}`,
      "--web.enable-remote-write-receiver",
      "--log.level=warn",
      ...(opts.flags ?? []),
    ];
  };
  return startServer("prometheus", dir, args, "/-/ready", opts.maxLifetimeMs ?? 15 * 60_000);
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
