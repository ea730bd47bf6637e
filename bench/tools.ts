// The real Prometheus and promtool that `npm run tools` builds into .cache/tools (or TOOLS_DIR) at the
// pinned release, run as child processes that are bounded in time and never outlive the benchmark.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { LOOPBACK, freePort, sleep } from "../lib/loopback.js";
import { boundChild } from "../lib/bounded-child.js";
import { MissingToolError, toolPath as builtTool } from "../lib/tools.js";

export type BenchTool = "prometheus" | "promtool";

export function toolPath(name: BenchTool): string {
  const file = builtTool(name);
  if (!file) throw new MissingToolError([name]);
  return file;
}

/** Fails at once, before any work, when a tool the benchmark runs is missing. */
export function requireBenchTools(): void {
  const missing = (["prometheus", "promtool"] as const).filter((t) => !builtTool(t));
  if (missing.length) throw new MissingToolError(missing);
}

// Every child is killed when the benchmark exits, however it exits; setpriv also asks the kernel
// to kill it should this process die without running exit handlers.
const live = new Set<ChildProcess>();
const killAll = () => {
  for (const child of live) child.kill("SIGKILL");
};
process.once("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));

function start(name: BenchTool, args: readonly string[]): ChildProcess {
  const bin = toolPath(name);
  const [cmd, argv] = SETPRIV ? [SETPRIV, ["--pdeathsig", "KILL", "--", bin, ...args]] : [bin, [...args]];
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

export interface RunResult {
  readonly code: number | null;
  /** The last `maxStdout` characters (64 KiB unless asked for more). */
  readonly stdout: string;
  /** The last 64 KiB. */
  readonly stderr: string;
  readonly ms: number;
}

/** Runs a tool to completion; killed after `timeoutMs`. Fails with its output on a non-zero exit. */
export function runTool(name: BenchTool, args: readonly string[], timeoutMs: number, maxStdout = 65536): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = start(name, args);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c: Buffer) => (stdout = (stdout + c.toString("utf8")).slice(-maxStdout)));
    child.stderr?.on("data", (c: Buffer) => (stderr = (stderr + c.toString("utf8")).slice(-65536)));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const result = { code, stdout, stderr, ms: Date.now() - started };
      if (code === 0) resolve(result);
      else reject(new Error(`${name} ${args.slice(0, 3).join(" ")} failed (${signal ?? `exit code ${code}`}):\n${stderr.slice(-4000)}`));
    });
  });
}

export interface PrometheusServer {
  readonly url: string;
  readonly logs: () => string;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus on 127.0.0.1 with the given flags (config, TSDB path, …) and waits until it is
 * ready. Flags may depend on the address it listens on (host:port), e.g. a config that scrapes itself.
 */
export async function startPrometheus(flags: readonly string[] | ((listen: string) => readonly string[]), lifetimeMs: number, readyTimeoutMs = 300_000): Promise<PrometheusServer> {
  let lastError = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://${LOOPBACK}:${port}`;
    const listen = `${LOOPBACK}:${port}`;
    const child = start("prometheus", [...(typeof flags === "function" ? flags(listen) : flags), `--web.listen-address=${listen}`]);
    const { output, stop } = boundChild(child, lifetimeMs, 20_000);
    // Opening a large TSDB (replaying blocks, building the index cache) takes a while.
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
      try {
        const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.ok) return { url, logs: output, stop };
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    await stop();
    lastError = output();
    if (!/address already in use/i.test(lastError)) break;
  }
  throw new Error(`Prometheus did not become ready:\n${lastError.slice(-4000)}`);
}
