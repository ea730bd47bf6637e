// The local stack in a real Docker Engine (`npm run e2e:docker`): the `local` program runs under the
// Pulumi mocks, and every Docker resource it registers is created on the engine by the replay
// (test/docker/replay.ts) from exactly its recorded inputs; the program's own health wait then runs
// against the published ports. Images are built here (test/docker/images.ts): the collector and
// Prometheus are the real binaries of the pinned releases; Loki and Grafana are STAND-INS (the Loki
// double and the Grafana stand-in on Node.js) with their upstream images' users, paths and ports.
// Not proven here: the Pulumi engine and the Docker provider themselves (no Pulumi CLI exists here).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { IMAGES } from "../components/images.js";
import { collectorSpec } from "../components/collector.js";
import { GRAFANA_ENTRYPOINT_LOG_PREFIX } from "../components/grafana-entrypoint.js";
import { GRAFANA_ADMIN_PASSWORD_FILE } from "../components/grafana.js";
import { waitForHttpOk } from "../components/platform/health.js";
import { parseSettings } from "../components/settings.js";
import { buildModel, emitBurst, otlpExporters } from "../simulator/index.js";
import { USAGE_COUNTERS as C } from "../components/usage-series.js";
import { freePort, LOOPBACK } from "../lib/loopback.js";
import { dockerEngine, type Engine } from "./docker/engine.js";
import { buildImages, cannotBuildImages, IMAGE_LABEL } from "./docker/images.js";
import { DockerReplay } from "./docker/replay.js";
import { loadProgram } from "./support/program.js";
import type { MockHarness } from "./support/pulumi-mocks.js";
import { queryPrometheus, waitFor } from "./support/tools.js";
import { EXPECTED_DASHBOARD_UIDS } from "./support/expected-dashboards.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const PREFIX = `cct-e2e-${process.pid}`;
const log = (line: string) => process.stderr.write(`docker e2e: ${line}\n`);

interface Env {
  engine: Engine;
  replay: DockerReplay;
  mocks: MockHarness;
  outputs: Record<string, unknown>;
  ports: Record<string, number>;
  images: Record<string, string>;
}
let env: Env | undefined;
let engine: Engine | undefined;
let unavailable: string | undefined;

/**
 * Awaits an output, failing on a rejected registration (outputValue would wait for ever). An
 * output's knownness and secretness settle with the same error: handled here too.
 */
function settled<T>(o: pulumi.Output<T>): Promise<T> {
  const internal = o as unknown as { promise(): Promise<T>; isKnown: Promise<boolean>; isSecret: Promise<boolean> };
  for (const p of [internal.isKnown, internal.isSecret]) p.catch(() => {});
  return internal.promise();
}

function must(ctx: { skip: (note?: string) => never }): Env {
  if (unavailable !== undefined) {
    if (process.env.CI === "true") throw new Error(`no Docker Engine: ${unavailable}`);
    ctx.skip(`no Docker Engine: ${unavailable}`);
  }
  if (!env) throw new Error("the stack did not start (see beforeAll)");
  return env;
}

interface ContainerJson {
  Id: string;
  Name: string;
  Image: string;
  Config: { User: string; Image: string; Labels: Record<string, string> };
  State: { Running: boolean; Health?: { Status: string } };
  HostConfig: {
    PortBindings: Record<string, { HostIp: string; HostPort: string }[]>;
    CapDrop: string[];
    SecurityOpt: string[];
    Memory: number;
    RestartPolicy: { Name: string };
  };
}
const inspect = (e: Env, service: string) => e.engine.api<ContainerJson>("GET", `/containers/${PREFIX}-${service}/json`);

