// The real Alertmanager and amtool (built by `npm run tools`) for tests, and a webhook receiver that
// records what Alertmanager sends. Everything listens on 127.0.0.1; Alertmanager runs without
// clustering (no gossip port, no peers), as the stack runs it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { LOOPBACK, freePort } from "../../lib/loopback.js";
import { startReadyServer } from "../../lib/ready-server.js";
import { launchTool, runTool, type ToolRun } from "../../lib/tool-runner.js";
import { waitFor } from "./tools.js";

export interface RunningAlertmanager {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  logs(): string;
  stop(): Promise<void>;
}

/** Starts Alertmanager on a free port with this config and a throw-away data folder. */
export async function startAlertmanager(configYaml: string, lifetimeMs = 10 * 60_000): Promise<RunningAlertmanager> {
  const dir = mkdtempSync(path.join(tmpdir(), "alertmanager-"));
  const config = path.join(dir, "alertmanager.yml");
  writeFileSync(config, configYaml);
  try {
    const server = await startReadyServer(
      async () => {
        const listen = `${LOOPBACK}:${await freePort()}`;
        const args = [
          `--config.file=${config}`,
          `--storage.path=${path.join(dir, "data")}`,
          `--web.listen-address=${listen}`,
          "--cluster.listen-address=",
          "--log.level=warn",
        ];
        const proc = launchTool("alertmanager", args, { lifetimeMs, cwd: dir });
        return { proc, url: `http://${listen}`, readyUrl: `http://${listen}/-/ready`, stop: () => proc.stop() };
      },
      { name: "alertmanager", readyTimeoutMs: 30_000 },
    );
    return {
      url: server.url,
      logs: server.proc.output,
      stop: async () => {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** `amtool check-config` of this config text. */
export async function amtoolCheckConfig(configYaml: string, files: Record<string, string> = {}): Promise<ToolRun> {
  const dir = mkdtempSync(path.join(tmpdir(), "amtool-"));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
    const config = path.join(dir, "alertmanager.yml");
    writeFileSync(config, configYaml);
    return await runTool("amtool", ["check-config", config], { cwd: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface WebhookReceiver {
  readonly url: string;
  /** Every JSON body POSTed so far, in order. */
  readonly received: unknown[];
  waitFor(predicate: (received: readonly unknown[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that answers 200 to every POST and keeps its JSON body. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: unknown[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "POST") {
        try {
          received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        } catch {
          received.push({ unparsable: Buffer.concat(chunks).toString("utf8") });
        }
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${LOOPBACK}:${port}/alerts`,
    received,
    waitFor: async (predicate, timeoutMs = 30_000) => {
      await waitFor(() => predicate(received), timeoutMs);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
