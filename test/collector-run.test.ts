// The real collector (otelcol of the pinned release) running the configs the stack renders:
// it starts cleanly, refuses a broken config, enforces the ingest token with the real
// bearertokenauth over gRPC and HTTP (rotation included), and exposes every self-metric the pipeline
// dashboard and the alert rules query under exactly the name they use. Its backends here are a stub
// that the test makes accept, reject or hang (test/support/stub-backend.ts); the data path into the
// real Prometheus is in collector-pipeline.test.ts.
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { COLLECTOR_METRICS } from "../components/collector-telemetry.js";
import { INGEST_TOKEN_ENV, PREVIOUS_INGEST_TOKEN_ENV } from "../components/collector.js";
import { alertingGroups } from "../components/rules-file.js";
import { parseSettings } from "../components/settings.js";
import { allDashboards } from "../dashboards/index.js";
import { panelQueries } from "../dashboards/panel-queries.js";
import { buildModel, emitBurst, otlpExporters } from "../simulator/index.js";
import { runChecks } from "../lib/otlp-check.js";
import { renderClientBundle } from "../components/claude/client-bundle.js";
import { collectorMetrics, renderedCollectorConfig, startCollector, type RunningCollector } from "./support/collector.js";
import { startStubBackend, type StubBackend } from "./support/stub-backend.js";
import { describeWithTools, waitFor } from "./support/tools.js";

const LOCAL = parseSettings({ target: "docker" }, "collector-run");
const k8s = { otlpHost: "otel.example.test", clusterIssuer: "test" };
const LOCAL_NETWORK = parseSettings(
  { target: "docker", docker: { bindAddress: "0.0.0.0", networkExposureAcknowledged: true, advertisedHost: "telemetry.internal" } },
  "collector-run",
);
const ROTATING = parseSettings({ target: "kubernetes", kubernetes: { ...k8s, ingestTokenGeneration: 2, acceptPreviousToken: true } }, "collector-run");
const TOKENS = { current: "current-token-5b1f0e", previous: "previous-token-9c2d7a", wrong: "wrong-token-000000" };

/** A few sessions over OTLP/HTTP: several metric exports and event batches. */
async function sendSomething(collector: RunningCollector, sessions = 4, token?: string): Promise<void> {
  const model = buildModel({ seed: 5, users: 2, sessions, durationMs: 60_000 });
  await emitBurst(model, otlpExporters({ endpoint: collector.httpEndpoint, protocol: "http/protobuf", temporality: "delta", token }));
}

