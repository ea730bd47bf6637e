// A child process that keeps the tail of its output, is killed when its lifetime runs out, and
// stops gracefully (SIGTERM, then SIGKILL after a grace period): the servers lib/tool-runner.ts
// launches for the tests and the benchmark.
import type { ChildProcess } from "node:child_process";

export interface BoundedChild {
  readonly child: ChildProcess;
  /** The last 64 KiB of stdout and stderr. */
  output(): string;
  /** Resolves with how the process ended (signal, exit code or spawn error). */
  readonly exited: Promise<string>;
  stop(): Promise<void>;
}

export function boundChild(child: ChildProcess, lifetimeMs: number, graceMs: number): BoundedChild {
  let out = "";
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString("utf8")).slice(-65536);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<string>((resolve) => {
    child.once("error", (err) => resolve(`spawn error: ${err.message}`));
    child.once("exit", (code, signal) => resolve(signal ?? `exit code ${code}`));
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), lifetimeMs);
  timer.unref();
  const stop = async () => {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const hardKill = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(hardKill);
    }
  };
  return { child, output: () => out, exited, stop };
}
