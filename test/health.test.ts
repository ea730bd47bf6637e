import { afterEach, describe, expect, it } from "vitest";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { waitForHttpOk } from "../components/platform/health.js";

const servers: http.Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

describe("waitForHttpOk", () => {
  it("returns once the endpoint answers 200 after some failures", async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      res.statusCode = calls < 3 ? 503 : 200;
      res.end();
    });
    const attempts: string[] = [];
    await waitForHttpOk(`${url}/ready`, { timeoutMs: 5000, intervalMs: 20, onAttempt: (r) => attempts.push(r) });
    expect(calls).toBe(3);
    expect(attempts).toEqual(["HTTP 503", "HTTP 503"]);
  });

  it("fails with the last reason when the service never becomes healthy", async () => {
    const url = await serve((_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    await expect(waitForHttpOk(url, { timeoutMs: 300, intervalMs: 50 })).rejects.toThrow(/was not healthy within 0 s \(last: HTTP 500\)/);
  });

  it("fails when nothing listens", async () => {
    const url = await serve(() => undefined);
    servers.splice(0).forEach((s) => s.close());
    await expect(waitForHttpOk(url, { timeoutMs: 200, intervalMs: 50 })).rejects.toThrow(/ECONNREFUSED/);
  });
});
