// The real Prometheus (built by `npm run tools`) as a server on 127.0.0.1, for the tests and the
// benchmark: started on a free port with the caller's flags, ready once /-/ready answers.
import { LOOPBACK, freePort } from "./loopback.js";
import { startReadyServer } from "./ready-server.js";
import { launchTool } from "./tool-runner.js";

export interface PrometheusServer {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** host:port it listens on. */
  readonly listen: string;
  /** Recent log output, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /**
   * Every flag but --web.listen-address (config, TSDB path, …), or a function of the address it will
   * listen on (host:port), e.g. for a config that scrapes Prometheus itself.
   */
  readonly flags: readonly string[] | ((listen: string) => readonly string[]);
  /** Listen here (host:port) instead of on a free port: a restarted server keeps its address. */
  readonly listen?: string;
  /** Killed once this has passed. */
  readonly lifetimeMs: number;
  /** How long it may take to answer ready (default 30 s; opening a large TSDB takes minutes). */
  readonly readyTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL (default 5 s). */
  readonly graceMs?: number;
  readonly cwd?: string;
}

export async function startPrometheus(o: PrometheusOptions): Promise<PrometheusServer> {
  const server = await startReadyServer(
    async () => {
      const listen = o.listen ?? `${LOOPBACK}:${await freePort()}`;
      const flags = typeof o.flags === "function" ? o.flags(listen) : o.flags;
      const proc = launchTool("prometheus", [...flags, `--web.listen-address=${listen}`], { lifetimeMs: o.lifetimeMs, graceMs: o.graceMs, cwd: o.cwd });
      return { proc, url: `http://${listen}`, listen, readyUrl: `http://${listen}/-/ready`, stop: () => proc.stop() };
    },
    { name: "prometheus", readyTimeoutMs: o.readyTimeoutMs ?? 30_000 },
  );
  return { url: server.url, listen: server.listen, logs: server.proc.output, stop: server.stop };
}
