// Runs the real Prometheus, promtool and vmagent that `npm run tools` (scripts/provision-tools.sh)
// unpacks into .cache/tools (or TOOLS_DIR). A test that needs a missing tool fails under CI=true
// and is skipped elsewhere, so a developer without the tools still gets a green unit run.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "vitest";
import { LOOPBACK, freePort, sleep } from "../../scripts/lib/loopback.js";
import { boundChild, type BoundedChild } from "../../scripts/lib/bounded-child.js";

export type ToolName = "prometheus" | "promtool" | "vmagent";

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export function toolsDir(): string {
  const fromEnv = process.env.TOOLS_DIR;
  return fromEnv ? path.resolve(fromEnv) : path.join(PROJECT_ROOT, ".cache", "tools");
}

export function toolPath(name: ToolName): string | undefined {
  const file = path.join(toolsDir(), "bin", name);
  return existsSync(file) ? file : undefined;
}

/** Debian package version a tool came from, as recorded by the provisioning script. */
export function packageVersion(name: ToolName): string | undefined {
  const file = path.join(toolsDir(), "versions.txt");
  if (!existsSync(file)) return undefined;
  const line = readFileSync(file, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name} `));
  return line?.slice(name.length + 1).trim();
}

/** Environment for the tools: libraries the provisioning script had to add come first. */
function toolEnv(): NodeJS.ProcessEnv {
  const lib = path.join(toolsDir(), "lib");
  const prev = process.env.LD_LIBRARY_PATH;
  return { ...process.env, LD_LIBRARY_PATH: prev ? `${lib}:${prev}` : lib };
}

function missingMessage(missing: readonly ToolName[]): string {
  return `${missing.join(", ")} not found in ${toolsDir()}/bin: run \`npm run tools\``;
}

const isCI = () => process.env.CI === "true";

/** A describe block that needs real tools: fails under CI=true when one is missing, skips otherwise. */
export function describeWithTools(tools: readonly ToolName[], title: string, body: () => void): void {
  const missing = tools.filter((t) => toolPath(t) === undefined);
  if (missing.length === 0) {
    describe(title, body);
  } else if (isCI()) {
    describe(title, () => {
      it(`has ${tools.join(", ")}`, () => {
        throw new Error(missingMessage(missing));
      });
    });
  } else {
    describe.skipIf(true)(`${title} (${missingMessage(missing)})`, body);
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
    if (isCI()) throw new Error(missingMessage(missing));
    ctx.skip(missingMessage(missing));
  }
  return found;
}

function mustHave(name: ToolName): string {
  const p = toolPath(name);
  if (p === undefined) throw new Error(missingMessage([name]));
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

function launch(bin: string, args: string[], lifetimeMs: number, cwd?: string): BoundedChild {
  const [cmd, argv] = SETPRIV ? [SETPRIV, ["--pdeathsig", "KILL", "--", bin, ...args]] : [bin, args];
  const child = spawn(cmd, argv, { cwd, env: toolEnv(), stdio: ["ignore", "pipe", "pipe"] });
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
export function runTool(name: ToolName, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const bin = mustHave(name);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: opts.cwd, env: toolEnv(), stdio: ["ignore", "pipe", "pipe"] });
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
    const proc = launch(bin, args(port), lifetimeMs, dir);
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
  /** prometheus.yml; rule files are referenced by their names in `ruleFiles`, relative to it. */
  configYaml: string;
  ruleFiles?: Record<string, string>;
  /** Further command-line flags, e.g. `--web.enable-otlp-receiver`. */
  flags?: string[];
  /** Hard limit on the server's life (default 15 minutes). */
  maxLifetimeMs?: number;
}

/** A real Prometheus on 127.0.0.1 with a throw-away TSDB and the remote-write receiver on. */
export async function startPrometheus(opts: PrometheusOptions): Promise<RunningServer> {
  const dir = tempDir("prometheus");
  writeFileSync(path.join(dir, "prometheus.yml"), opts.configYaml);
  for (const [name, content] of Object.entries(opts.ruleFiles ?? {})) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  const args = (port: number) => [
    `--config.file=${path.join(dir, "prometheus.yml")}`,
    `--storage.tsdb.path=${path.join(dir, "data")}`,
    `--web.listen-address=${LOOPBACK}:${port}`,
    "--web.enable-remote-write-receiver",
    "--log.level=warn",
    ...(opts.flags ?? []),
  ];
  return startServer("prometheus", dir, args, "/-/ready", opts.maxLifetimeMs ?? 15 * 60_000);
}

