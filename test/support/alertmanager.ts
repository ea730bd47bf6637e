// The real Alertmanager and amtool (built by `npm run tools`) for tests, and a webhook receiver that
// records what Alertmanager sends. Everything listens on 127.0.0.1, and Alertmanager runs without
// clustering (no gossip listener, no peers), so it makes no network traffic but its notifications.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { LOOPBACK, freePort } from "../../lib/loopback.js";
import { startReadyServer } from "../../lib/ready-server.js";
import { launchTool, runTool, type ToolRun } from "../../lib/tool-runner.js";
import { requireTool } from "../../lib/tools.js";
import { waitFor } from "./tools.js";

/** Writes name → content under `dir` (names may hold subfolders). */
function writeFiles(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

export interface AlertmanagerOptions {
  /** Files (name → content) written into its working folder, where relative paths in the config point. */
  files?: Readonly<Record<string, string>>;
  /** Further command-line flags. */
  flags?: readonly string[];
  /** Hard limit on the server's life (default 10 minutes). */
  maxLifetimeMs?: number;
  /** How long it may take to answer ready (default 30 s). */
  readyTimeoutMs?: number;
}

export interface RunningAlertmanager {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** Its working folder (config, data); removed by stop(). */
  readonly dir: string;
  /** Recent log output, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

/** A real Alertmanager on a free 127.0.0.1 port with this config and a throw-away data folder. */
export async function startAlertmanager(configYaml: string, opts: AlertmanagerOptions = {}): Promise<RunningAlertmanager> {
  requireTool("alertmanager");
  const dir = mkdtempSync(path.join(tmpdir(), "alertmanager-"));
  const removeDir = () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  const config = path.join(dir, "alertmanager.yml");
  try {
    writeFiles(dir, opts.files ?? {});
    writeFileSync(config, configYaml);
    const server = await startReadyServer(
      async () => {
        const listen = `${LOOPBACK}:${await freePort()}`;
        const args = [
          `--config.file=${config}`,
          `--storage.path=${path.join(dir, "data")}`,
          `--web.listen-address=${listen}`,
          // Empty: no cluster listener, so no gossip and no peer lookups.
          "--cluster.listen-address=",
          "--log.level=warn",
          ...(opts.flags ?? []),
        ];
        const proc = launchTool("alertmanager", args, { lifetimeMs: opts.maxLifetimeMs ?? 10 * 60_000, cwd: dir });
        return { proc, url: `http://${listen}`, readyUrl: `http://${listen}/-/ready`, stop: () => proc.stop() };
      },
      { name: "alertmanager", readyTimeoutMs: opts.readyTimeoutMs ?? 30_000 },
    );
    return {
      url: server.url,
      dir,
      logs: server.proc.output,
      stop: async () => {
        await server.stop();
        removeDir();
      },
    };
  } catch (e) {
    removeDir();
    throw e;
  }
}

export interface CheckConfigResult extends ToolRun {
  /** amtool exited 0. */
  readonly ok: boolean;
  /** stdout and stderr together. */
  readonly output: string;
}

/**
 * `amtool check-config` of this config text: whether it passed, and what amtool printed. `files`
 * (name → content) are written beside the config, in amtool's working folder, so the config can name
 * them by relative path (e.g. a receiver's `url_file: ./webhook-url`).
 */
export async function amtoolCheckConfig(configYaml: string, files: Readonly<Record<string, string>> = {}): Promise<CheckConfigResult> {
  requireTool("amtool");
  const dir = mkdtempSync(path.join(tmpdir(), "amtool-"));
  try {
    writeFiles(dir, files);
    const config = path.join(dir, "alertmanager.yml");
    writeFileSync(config, configYaml);
    const r = await runTool("amtool", ["check-config", config], { cwd: dir });
    return { ...r, ok: r.code === 0, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface WebhookReceiver {
  /** The URL to put in a webhook_config (or its url_file). */
  readonly url: string;
  /** Every JSON body POSTed so far, in order (a body that is not JSON is kept as its text). */
  readonly received: unknown[];
  /** The first body that matches, waiting for it up to `timeoutMs` (default 30 s). */
  waitFor(predicate: (body: unknown) => boolean, timeoutMs?: number): Promise<unknown>;
  close(): Promise<void>;
}

/** An HTTP server on a random 127.0.0.1 port that answers 200 to every request and keeps POSTed bodies. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: unknown[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "POST") {
        const text = Buffer.concat(chunks).toString("utf8");
        try {
          received.push(JSON.parse(text));
        } catch {
          received.push(text);
        }
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, LOOPBACK, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${LOOPBACK}:${port}/webhook`,
    received,
    waitFor: (predicate, timeoutMs = 30_000) => waitFor(() => received.find(predicate), timeoutMs),
    close: () =>
      new Promise<void>((resolve) => {
        // Alertmanager keeps its connections open: close them, or close() waits for their timeout.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
