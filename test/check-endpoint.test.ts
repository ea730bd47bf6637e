// check-endpoint against real local servers: an OTLP/HTTP server (node:http) and an OTLP/gRPC server
// (node:http2, h2c) that enforce a bearer token, the same over TLS with client certificates, and a
// port where nothing listens.
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GRPC_PATHS, HTTP_PATHS, formatResults, hasFailures, runChecks, type CheckResult, type TlsFiles } from "../lib/otlp-check.js";

const TOKEN = "tok_" + "Vb6Rq1Lx9Nm3Ws0Kd7Hf";

interface Seen {
  path: string;
  contentType: string;
  auth: string | undefined;
  bodyLength: number;
}

/** OTLP/HTTP: 200 for an authorised protobuf POST to /v1/metrics or /v1/logs, 401 without the token. */
function httpHandler(seen: Seen[], token: string | undefined) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({
        path: req.url ?? "",
        contentType: req.headers["content-type"] ?? "",
        auth: req.headers.authorization,
        bodyLength: Buffer.concat(chunks).length,
      });
      if (req.method !== "POST" || !Object.values(HTTP_PATHS).includes(req.url as never)) return res.writeHead(404).end();
      if (req.headers["content-type"] !== "application/x-protobuf") return res.writeHead(415).end();
      if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) return res.writeHead(401).end();
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  };
}

/** OTLP/gRPC: grpc-status 0 for an authorised Export with one empty message, 16 without the token. */
function grpcHandler(seen: Seen[], token: string | undefined) {
  return (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      const body = Buffer.concat(chunks);
      const path = String(headers[":path"]);
      seen.push({ path, contentType: String(headers["content-type"]), auth: headers.authorization as string | undefined, bodyLength: body.length });
      let status = 0;
      if (!Object.values(GRPC_PATHS).includes(path as never)) status = 12;
      else if (headers["content-type"] !== "application/grpc" || body.length !== 5 || body.readUInt32BE(1) !== 0) status = 13;
      else if (token !== undefined && headers.authorization !== `Bearer ${token}`) status = 16;
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": String(status), ...(status ? { "grpc-message": "refused" } : {}) }));
      stream.end();
    });
  };
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

const servers: net.Server[] = [];
async function start(token: string | undefined, tls?: { key: string; cert: string; ca: string }) {
  const seenHttp: Seen[] = [];
  const seenGrpc: Seen[] = [];
  const tlsOpts = tls ? { key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: true, rejectUnauthorized: true } : undefined;
  const h = tlsOpts ? https.createServer(tlsOpts, httpHandler(seenHttp, token)) : http.createServer(httpHandler(seenHttp, token));
  const g = tlsOpts ? http2.createSecureServer(tlsOpts) : http2.createServer();
  g.on("stream", grpcHandler(seenGrpc, token));
  servers.push(h, g);
  const scheme = tls ? "https" : "http";
  return { http: `${scheme}://127.0.0.1:${await listen(h)}`, grpc: `${scheme}://127.0.0.1:${await listen(g)}`, seenHttp, seenGrpc };
}

afterAll(async () => {
  for (const s of servers) {
    (s as http.Server).closeAllConnections?.();
    await new Promise((r) => s.close(r));
  }
});

const verdicts = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.check, r.verdict]));