export interface VmagentOptions {
  /** Prometheus remote-write endpoint, e.g. `${prometheus.url}/api/v1/write`. */
  remoteWriteUrl: string;
  flags?: string[];
  maxLifetimeMs?: number;
}

export interface RunningVmagent extends RunningServer {
  /** OTLP/HTTP protobuf metrics endpoint (the full per-signal URL). */
  otlpMetricsUrl: string;
  /** Resolves once everything vmagent received has been delivered to the remote-write URL. */
  flush(timeoutMs?: number): Promise<void>;
}

/**
 * Relabelling that gives vmagent's output the label set the project's collector writes: `job` from
 * service.namespace/service.name, `instance` from service.instance.id, scope labels named
 * `otel_scope_*`, `service_name` kept (the collector lifts service.name onto every data point),
 * and no other resource attribute.
 */
const COLLECTOR_LIKE_RELABEL = `
- {action: replace, source_labels: [service_namespace, service_name], separator: /, regex: "(.+)/(.+)", target_label: job, replacement: "$1/$2"}
- {action: replace, source_labels: [service_namespace, service_name], separator: /, regex: "/(.+)", target_label: job, replacement: "$1"}
- {action: replace, source_labels: [service_instance_id], regex: "(.+)", target_label: instance, replacement: "$1"}
- {action: labelmap, regex: "scope_(name|version|schema_url)", replacement: "otel_scope_$1"}
- {action: labeldrop, regex: "scope_(name|version|schema_url)|service_namespace|service_instance_id"}
`;

/**
 * vmagent accepting OTLP/HTTP metrics and remote-writing them with the names the Collector's
 * `prometheus` exporter gives them (unit suffix, `_total` on monotonic sums, dots to underscores).
 * Like that exporter, it takes cumulative sums only: delta sums are dropped.
 */
export async function startVmagent(opts: VmagentOptions): Promise<RunningVmagent> {
  const dir = tempDir("vmagent");
  const relabel = path.join(dir, "relabel.yml");
  writeFileSync(relabel, COLLECTOR_LIKE_RELABEL);
  const args = (port: number) => [
    `-httpListenAddr=${LOOPBACK}:${port}`,
    `-remoteWrite.url=${opts.remoteWriteUrl}`,
    `-remoteWrite.tmpDataPath=${path.join(dir, "queue")}`,
    "-remoteWrite.forcePromProto",
    "-remoteWrite.flushInterval=200ms",
    "-remoteWrite.retryMinInterval=200ms",
    "-remoteWrite.retryMaxInterval=2s",
    `-remoteWrite.relabelConfig=${relabel}`,
    "-opentelemetry.usePrometheusNaming",
    // Promoting every resource attribute would duplicate the ones Claude Code copies onto each
    // data point, and Prometheus drops series with duplicate labels.
    "-opentelemetry.promoteAllResourceAttributes=false",
    "-opentelemetry.promoteResourceAttributes=service.name,service.namespace,service.instance.id",
    "-loggerLevel=WARN",
    "-memory.allowedBytes=256MiB",
    ...(opts.flags ?? []),
  ];
  const server = await startServer("vmagent", dir, args, "/health", opts.maxLifetimeMs ?? 15 * 60_000);
  return {
    ...server,
    otlpMetricsUrl: `${server.url}/opentelemetry/v1/metrics`,
    flush: (timeoutMs = 15_000) => waitForDelivery(server.url, timeoutMs),
  };
}

/** Sum of every series of `name` in a Prometheus text exposition. */
function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/** Waits until every row vmagent accepted is in a block, and every block was sent or dropped. */
async function waitForDelivery(vmagentUrl: string, timeoutMs: number): Promise<void> {
  await waitFor(async () => {
    const res = await fetch(`${vmagentUrl}/metrics`, { signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    const m = (n: string) => metricSum(text, n);
    const dropped = m("vmagent_remotewrite_packets_dropped_total");
    if (dropped > 0) throw new Error(`vmagent dropped ${dropped} blocks that the remote end rejected`);
    const rowsQueued = m("vmagent_remotewrite_rows_pushed_after_relabel_total");
    const rowsInBlocks = m("vmagent_remotewrite_block_size_rows_sum");
    const blocksMade = m("vmagent_remotewrite_block_size_rows_count");
    const blocksSent = m("vmagent_remotewrite_blocks_sent_total");
    return rowsInBlocks >= rowsQueued && blocksSent >= blocksMade;
  }, timeoutMs);
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
