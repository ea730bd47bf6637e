// The benchmark's use of the real Prometheus and promtool (lib/tool-runner.ts runs them, and kills
// them when this process exits): which tools it needs, the patience its large TSDBs ask for, and
// an exit on Ctrl-C that runs those exit hooks.
import { startPrometheus as startServer, type PrometheusServer } from "../lib/prometheus-server.js";
import { MissingToolError, missingTools } from "../lib/tools.js";

/** Fails at once, before any work, when a tool the benchmark runs is missing. */
export function requireBenchTools(): void {
  const missing = missingTools(["prometheus", "promtool"]);
  if (missing.length) throw new MissingToolError(missing);
}

// Node's default on these signals ends the process without its exit hooks: exit instead, so the
// children are killed.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

/**
 * Prometheus on 127.0.0.1 with the given flags (config, TSDB path, …), once ready. Flags may depend
 * on the address it listens on (host:port), e.g. a config that scrapes itself.
 */
export function startPrometheus(flags: readonly string[] | ((listen: string) => readonly string[]), lifetimeMs: number): Promise<PrometheusServer> {
  // Opening a large TSDB (replaying blocks, building the index cache) takes minutes, flushing its head on stop a while.
  return startServer({ flags, lifetimeMs, readyTimeoutMs: 300_000, graceMs: 20_000 });
}
