// Waiting for a service to answer its health endpoint, used where the platform itself cannot wait
// (distroless images have no tool for a Docker HEALTHCHECK).
import * as http from "node:http";
import { lastMiss, poll } from "../../lib/poll.js";

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Called after each failed attempt with the reason, e.g. for progress logging. */
  onAttempt?: (reason: string) => void;
}

/** One GET; resolves with the status code or rejects with the connection error. */
function probe(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

/**
 * Polls `url` until it answers 2xx. Rejects after `timeoutMs` with the last reason, so a broken
 * config fails the deployment loudly instead of leaving a crash-looping container behind.
 */
export async function waitForHttpOk(url: string, opts: WaitOptions): Promise<void> {
  const result = await poll<number, string>(
    async () => {
      const status = await probe(url, Math.min(5000, opts.timeoutMs));
      return status >= 200 && status < 300 ? { done: true, value: status } : { done: false, seen: `HTTP ${status}` };
    },
    { deadlineMs: Date.now() + opts.timeoutMs, intervalMs: opts.intervalMs ?? 2000, onMiss: (miss) => opts.onAttempt?.(lastMiss(miss)) },
  );
  if (!result.done) throw new Error(`${url} was not healthy within ${Math.round(opts.timeoutMs / 1000)} s (last: ${lastMiss(result)})`);
}
