// Waiting for a service to answer its health endpoint, used where the platform itself cannot wait
// (distroless images have no tool for a Docker HEALTHCHECK).
import * as http from "node:http";

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
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 2000;
  let last = "not tried";
  for (;;) {
    try {
      const status = await probe(url, Math.min(5000, opts.timeoutMs));
      if (status >= 200 && status < 300) return;
      last = `HTTP ${status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    opts.onAttempt?.(last);
    if (Date.now() + interval > deadline) {
      throw new Error(`${url} was not healthy within ${Math.round(opts.timeoutMs / 1000)} s (last: ${last})`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
