// A stand-in for the collector's backends (Prometheus' remote-write receiver, Loki's OTLP endpoint)
// where a test needs to choose how they answer: accept, reject as a client error, or never answer.
// It stores nothing; tests that need the data stored use the real Prometheus and the Loki double.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { LOOPBACK } from "../../lib/loopback.js";

export type StubMode = "accept" | "reject" | "hang";

export interface StubBackend {
  url: string;
  /** Requests seen per path. */
  requests(path: string): number;
  setMode(mode: StubMode): void;
  stop(): Promise<void>;
}

export async function startStubBackend(mode: StubMode = "accept"): Promise<StubBackend> {
  let current = mode;
  const seen = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.once("end", () => {
      const path = new URL(req.url ?? "/", "http://stub").pathname;
      seen.set(path, (seen.get(path) ?? 0) + 1);
      if (current === "hang") return void hanging.add(res);
      // 400 is a permanent error for both exporters: counted as send_failed, never retried.
      if (current === "reject") return void res.writeHead(400, { "content-type": "text/plain" }).end("rejected by the test");
      res.writeHead(path.endsWith("/v1/logs") ? 200 : 204, path.endsWith("/v1/logs") ? { "content-type": "application/x-protobuf" } : {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${LOOPBACK}:${port}`,
    requests: (path) => seen.get(path) ?? 0,
    setMode: (m) => {
      current = m;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
