// Running the built tools (lib/tools.ts) as child processes, for the tests and the benchmark: each
// one bounded in time, its output kept (the tail), and never outliving this process.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { boundChild, type BoundedChild } from "./bounded-child.js";
import { requireTool, type ToolName } from "./tools.js";

// Every child is killed when this process exits; setpriv also asks the kernel to kill it should
// this process die without running exit handlers (SIGKILL, a crash).
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));

export interface SpawnOptions {
  readonly cwd?: string;
  /** Added to this process' environment. */
  readonly env?: NodeJS.ProcessEnv;
}

function spawnTool(name: ToolName, args: readonly string[], opts: SpawnOptions): ChildProcess {
  const bin = requireTool(name);
  const [cmd, argv] = SETPRIV ? [SETPRIV, ["--pdeathsig", "KILL", "--", bin, ...args]] : [bin, [...args]];
  const child = spawn(cmd, argv, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  const forget = () => live.delete(child);
  child.once("exit", forget);
  child.once("error", forget);
  return child;
}

export interface LaunchOptions extends SpawnOptions {
  /** Killed (SIGKILL) once this has passed, whatever it is doing. */
  readonly lifetimeMs: number;
  /** How long stop() waits after SIGTERM before SIGKILL (default 5 s). */
  readonly graceMs?: number;
}

/** A long-running tool (a server), stopped by the caller or at the end of its lifetime. */
export function launchTool(name: ToolName, args: readonly string[], opts: LaunchOptions): BoundedChild {
  return boundChild(spawnTool(name, args, opts), opts.lifetimeMs, opts.graceMs ?? 5000);
}

export interface RunOptions extends SpawnOptions {
  /** Killed (SIGKILL) after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** Characters of stdout kept, the last ones (default 64 KiB; stderr keeps 64 KiB). */
  readonly maxStdout?: number;
}

export interface ToolRun {
  readonly code: number | null;
  /** The signal that ended it, if one did (e.g. SIGKILL at the timeout). */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

const KEEP = 65536;

/** Runs a tool to completion, e.g. `promtool check rules …`; resolves whatever its exit code. */
export function runTool(name: ToolName, args: readonly string[], opts: RunOptions = {}): Promise<ToolRun> {
  const started = Date.now();
  const maxStdout = opts.maxStdout ?? KEEP;
  return new Promise((resolve, reject) => {
    const child = spawnTool(name, args, opts);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c: Buffer) => (stdout = (stdout + c.toString("utf8")).slice(-maxStdout)));
    child.stderr?.on("data", (c: Buffer) => (stderr = (stderr + c.toString("utf8")).slice(-KEEP)));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** As runTool, but a non-zero exit fails, with the end of the tool's stderr in the message. */
export async function runToolOk(name: ToolName, args: readonly string[], opts: RunOptions = {}): Promise<ToolRun> {
  const r = await runTool(name, args, opts);
  if (r.code === 0) return r;
  throw new Error(`${name} ${args.slice(0, 3).join(" ")} failed (${r.signal ?? `exit code ${r.code}`}):\n${r.stderr.slice(-4000)}`);
}
