// Starting a server tool and waiting until it answers ready. Its ports come from freePort(), which
// releases the port it found: another process may take it first, so a start that fails on
// "address already in use" is tried again, on new ports.
import type { BoundedChild } from "./bounded-child.js";
import { lastMiss, poll } from "./poll.js";

export interface StartedServer {
  readonly proc: BoundedChild;
  /** Answers 2xx once the server is ready. */
  readonly readyUrl: string;
  /** Stops the process and removes whatever this start made (a failed start is stopped too). */
  stop(): Promise<void>;
}

export interface ReadyOptions {
  /** The tool's name, in messages. */
  readonly name: string;
  readonly readyTimeoutMs: number;
  readonly intervalMs?: number;
}

const ATTEMPTS = 3;

/** Calls `start` (again on "address already in use") until a server is ready; throws with its output otherwise. */
export async function startReadyServer<S extends StartedServer>(start: () => Promise<S>, o: ReadyOptions): Promise<S> {
  let failure = "";
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const server = await start();
    const outcome = await untilReady(server, o);
    if (outcome === "ready") return server;
    await server.stop();
    failure = `${o.name} ${outcome}\n${server.proc.output()}`;
    if (!/address already in use/i.test(server.proc.output())) break;
  }
  throw new Error(failure);
}

/** "ready", or why not: the process ended, or it did not answer in time. */
async function untilReady(server: StartedServer, o: ReadyOptions): Promise<string> {
  let ended: string | undefined;
  void server.proc.exited.then((how) => (ended = how));
  const result = await poll<string, string>(
    async () => {
      if (ended !== undefined) return { done: true, value: `exited (${ended})` };
      const res = await fetch(server.readyUrl, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.ok ? { done: true, value: "ready" } : { done: false, seen: `HTTP ${res.status}` };
    },
    { deadlineMs: Date.now() + o.readyTimeoutMs, intervalMs: o.intervalMs ?? 100 },
  );
  return result.done ? result.value : `not ready within ${o.readyTimeoutMs} ms (last: ${lastMiss(result)})`;
}