/** Mode and owner of a file inside a container, from the Engine's stat header. */
async function stat(e: Env, service: string, file: string): Promise<{ mode: number }> {
  const { socket } = e.engine;
  const http = await import("node:http");
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: socket, method: "HEAD", path: `/v1.41/containers/${PREFIX}-${service}/archive?path=${encodeURIComponent(file)}` },
      (res) => {
        res.resume();
        const header = res.headers["x-docker-container-path-stat"];
        if (res.statusCode !== 200 || typeof header !== "string") return reject(new Error(`stat ${file}: HTTP ${res.statusCode}`));
        resolve(JSON.parse(Buffer.from(header, "base64").toString("utf8")) as { mode: number });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("the local stack in a real Docker Engine (collector, Prometheus and Alertmanager real; Loki and Grafana stand-ins)", () => {
  beforeAll(async () => {
    const started = Date.now();
    unavailable = cannotBuildImages();
    if (unavailable !== undefined) return;
    const result = await dockerEngine(log);
    if ("unavailable" in result) {
      unavailable = result.unavailable;
      return;
    }
    engine = result.engine;
    try {
      const images = await buildImages(result.engine, log);
      const names = ["otlpGrpc", "otlpHttp", "collectorHealth", "prometheus", "loki", "grafana"];
      const ports = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await freePort()] as const)));
      const replay = new DockerReplay(result.engine);
      env = { engine: result.engine, replay, mocks: undefined as unknown as MockHarness, outputs: {}, ports, images };
      const program = await loadProgram("local", { namePrefix: PREFIX, docker: { ports, healthTimeoutSeconds: 120 } }, replay.providers());
      env.mocks = program.mocks;
      env.outputs = program.outputs;
      // The program's own health wait: Docker's for Prometheus and Grafana, the published health
      // ports for the collector and Loki.
      await settled(program.outputs.healthy as pulumi.Output<boolean>);
      log(`stack up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } catch (e) {
      log(`start failed: ${(e as Error).message}`);
      throw e;
    }
  }, 600_000);

  afterAll(async () => {
    try {
      await env?.replay.cleanup();
    } finally {
      await engine?.stop();
    }
  }, 120_000);

  it("runs the program's four containers from the pinned images, the health-checked ones healthy", async (ctx) => {
    const e = must(ctx);
    for (const service of ["collector", "prometheus", "loki", "grafana"] as const) {
      const c = await inspect(e, service);
      expect(c.State.Running, service).toBe(true);
      const image = await e.engine.api<{ RepoTags: string[]; Config: { Labels: Record<string, string> } }>(
        "GET",
        `/images/${encodeURIComponent(c.Image)}/json`,
      );
      expect(image.RepoTags, service).toContain(IMAGES[service]);
      expect(image.Config.Labels[IMAGE_LABEL], service).toBe(e.images[service]);
    }
    expect((await inspect(e, "prometheus")).State.Health?.Status).toBe("healthy");
    expect((await inspect(e, "grafana")).State.Health?.Status).toBe("healthy");
    expect(e.images.collector).toMatch(/^real:/);
    expect(e.images.prometheus).toMatch(/^real:/);
    expect(e.images.loki).toMatch(/^stand-in:/);
  });

  it("publishes every port on 127.0.0.1 only, drops every capability, sets no-new-privileges and the memory limits", async (ctx) => {
    const e = must(ctx);
    const memoryMiB: Record<string, number> = { collector: 640, prometheus: 4096, loki: 2048, grafana: 1024 };
    const published: Record<string, string[]> = {};
    for (const service of Object.keys(memoryMiB)) {
      const c = await inspect(e, service);
      published[service] = Object.entries(c.HostConfig.PortBindings ?? {})
        .flatMap(([port, bs]) => bs.map((b) => `${b.HostIp}:${b.HostPort}->${port}`))
        .sort();
      expect(c.HostConfig.CapDrop, service).toEqual(["ALL"]);
      expect(c.HostConfig.SecurityOpt, service).toEqual(["no-new-privileges:true"]);
      expect(c.HostConfig.Memory, service).toBe(memoryMiB[service]! * 1024 * 1024);
      expect(c.HostConfig.RestartPolicy.Name, service).toBe("unless-stopped");
    }
    const p = e.ports;
    expect(published).toEqual({
      collector: [`127.0.0.1:${p.otlpGrpc}->4317/tcp`, `127.0.0.1:${p.otlpHttp}->4318/tcp`, `127.0.0.1:${p.collectorHealth}->13133/tcp`].sort(),
      prometheus: [`127.0.0.1:${p.prometheus}->9090/tcp`],
      loki: [`127.0.0.1:${p.loki}->3100/tcp`],
      grafana: [`127.0.0.1:${p.grafana}->3000/tcp`],
    });
  });

  it("runs each service as its image's user, reading the uploaded files (mode 0444) where its image looks", async (ctx) => {
    const e = must(ctx);
    expect(
      Object.fromEntries(await Promise.all(["collector", "prometheus", "loki", "grafana"].map(async (s) => [s, (await inspect(e, s)).Config.User]))),
    ).toEqual({
      collector: "10001",
      prometheus: "nobody",
      loki: "10001",
      grafana: "472",
    });
    expect((await stat(e, "collector", "/etc/otelcol-contrib/config.yaml")).mode & 0o777).toBe(0o444);
    expect((await stat(e, "prometheus", "/etc/prometheus/rules/claude-code.rules.yml")).mode & 0o777).toBe(0o444);
    // Prometheus loaded the uploaded config and rules.
    const prom = `http://${LOOPBACK}:${e.ports.prometheus}`;
    const rules = (await (await fetch(`${prom}/api/v1/rules`)).json()) as { data: { groups: { name: string }[] } };
    expect(rules.data.groups.map((g) => g.name)).toEqual(
      expect.arrayContaining(["claude_code_last_sample", "claude_code_usage_rollup", "claude_code_pipeline"]),
    );
    const config = (await (await fetch(`${prom}/api/v1/status/config`)).json()) as { data: { yaml: string } };
    expect(config.data.yaml).toContain(`telemetry_stack: local`);
    // Grafana (stand-in) read the provisioning and the admin password file.
    const password = String(await settled(e.outputs.grafanaAdminPassword as pulumi.Output<string>));
    const auth = { authorization: `Basic ${Buffer.from(`admin:${password}`).toString("base64")}` };
    const search = (await (await fetch(`http://${LOOPBACK}:${e.ports.grafana}/api/search`, { headers: auth })).json()) as { uid: string }[];
    expect(search.map((d) => d.uid).sort()).toEqual([...EXPECTED_DASHBOARD_UIDS]);
    expect((await fetch(`http://${LOOPBACK}:${e.ports.grafana}/api/search`, { headers: { authorization: "Basic YWRtaW46YWRtaW4=" } })).status).toBe(401);
  });

  it("finds each other by their aliases: Prometheus scrapes the collector, Loki, Grafana and Alertmanager by name", async (ctx) => {
    const e = must(ctx);
    const prom = `http://${LOOPBACK}:${e.ports.prometheus}`;
    const up = await waitFor(
      async () => {
        const r = await queryPrometheus(prom, "up");
        const byJob = Object.fromEntries(r.map((s) => [s.metric.job, Number(s.value?.[1])]));
        return ["otel-collector", "loki", "grafana", "alertmanager", "prometheus"].every((j) => byJob[j] === 1) ? byJob : undefined;
      },
      90_000,
      2000,
    );
    expect(up).toEqual({ "otel-collector": 1, loki: 1, grafana: 1, alertmanager: 1, prometheus: 1 });
    // Prometheus delivers to the Alertmanager container by its alias.
    const am = (await (await fetch(`${prom}/api/v1/alertmanagers`)).json()) as { data: { activeAlertmanagers: { url: string }[] } };
    expect(am.data.activeAlertmanagers.map((a) => a.url)).toEqual(["http://alertmanager:9093/api/v2/alerts"]);
  }, 100_000);

  it("takes simulated telemetry on the published OTLP ports (gRPC and HTTP) into Prometheus and Loki", async (ctx) => {
    const e = must(ctx);
    const run = `docker-${process.pid}`;
    const model = buildModel({ seed: 21, users: 3, sessions: 4, durationMs: 60_000, marker: run });
    const half = (i: number) => ({ ...model, sessions: model.sessions.filter((s) => s.index % 2 === i) });
    const [g, h] = await Promise.all([
      emitBurst(half(0), otlpExporters({ endpoint: `http://${LOOPBACK}:${e.ports.otlpGrpc}`, protocol: "grpc", temporality: "delta" })),
      emitBurst(half(1), otlpExporters({ endpoint: `http://${LOOPBACK}:${e.ports.otlpHttp}`, protocol: "http/protobuf", temporality: "delta" })),
    ]);
    expect(g.exportErrors + h.exportErrors, g.lastError ?? h.lastError).toBe(0);
    const prom = `http://${LOOPBACK}:${e.ports.prometheus}`;
    const sessions = await waitFor(
      async () => {
        const v = Number((await queryPrometheus(prom, `sum(sum_over_time(${C.sessions.series}{simulation_run="${run}"}[10m]))`))[0]?.value?.[1]);
        return v === model.sessions.length ? v : undefined;
      },
      60_000,
      1000,
    );
    expect(sessions).toBe(4);
    const loki = `http://${LOOPBACK}:${e.ports.loki}`;
    const params = new URLSearchParams({ query: `{service_name=~".+"} | simulation_run="${run}"`, limit: "5000" });
    const lines = await waitFor(
      async () => {
        const body = (await (await fetch(`${loki}/loki/api/v1/query_range?${params}`)).json()) as { data: { result: { values: unknown[] }[] } };
        const n = body.data.result.reduce((a, r) => a + r.values.length, 0);
        return n === g.events + h.events ? n : undefined;
      },
      60_000,
      1000,
    );
    expect(lines).toBe(g.events + h.events);
  }, 120_000);

  it("passes `npm run verify` against the published ports", async (ctx) => {
    const e = must(ctx);
    const dir = mkdtempSync(path.join(tmpdir(), "docker-verify-"));
    try {
      const outputs: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(e.outputs)) outputs[k] = pulumi.Output.isInstance(v) ? await settled(v as pulumi.Output<unknown>) : v;
      writeFileSync(path.join(dir, "outputs.json"), JSON.stringify(outputs));
      writeFileSync(path.join(dir, "pulumi"), `#!/bin/sh\n[ "$1 $2" = "stack output" ] || exit 3\ncat "${path.join(dir, "outputs.json")}"\n`);
      chmodSync(path.join(dir, "pulumi"), 0o755);
      const out = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
        const child = spawn(
          path.join(ROOT, "node_modules", ".bin", "tsx"),
          [path.join(ROOT, "scripts", "verify.ts"), "--stack", "local", "--loki-url", `http://${LOOPBACK}:${e.ports.loki}`, "--timeout", "4m"],
          {
            cwd: ROOT,
            env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, GRAFANA_ADMIN_PASSWORD: "" },
            stdio: ["ignore", "pipe", "pipe"],
          },
        );
        let text = "";
        child.stdout.on("data", (c: Buffer) => (text += c.toString("utf8")));
        child.stderr.on("data", (c: Buffer) => (text += c.toString("utf8")));
        const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
        child.once("error", reject);
        child.once("close", (code) => {
          clearTimeout(timer);
          resolve({ code, text });
        });
      });
      log(`verify:\n${out.text}`);
      expect(out.code, out.text).toBe(0);
      expect(out.text).toMatch(/^Prometheus: the dashboards' series count the run\s+PASS/m);
      expect(out.text).toMatch(/^Loki: events of the run\s+PASS/m);
      expect(out.text).toMatch(/^Grafana datasources provisioned\s+PASS/m);
      expect(out.text).not.toContain(String(outputs.grafanaAdminPassword));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 320_000);

  it("keeps Prometheus' data when its container is removed and re-created on the same volume", async (ctx) => {
    const e = must(ctx);
    const prom = `http://${LOOPBACK}:${e.ports.prometheus}`;
    // Every session stored so far, as of now: the same query at the same time after the re-creation.
    const at = Date.now();
    const stored = `sum(sum_over_time(${C.sessions.series}[1h]))`;
    const before = Number((await queryPrometheus(prom, stored, at))[0]?.value?.[1]);
    expect(before).toBeGreaterThan(0);
    const old = await inspect(e, "prometheus");
    await e.replay.removeContainer(old.Id);
    const inputs = e.replay.recorded.get(`${PREFIX}-prometheus`);
    expect(inputs).toBeDefined();
    await e.replay.container(inputs as Record<string, unknown>); // waits until Docker reports it healthy
    expect((await inspect(e, "prometheus")).Id).not.toBe(old.Id);
    const after = Number((await queryPrometheus(prom, stored, at))[0]?.value?.[1]);
    expect(after).toBe(before);
  }, 180_000);

  // Grafana is a STAND-IN here (no Grafana build exists on this machine) that mimics Grafana's
  // documented rule and layout: the admin password from GF_SECURITY_ADMIN_PASSWORD(__FILE) counts
  // only when $GF_PATHS_DATA/grafana.db is created, the image's /run.sh starts `grafana server`, and
  // `grafana cli admin reset-admin-password` changes the stored one (test/docker/stand-ins/). The
  // cases run in order on the stack's own Grafana volume, as a volume that outlived `pulumi destroy`.
  describe("Grafana's admin password on a volume that holds an older one (Grafana stand-in with its first-start rule)", () => {
    const OLD = randomBytes(12).toString("base64url");
    let started = 0;
    const login = async (port: number, password: string) =>
      (await fetch(`http://${LOOPBACK}:${port}/api/user`, { headers: { authorization: `Basic ${Buffer.from(`admin:${password}`).toString("base64")}` } }))
        .status;
    const stackPassword = async (e: Env) => String(await settled(e.outputs.grafanaAdminPassword as pulumi.Output<string>));
    const recorded = (e: Env) => structuredClone(e.replay.recorded.get(`${PREFIX}-grafana`)) as Record<string, any>;
    const passwordUpload = (inputs: Record<string, any>) =>
      (inputs.uploads as { file: string; content: string; permissions: string }[]).find((u) => u.file === GRAFANA_ADMIN_PASSWORD_FILE)!;

    /** A Grafana container from the recorded inputs, changed by `change`, on its own port and alias, the stack's volume. */
    async function variant(
      e: Env,
      suffix: string,
      change: (inputs: Record<string, any>) => void,
    ): Promise<{ port: number; id: string; logs: () => Promise<string> }> {
      const inputs = recorded(e);
      const port = await freePort();
      inputs.name = `${PREFIX}-${suffix}`;
      inputs.ports = [{ internal: 3000, external: port, ip: LOOPBACK, protocol: "tcp" }];
      inputs.networksAdvanced = [{ name: inputs.networksAdvanced[0].name, aliases: [suffix] }];
      inputs.wait = false; // waited for on its published port below, sooner than Docker's health interval
      change(inputs);
      const { id } = await e.replay.container(inputs);
      await waitForHttpOk(`http://${LOOPBACK}:${port}/api/health`, { timeoutMs: 30_000, intervalMs: 250 });
      return { port, id, logs: () => e.replay.logs(id) };
    }
    /** The start-up script's lines (from its prefix on: the log stream's frame headers are stripped only roughly). */
    const resetLines = (logs: string) =>
      logs.split("\n").flatMap((l) => (l.includes(GRAFANA_ENTRYPOINT_LOG_PREFIX) ? [l.slice(l.indexOf(GRAFANA_ENTRYPOINT_LOG_PREFIX)).trimEnd()] : []));

    it("precondition: a Grafana that first starts on the volume with another password keeps that one (Grafana's rule)", async (ctx) => {
      const e = must(ctx);
      started = Date.now();
      await e.replay.removeContainer((await inspect(e, "grafana")).Id);
      // An earlier stack: its own password, and a Grafana that had never started on this volume.
      const previous = await variant(e, "grafana-previous", (i) => {
        passwordUpload(i).content = OLD;
        i.entrypoints = ["/bin/sh", "-c", 'busybox rm -f "$GF_PATHS_DATA/grafana.db" && exec /run.sh'];
      });
      expect(await login(previous.port, OLD)).toBe(200);
      expect(await login(previous.port, await stackPassword(e))).toBe(401);
      await e.replay.removeContainer(previous.id);
    }, 60_000);

    it("control: without the start-up reset (the image's own entrypoint), the stack output's password is refused on that volume", async (ctx) => {
      const e = must(ctx);
      const control = await variant(e, "grafana-control", (i) => void delete i.entrypoints);
      expect(await login(control.port, await stackPassword(e))).toBe(401);
      expect(await login(control.port, OLD)).toBe(200);
      expect(resetLines(await control.logs())).toEqual([]);
      await e.replay.removeContainer(control.id);
    }, 60_000);

    it("still starts when the reset fails (secret file unreadable), keeping the stored password and saying so on one log line", async (ctx) => {
      const e = must(ctx);
      const broken = await variant(e, "grafana-unreadable", (i) => void (passwordUpload(i).permissions = "0400"));
      expect(await login(broken.port, OLD)).toBe(200);
      expect(await login(broken.port, await stackPassword(e))).toBe(401);
      const logs = await broken.logs();
      const lines = resetLines(logs);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /WARNING: the Grafana admin password could not be reset from \/etc\/grafana\/secrets\/admin-password \(the file is not readable by this container's user\).*restart this container/,
      );
      expect(logs).not.toContain(OLD);
      await e.replay.removeContainer(broken.id);
    }, 60_000);

    it("re-created from the program's recorded inputs on that volume, Grafana logs in with the stack output's password and refuses the old one", async (ctx) => {
      const e = must(ctx);
      const at = Date.now();
      const inputs = e.replay.recorded.get(`${PREFIX}-grafana`);
      expect(inputs?.entrypoints?.[0]).toBe("/bin/sh");
      await e.replay.container(inputs as Record<string, unknown>); // waits until Docker reports it healthy
      log(
        `Grafana re-created and healthy in ${((Date.now() - at) / 1000).toFixed(1)} s; the password cases took ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      const password = await stackPassword(e);
      expect(await login(e.ports.grafana!, password)).toBe(200);
      expect(await login(e.ports.grafana!, OLD)).toBe(401);
      const logs = await e.replay.logs((await inspect(e, "grafana")).Id);
      expect(resetLines(logs)).toEqual([
        `${GRAFANA_ENTRYPOINT_LOG_PREFIX} Grafana admin password set from ${GRAFANA_ADMIN_PASSWORD_FILE} (the stack output grafanaAdminPassword)`,
      ]);
      expect(logs).not.toContain(password);
    }, 120_000);
  });

  describe("a broken collector is caught", () => {
    /** Starts a collector container beside the stack from the program's recorded inputs, changed by `change`. */
    async function variant(e: Env, suffix: string, change: (inputs: Record<string, any>) => void): Promise<{ healthPort: number; id: () => Promise<string> }> {
      const base = structuredClone(e.replay.recorded.get(`${PREFIX}-collector`)) as Record<string, any>;
      const healthPort = await freePort();
      base.name = `${PREFIX}-${suffix}`;
      base.ports = [{ internal: 13133, external: healthPort, ip: LOOPBACK, protocol: "tcp" }];
      base.networksAdvanced = [{ name: base.networksAdvanced[0].name, aliases: [suffix] }];
      change(base);
      await e.replay.container(base);
      return { healthPort, id: async () => (await inspect(e, suffix)).Id };
    }
    const health = (port: number) => waitForHttpOk(`http://${LOOPBACK}:${port}/`, { timeoutMs: 15_000, intervalMs: 1000 });

    it("the unchanged collector answers its health check (the baseline of the cases below)", async (ctx) => {
      const e = must(ctx);
      const v = await variant(e, "collector-baseline", () => {});
      await expect(health(v.healthPort)).resolves.toBeUndefined();
    }, 60_000);

    const BREAKS: Array<[string, (i: Record<string, any>) => void]> = [
      ["its config uploaded where the image does not read it", (i) => void (i.uploads[0].file = "/etc/otelcol/config.yaml")],
      ["its config readable by root only (mode 0400), not by the image's user", (i) => void (i.uploads[0].permissions = "0400")],
      ["its health port published from a container port the config does not listen on", (i) => void (i.ports[0].internal = 13134)],
    ];
    // Concurrent: each waits out the 15 s health timeout.
    it.concurrent.for(BREAKS)("fails the health wait with %s", { timeout: 60_000 }, async ([, change], ctx) => {
      const e = must(ctx);
      const v = await variant(e, `collector-${Math.random().toString(36).slice(2, 8)}`, change);
      await ctx.expect(health(v.healthPort)).rejects.toThrow(/was not healthy within 15 s/);
    });

    it("the program's health wait names the service and points at its logs when the collector config has an error", async (ctx) => {
      must(ctx);
      const { DockerPlatform } = await import("../components/platform/docker.js");
      const prefix = `${PREFIX}-broken`;
      const settings = parseSettings(
        {
          target: "docker",
          namePrefix: prefix,
          docker: {
            ports: {
              otlpGrpc: await freePort(),
              otlpHttp: await freePort(),
              collectorHealth: await freePort(),
              prometheus: await freePort(),
              loki: await freePort(),
              grafana: await freePort(),
            },
            healthTimeoutSeconds: 15,
          },
        },
        "local",
      );
      const parent = new pulumi.ComponentResource("test:index:Broken", prefix);
      const platform = new DockerPlatform(settings, parent);
      const broken = stringify({
        receivers: { otlp: { protocols: { grpc: { endpoint: "0.0.0.0:4317" } } } },
        exporters: { nope: {} },
        service: { pipelines: { metrics: { receivers: ["otlp"], exporters: ["nope"] } } },
      });
      const deployed = platform.deploy(collectorSpec({ settings, config: broken, configHash: "broken" }), parent);
      await expect(settled(deployed.ready)).rejects.toThrow(new RegExp(`collector did not become healthy: .*See: docker logs ${prefix}-collector`));
    }, 90_000);
  });

  it("removes everything it created, the volumes too", async (ctx) => {
    const e = must(ctx);
    await e.replay.cleanup();
    const left = (await e.engine.api<{ Names: string[] }[]>("GET", "/containers/json?all=1")).flatMap((c) => c.Names).filter((n) => n.includes(PREFIX));
    expect(left).toEqual([]);
    const volumes = (await e.engine.api<{ Volumes: { Name: string }[] | null }>("GET", "/volumes")).Volumes ?? [];
    expect(volumes.map((v) => v.Name).filter((n) => n.startsWith(PREFIX))).toEqual([]);
    const networks = await e.engine.api<{ Name: string }[]>("GET", "/networks");
    expect(networks.map((n) => n.Name).filter((n) => n.startsWith(PREFIX))).toEqual([]);
  }, 120_000);
});
