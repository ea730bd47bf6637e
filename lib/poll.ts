// The one poll loop: try, and try again after a pause, until something is done or the deadline comes.
// Pure (timers only), so components/ may use it.

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What one attempt found: done, with its value, or not yet, with what it saw (for the caller's message). */
export type Attempt<T, S = unknown> = { readonly done: true; readonly value: T } | { readonly done: false; readonly seen?: S };

/** How the polling ended: done, or not, with the last attempt's `seen` or, when that attempt threw, its `error`. */
export type PollResult<T, S = unknown> = { readonly done: true; readonly value: T } | { readonly done: false; readonly seen?: S; readonly error?: unknown };

export interface PollOptions<S> {
  /** Epoch ms: no attempt starts after it (the first always runs). */
  readonly deadlineMs: number;
  /** Pause between the end of one attempt and the start of the next. */
  readonly intervalMs: number;
  /** Called after each attempt that was not done, e.g. for progress logging. */
  readonly onMiss?: (miss: Exclude<PollResult<never, S>, { done: true }>) => void;
  /** An attempt that throws counts as not done (default), or ends the polling with that error. */
  readonly errors?: "retry" | "throw";
}

/** Runs `attempt` until it is done or the next one would start after the deadline. */
export async function poll<T, S = unknown>(attempt: () => Promise<Attempt<T, S>> | Attempt<T, S>, o: PollOptions<S>): Promise<PollResult<T, S>> {
  for (;;) {
    let result: PollResult<T, S>;
    try {
      result = await attempt();
    } catch (error) {
      if (o.errors === "throw") throw error;
      result = { done: false, error };
    }
    if (result.done) return result;
    o.onMiss?.(result);
    if (Date.now() + o.intervalMs > o.deadlineMs) return result;
    await sleep(o.intervalMs);
  }
}

/** The message of what a failed poll last met: the error's, or `describe(seen)`. */
export function lastMiss<S>(miss: { readonly seen?: S; readonly error?: unknown }, describe: (seen: S | undefined) => string = String): string {
  if ("error" in miss) return miss.error instanceof Error ? miss.error.message : String(miss.error);
  return describe(miss.seen);
}