describe("check-endpoint against a stand-in OTLP server (Node) that enforces a bearer token", () => {
  let ep: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    ep = await start(TOKEN);
  });

  it("passes every check with the right token, and really sends both kinds of request", async () => {
    const results = await runChecks({ httpEndpoint: ep.http, grpcEndpoint: ep.grpc, token: TOKEN });
    expect(verdicts(results)).toEqual({
      "HTTP connect": "PASS",
      "HTTP /v1/metrics without token is refused": "PASS",
      "HTTP /v1/metrics with token is accepted": "PASS",
      "HTTP /v1/logs without token is refused": "PASS",
      "HTTP /v1/logs with token is accepted": "PASS",
      "gRPC connect": "PASS",
      "gRPC metrics Export without token is refused": "PASS",
      "gRPC metrics Export with token is accepted": "PASS",
      "gRPC logs Export without token is refused": "PASS",
      "gRPC logs Export with token is accepted": "PASS",
    });
    expect(hasFailures(results)).toBe(false);
    // What reached the servers: empty protobuf bodies and one empty gRPC frame, with and without the token.
    expect(ep.seenHttp.map((s) => [s.path, s.contentType, s.bodyLength, s.auth === undefined])).toEqual([
      ["/v1/metrics", "application/x-protobuf", 0, true],
      ["/v1/metrics", "application/x-protobuf", 0, false],
      ["/v1/logs", "application/x-protobuf", 0, true],
      ["/v1/logs", "application/x-protobuf", 0, false],
    ]);
    expect(ep.seenGrpc.map((s) => [s.path, s.bodyLength, s.auth === undefined])).toEqual([
      [GRPC_PATHS.metrics, 5, true],
      [GRPC_PATHS.metrics, 5, false],
      [GRPC_PATHS.logs, 5, true],
      [GRPC_PATHS.logs, 5, false],
    ]);
    const table = formatResults(results, [TOKEN]);
    expect(table).toMatch(/OK: 10 checks passed/);
    expect(table).toMatch(/grpc-status 16 \(Unauthenticated\)/);
    expect(table).not.toContain(TOKEN);
  });

  it("fails with a wrong token", async () => {
    const results = await runChecks({ httpEndpoint: ep.http, grpcEndpoint: ep.grpc, token: "wrong-token-0123456789" });
    const v = verdicts(results);
    expect(v["HTTP /v1/metrics with token is accepted"]).toBe("FAIL");
    expect(v["gRPC logs Export with token is accepted"]).toBe("FAIL");
    expect(results.find((r) => r.check === "HTTP /v1/metrics with token is accepted")?.detail).toMatch(/401.*token was not accepted/);
    expect(hasFailures(results)).toBe(true);
  });

  it("fails without a token and says the ingest needs one", async () => {
    const results = await runChecks({ httpEndpoint: ep.http, grpcEndpoint: ep.grpc });
    expect(verdicts(results)["HTTP /v1/metrics is accepted"]).toBe("FAIL");
    expect(results.find((r) => r.check === "gRPC metrics Export is accepted")?.detail).toMatch(/Unauthenticated.*needs a token/);
  });

  it("fails when the ingest accepts data without the token", async () => {
    const open = await start(undefined);
    const results = await runChecks({ httpEndpoint: open.http, grpcEndpoint: open.grpc, token: TOKEN });
    const v = verdicts(results);
    expect(v["HTTP /v1/metrics without token is refused"]).toBe("FAIL");
    expect(v["gRPC metrics Export without token is refused"]).toBe("FAIL");
    expect(v["HTTP /v1/metrics with token is accepted"]).toBe("PASS");
  });

  it("fails when the gRPC address answers HTTP/1 only", async () => {
    const results = await runChecks({ httpEndpoint: `${ep.http}`, grpcEndpoint: ep.http, token: TOKEN });
    // An HTTP/1 server behind the gRPC address: the HTTP/2 call fails.
    expect(results.filter((r) => r.check.startsWith("gRPC") && r.check !== "gRPC connect").every((r) => r.verdict === "FAIL")).toBe(true);
  });
});

describe("check-endpoint against an endpoint that is down", () => {
  it("reports connection failures and fails overall", async () => {
    const probe = net.createServer();
    const port = await listen(probe);
    await new Promise((r) => probe.close(r));
    const results = await runChecks({ httpEndpoint: `http://127.0.0.1:${port}`, grpcEndpoint: `http://127.0.0.1:${port}`, token: TOKEN, timeoutMs: 2000 });
    expect(results.map((r) => [r.check, r.verdict])).toEqual([
      ["HTTP connect", "FAIL"],
      ["gRPC connect", "FAIL"],
    ]);
    expect(results[0]!.detail).toMatch(/ECONNREFUSED/);
    expect(hasFailures(results)).toBe(true);
    expect(formatResults(results)).toMatch(/FAILED: 2 of 2 checks failed/);
  });

  it("fails when no endpoint was checked at all", async () => {
    expect(hasFailures(await runChecks({}))).toBe(true);
  });
});

