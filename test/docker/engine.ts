// A Docker Engine for the tests: the project's own dockerd (Debian's docker.io, installed when it is
// missing and this is a root Debian machine), with its data, exec root and socket under
// .cache/docker, started here and stopped here by its PID. An engine that already runs is used only
// when E2E_DOCKER_HOST names it, because the tests tag images with the pinned upstream names.
// Nothing is ever pulled. The Engine API is spoken directly over the unix socket.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import * as http from "node:http";
import path from "node:path";
import { PROJECT_ROOT } from "../../lib/tools.js";
import { poll } from "../../lib/poll.js";

const API = "/v1.41";

export class EngineError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface Engine {
  readonly socket: string;
  /** One Engine API call; JSON in and out unless `raw` is given. */
  api<T = unknown>(method: string, apiPath: string, body?: unknown, opts?: { raw?: Buffer; contentType?: string; timeoutMs?: number }): Promise<T>;
  /** Stops the daemon if this process started it. */
  stop(): Promise<void>;
}

function request(
  socket: string,
  method: string,
  apiPath: string,
  body: Buffer | undefined,
  contentType: string,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: socket, path: `${API}${apiPath}`, method, headers: body ? { "content-type": contentType, "content-length": body.length } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${apiPath}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

function client(socket: string, stop: () => Promise<void>): Engine {
  return {
    socket,
    async api<T>(method: string, apiPath: string, body?: unknown, opts: { raw?: Buffer; contentType?: string; timeoutMs?: number } = {}): Promise<T> {
      const payload = opts.raw ?? (body === undefined ? undefined : Buffer.from(JSON.stringify(body)));
      const res = await request(socket, method, apiPath, payload, opts.contentType ?? "application/json", opts.timeoutMs ?? 120_000);
      if (res.status >= 400) {
        let message = res.text;
        try {
          message = (JSON.parse(res.text) as { message?: string }).message ?? res.text;
        } catch {
          // plain text error
        }
        throw new EngineError(`${method} ${apiPath}: ${res.status} ${message.trim()}`, res.status);
      }
      if (res.text === "") return undefined as T;
      try {
        return JSON.parse(res.text) as T;
      } catch {
        return res.text as T;
      }
    },
    stop,
  };
}

async function pings(socket: string): Promise<boolean> {
  if (!existsSync(socket)) return false;
  try {
    const res = await request(socket, "GET", "/_ping", undefined, "", 3000);
    return res.status === 200;
  } catch {
    return false;
  }
}

export const DOCKER_DIR = path.join(PROJECT_ROOT, ".cache", "docker");

/** Why no engine can be had here, or undefined when one can. */
function cannotStart(): string | undefined {
  if (process.platform !== "linux") return "the project's own Docker Engine needs Linux";
  if (process.getuid?.() !== 0) return "starting the project's own Docker Engine needs root (or set E2E_DOCKER_HOST=unix:///var/run/docker.sock to use yours)";
  if (!existsSync("/usr/bin/apt-get") && !existsSync("/usr/sbin/dockerd")) return "dockerd is not installed and this is not a Debian machine (apt-get)";
  return undefined;
}

function installDockerd(log: (line: string) => void): void {
  if (existsSync("/usr/sbin/dockerd")) return;
  log("installing Debian's docker.io (dockerd, containerd, runc)");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  let r = spawnSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", "docker.io"], { env, encoding: "utf8" });
  if (r.status !== 0) {
    spawnSync("apt-get", ["update", "-q"], { env, encoding: "utf8" });
    r = spawnSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", "docker.io"], { env, encoding: "utf8" });
  }
  if (r.status !== 0 || !existsSync("/usr/sbin/dockerd")) throw new Error(`apt-get install docker.io failed:\n${(r.stderr || r.stdout).slice(-2000)}`);
}

export type EngineResult = { engine: Engine } | { unavailable: string };

/** Uses E2E_DOCKER_HOST, or starts (and later stops) the project's own dockerd. */
export async function dockerEngine(log: (line: string) => void = () => {}): Promise<EngineResult> {
  const given = process.env.E2E_DOCKER_HOST;
  if (given) {
    const socket = given.replace(/^unix:\/\//, "");
    if (!(await pings(socket))) return { unavailable: `E2E_DOCKER_HOST=${given} does not answer` };
    return { engine: client(socket, async () => {}) };
  }
  const socket = path.join(DOCKER_DIR, "docker.sock");
  if (await pings(socket)) return { unavailable: `a dockerd this process did not start already serves ${socket}; stop it first` };
  const reason = cannotStart();
  if (reason) return { unavailable: reason };
  installDockerd(log);
  mkdirSync(DOCKER_DIR, { recursive: true });
  const logFile = path.join(DOCKER_DIR, "dockerd.log");
  const child = spawn(
    "/usr/sbin/dockerd",
    [
      `--data-root=${path.join(DOCKER_DIR, "data")}`,
      `--exec-root=${path.join(DOCKER_DIR, "exec")}`,
      `--pidfile=${path.join(DOCKER_DIR, "dockerd.pid")}`,
      `--host=unix://${socket}`,
      // Containers reach each other on their own bridge network; no registry is ever contacted.
      "--log-level=warn",
    ],
    { detached: true, stdio: ["ignore", openSync(logFile, "a"), openSync(logFile, "a")] },
  );
  const exited = new Promise<string>((resolve) => child.once("exit", (code, signal) => resolve(signal ?? `exit code ${code}`)));
  let status = "starting";
  void exited.then((s) => (status = s));
  // Until it answers a ping, or it has ended; tries until 60 s have passed, then once more at most.
  const up = await poll(
    async () => {
      const answered = await pings(socket);
      return answered || status !== "starting" ? { done: true, value: answered } : { done: false };
    },
    { deadlineMs: Date.now() + 60_000 + 250, intervalMs: 250 },
  );
  if (!(up.done && up.value)) {
    child.kill("SIGKILL");
    return { unavailable: `dockerd did not start (${status}); its log:\n${readFileSync(logFile, "utf8").slice(-3000)}` };
  }
  log(`started dockerd (pid ${child.pid}) on ${socket}`);
  const stop = async () => {
    if (status !== "starting") return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(timer);
  };
  return { engine: client(socket, stop) };
}