/** HTTP status of an empty OTLP/HTTP export. */
const httpStatus = async (collector: RunningCollector, path: string, token?: string) =>
  (
    await fetch(`${collector.httpEndpoint}${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: new Uint8Array(0),
    })
  ).status;

/** gRPC status code of an empty Export call (0 = OK, 16 = UNAUTHENTICATED). */
const grpcStatus = (collector: RunningCollector, path: string, token?: string) =>
  new Promise<number>((resolve) => {
    const client = new grpc.Client(collector.grpcEndpoint.replace(/^http:\/\//, ""), grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    if (token) md.set("authorization", `Bearer ${token}`);
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      md,
      { deadline: Date.now() + 5000 },
      (err) => {
        client.close();
        resolve(err ? (err.code ?? -1) : 0);
      },
    );
  });

const OTLP_GRPC_PATHS = ["/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", "/opentelemetry.proto.collector.logs.v1.LogsService/Export"];

const value = async (c: RunningCollector, name: string) => (await collectorMetrics(c)).get(name);

describeWithTools(["otelcol"], "the real collector running the rendered config (its backends: a stub that accepts, rejects or hangs)", () => {
  let stub: StubBackend;
  beforeAll(async () => {
    stub = await startStubBackend();
  });
  afterAll(async () => {
    await stub?.stop();
  });

  it("starts with the local config: the health check answers, and the log has no warning or deprecation", async () => {
    const collector = await startCollector({ config: renderedCollectorConfig(LOCAL, { prometheus: stub.url, loki: stub.url }) });
    try {
      const res = await fetch(collector.healthUrl);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { status: string }).status).toBe("Server available");
      const log = collector.logs();
      expect(log).toMatch(/Everything is ready/);
      const noisy = log.split("\n").filter((l) => /\t(warn|error)\t/.test(l) || /deprecated|please rewrite/i.test(l));
      expect(noisy).toEqual([]);
    } finally {
      await collector.stop();
    }
  });

  it("exits with an error naming the problem when the config is broken", async () => {
    const config = parse(renderedCollectorConfig(LOCAL, { prometheus: stub.url, loki: stub.url })) as Record<string, any>;
    config.service.pipelines.metrics.processors.push("filter/unknown");
    const started = Date.now();
    const failure = await startCollector({ config: stringify(config) }).then(
      async (c) => {
        await c.stop();
        return "started";
      },
      (e: Error) => e.message,
    );
    expect(failure).toMatch(/^otelcol exited \(exit code 1\)/);
    expect(failure).toMatch(/filter\/unknown/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("never accepts a request when the token variables are empty: one token refuses to start, two refuse every request", async () => {
    const ENTERPRISE = parseSettings({ target: "kubernetes", kubernetes: k8s }, "collector-run");
    const single = await startCollector({
      config: renderedCollectorConfig(ENTERPRISE, { prometheus: stub.url, loki: stub.url }),
      env: { [INGEST_TOKEN_ENV]: "" },
    }).then(
      async (c) => {
        await c.stop();
        return "started";
      },
      (e: Error) => e.message,
    );
    expect(single).toMatch(/^otelcol exited \(exit code 1\)/);
    expect(single).toMatch(/bearertokenauth: no bearer token provided/);

    // The list form validates with empty entries; it fails closed.
    const rotating = await startCollector({
      config: renderedCollectorConfig(ROTATING, { prometheus: stub.url, loki: stub.url }),
      env: { [INGEST_TOKEN_ENV]: "", [PREVIOUS_INGEST_TOKEN_ENV]: "" },
    });
    try {
      for (const authorization of [undefined, "Bearer ", "Bearer", ""]) {
        const res = await fetch(`${rotating.httpEndpoint}/v1/metrics`, {
          method: "POST",
          headers: { "content-type": "application/x-protobuf", ...(authorization === undefined ? {} : { authorization }) },
          body: new Uint8Array(0),
        });
        expect(res.status, `authorization ${JSON.stringify(authorization)}`).toBe(401);
      }
    } finally {
      await rotating.stop();
    }
  });

  describe("the local stack published on the network: the real bearertokenauth with the token of its generated settings", () => {
    let collector: RunningCollector;
    const token = "local-network-token-7e3a9c";
    beforeAll(async () => {
      collector = await startCollector({
        config: renderedCollectorConfig(LOCAL_NETWORK, { prometheus: stub.url, loki: stub.url }),
        env: { [INGEST_TOKEN_ENV]: token },
      });
    });
    afterAll(async () => {
      await collector?.stop();
    });

    it("refuses OTLP without the token over HTTP and gRPC, and accepts the header developers are given", async () => {
      const header = renderClientBundle(LOCAL_NETWORK, token).env.OTEL_EXPORTER_OTLP_HEADERS;
      const given = /^Authorization=Bearer (.+)$/.exec(header ?? "")?.[1];
      expect(given === token, "the generated settings carry the stack's token").toBe(true);
      for (const path of ["/v1/metrics", "/v1/logs"]) {
        expect(await httpStatus(collector, path)).toBe(401);
        expect(await httpStatus(collector, path, given)).toBe(200);
      }
      for (const path of OTLP_GRPC_PATHS) {
        expect(await grpcStatus(collector, path)).toBe(grpc.status.UNAUTHENTICATED);
        expect(await grpcStatus(collector, path, given)).toBe(grpc.status.OK);
      }
    });
  });

  describe("enterprise ingest: the real bearertokenauth during a token rotation", () => {
    let collector: RunningCollector;
    beforeAll(async () => {
      collector = await startCollector({
        config: renderedCollectorConfig(ROTATING, { prometheus: stub.url, loki: stub.url }),
        env: { [INGEST_TOKEN_ENV]: TOKENS.current, [PREVIOUS_INGEST_TOKEN_ENV]: TOKENS.previous },
      });
    });
    afterAll(async () => {
      await collector?.stop();
    });

    it.each([["/v1/metrics"], ["/v1/logs"]])("HTTP %s: no token and a wrong token get 401, the current and the previous token 200", async (path) => {
      expect(await httpStatus(collector, path)).toBe(401);
      expect(await httpStatus(collector, path, TOKENS.wrong)).toBe(401);
      expect(await httpStatus(collector, path, TOKENS.current)).toBe(200);
      expect(await httpStatus(collector, path, TOKENS.previous)).toBe(200);
    });

    it.each(OTLP_GRPC_PATHS.map((p) => [p]))("gRPC %s: no token and a wrong token get UNAUTHENTICATED, the current and the previous token OK", async (path) => {
      expect(await grpcStatus(collector, path)).toBe(grpc.status.UNAUTHENTICATED);
      expect(await grpcStatus(collector, path, TOKENS.wrong)).toBe(grpc.status.UNAUTHENTICATED);
      expect(await grpcStatus(collector, path, TOKENS.current)).toBe(grpc.status.OK);
      expect(await grpcStatus(collector, path, TOKENS.previous)).toBe(grpc.status.OK);
    });

    it("takes in the data sent with a valid token, and none of the data sent without one", async () => {
      const before = (await value(collector, COLLECTOR_METRICS.acceptedMetricPoints)) ?? 0;
      await sendSomething(collector, 2, TOKENS.wrong);
      expect((await value(collector, COLLECTOR_METRICS.acceptedMetricPoints)) ?? 0).toBe(before);
      await sendSomething(collector, 2, TOKENS.previous);
      expect((await value(collector, COLLECTOR_METRICS.acceptedMetricPoints)) ?? 0).toBeGreaterThan(before);
    });

    it("passes `npm run check-endpoint`'s checks, which tell a refused request from an accepted one", async () => {
      const results = await runChecks({ httpEndpoint: collector.httpEndpoint, grpcEndpoint: collector.grpcEndpoint, token: TOKENS.current });
      const failed = results.filter((r) => r.verdict === "FAIL");
      expect(failed, JSON.stringify(failed)).toEqual([]);
      expect(results.filter((r) => r.verdict === "PASS").length).toBeGreaterThanOrEqual(6);
    });
  });

  describe("self-metrics the dashboards and the alert rules read", () => {
    it("are every otelcol_* name the pipeline dashboard and the rules query (one catalog for both)", () => {
      const queried = new Set<string>();
      const exprs = [...panelQueries(allDashboards()).map((q) => q.expr), ...alertingGroups().flatMap((g) => g.rules.map((r) => r.expr))];
      for (const e of exprs) for (const m of e.matchAll(/\botelcol_[a-z_]+/g)) queried.add(m[0]);
      expect([...queried].sort()).toEqual(Object.values(COLLECTOR_METRICS).sort());
    });

    it("exist under exactly those names in the real collector's telemetry: sent, send-failed and dropped on a full queue", async () => {
      // One batch per request and a queue of one batch with one consumer, so that a backend that
      // never answers fills it at once: merged over the rendered file, which stays as it is.
      const oneBatchQueue = stringify({
        processors: { batch: { send_batch_size: 1 } },
        exporters: {
          prometheus_remote_write: { remote_write_queue: { queue_size: 1 } },
          "otlp_http/loki": { sending_queue: { queue_size: 1, num_consumers: 1 } },
        },
      });
      const backend = await startStubBackend("accept");
      const collector = await startCollector({
        config: renderedCollectorConfig(LOCAL, { prometheus: backend.url, loki: backend.url }),
        overrides: [oneBatchQueue],
      });
      try {
        const has = (names: string[]) => async () => {
          const m = await collectorMetrics(collector);
          return names.every((n) => (m.get(n) ?? 0) > 0) ? m : undefined;
        };
        await sendSomething(collector);
        await waitFor(
          has([
            COLLECTOR_METRICS.acceptedMetricPoints,
            COLLECTOR_METRICS.acceptedLogRecords,
            COLLECTOR_METRICS.sentMetricPoints,
            COLLECTOR_METRICS.sentLogRecords,
          ]),
          20_000,
        );

        backend.setMode("reject");
        await sendSomething(collector);
        await waitFor(has([COLLECTOR_METRICS.sendFailedMetricPoints, COLLECTOR_METRICS.sendFailedLogRecords]), 20_000);

        backend.setMode("hang");
        await sendSomething(collector, 8);
        const m = await waitFor(has([COLLECTOR_METRICS.enqueueFailedMetricPoints, COLLECTOR_METRICS.enqueueFailedLogRecords]), 30_000);

        const missing = Object.values(COLLECTOR_METRICS).filter((n) => !m.has(n));
        expect(missing).toEqual([]);
        // The queue gauges describe both exporters.
        expect(m.get(COLLECTOR_METRICS.queueCapacity)).toBe(2);
      } finally {
        await collector.stop();
        await backend.stop();
      }
    });
  });
});