describe("check-endpoint over TLS with client certificates (stand-in OTLP server)", () => {
  let certDir = "";
  let files: TlsFiles & { caPath: string; certPath: string; keyPath: string };
  const haveOpenssl = spawnSync("openssl", ["version"]).status === 0;

  beforeAll(async () => {
    if (!haveOpenssl) return;
    certDir = await mkdtemp(join(tmpdir(), "otlp-tls-"));
    const run = (...args: string[]) => execFileSync("openssl", args, { cwd: certDir, stdio: "pipe" });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    run("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=test-ca");
    await writeFile(join(certDir, "server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    await writeFile(join(certDir, "client.ext"), "extendedKeyUsage=clientAuth\n");
    for (const who of ["server", "client"]) {
      run("req", ...ec, "-keyout", `${who}.key`, "-out", `${who}.csr`, "-subj", `/CN=${who}`);
      run(
        "x509",
        "-req",
        "-in",
        `${who}.csr`,
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        `${who}.pem`,
        "-days",
        "1",
        "-extfile",
        `${who}.ext`,
      );
    }
    const read = (f: string) => readFile(join(certDir, f), "utf8");
    files = {
      ca: await read("ca.pem"),
      cert: await read("client.pem"),
      key: await read("client.key"),
      caPath: join(certDir, "ca.pem"),
      certPath: join(certDir, "client.pem"),
      keyPath: join(certDir, "client.key"),
    };
  });
  afterAll(async () => {
    if (certDir) await rm(certDir, { recursive: true, force: true });
  });

  it("passes with the client certificate and checks that a request without it is refused (skipped without openssl, failing in CI)", async (ctx) => {
    if (!haveOpenssl) {
      if (process.env.CI === "true") throw new Error("openssl is needed for the TLS test in CI");
      ctx.skip("openssl is not installed");
    }
    const ep = await start(TOKEN, {
      key: await readFile(join(certDir, "server.key"), "utf8"),
      cert: await readFile(join(certDir, "server.pem"), "utf8"),
      ca: files.ca!,
    });
    const results = await runChecks({ httpEndpoint: ep.http, grpcEndpoint: ep.grpc, token: TOKEN, tls: { ca: files.ca, cert: files.cert, key: files.key } });
    expect(results.filter((r) => r.verdict !== "PASS")).toEqual([]);
    expect(results.find((r) => r.check === "HTTP connect")?.detail).toMatch(/TLS handshake ok/);
    expect(results.find((r) => r.check === "gRPC connect")?.detail).toMatch(/ALPN h2/);
    const noCert = results.filter((r) => r.check.endsWith("without client certificate is refused"));
    expect(noCert).toHaveLength(2);
    for (const r of noCert) expect(r.detail).toMatch(/CERTIFICATE_REQUIRED|ECONNRESET|socket hang up/);

    // Without trusting the CA the handshake fails.
    const untrusted = await runChecks({ httpEndpoint: ep.http, token: TOKEN, tls: { cert: files.cert, key: files.key } });
    expect(untrusted[0]).toMatchObject({ check: "HTTP connect", verdict: "FAIL" });
  });
});

// ---- the command-line tool, run for real -------------------------------------------------------

const ROOT = resolve(import.meta.dirname, "..");

function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(
      join(ROOT, "node_modules", ".bin", "tsx"),
      [join(ROOT, "scripts", "check-endpoint.ts"), ...args],
      { env: { ...process.env, ...extraEnv }, cwd: ROOT },
      (error, stdout, stderr) => {
        res({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe("check-endpoint command", () => {
  it("prints a verdict table, exits 0 when all pass, and never prints the token", async () => {
    const ep = await start(TOKEN);
    const dir = await mkdtemp(join(tmpdir(), "check-endpoint-"));
    try {
      const tokenFile = join(dir, "token");
      await writeFile(tokenFile, `${TOKEN}\n`);
      const ok = await cli(["--http-endpoint", ep.http, "--grpc-endpoint", ep.grpc, "--token-file", tokenFile]);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/^CHECK\s+ENDPOINT\s+VERDICT\s+DETAIL$/m);
      expect(ok.stdout).toMatch(/gRPC metrics Export with token is accepted\s+http:\/\/127\.0\.0\.1:\d+\s+PASS/);
      expect(ok.stdout + ok.stderr).not.toContain(TOKEN);

      // The same through the stack outputs, read with a stand-in pulumi CLI.
      const env = {
        CLAUDE_CODE_ENABLE_TELEMETRY: "1",
        OTEL_METRICS_EXPORTER: "otlp",
        OTEL_LOGS_EXPORTER: "otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
        OTEL_EXPORTER_OTLP_ENDPOINT: ep.grpc,
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "delta",
        OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer ${TOKEN}`,
      };
      await writeFile(join(dir, "pulumi"), `#!/bin/sh\ncat <<'EOF'\n${JSON.stringify({ clientEnv: env, otlpHttpEndpoint: ep.http })}\nEOF\n`, { mode: 0o755 });
      const viaStack = await cli(["--stack", "local"], { PATH: `${dir}:${process.env.PATH}` });
      expect(viaStack.code).toBe(0);
      expect(viaStack.stdout).toMatch(/OK: 10 checks passed/);
      expect(viaStack.stdout + viaStack.stderr).not.toContain(TOKEN);

      const bad = await cli(["--http-endpoint", ep.http, "--token", "wrong-token-0123456789"]);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/FAILED/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("exits non-zero when the endpoint is down", async () => {
    const probe = net.createServer();
    const port = await listen(probe);
    await new Promise((r) => probe.close(r));
    const r = await cli(["--http-endpoint", `http://127.0.0.1:${port}`, "--timeout-ms", "1000"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/HTTP connect\s+http:\/\/127\.0\.0\.1:\d+\s+FAIL\s+ECONNREFUSED/);
  });
});
