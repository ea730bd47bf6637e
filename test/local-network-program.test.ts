// The local program published beyond loopback (docker.bindAddress 0.0.0.0, acknowledged) under
// Pulumi mocks: only the client-facing ports leave loopback, the OTLP receivers require the stack's
// bearer token, and the generated settings carry it, as secrets. The token is proven on the real
// collector in collector-run.test.ts.
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { isSecretOutput, outputValue, type MockHarness } from "./support/pulumi-mocks.js";
import { loadProgram } from "./support/program.js";
import { evaluate } from "../policies/rules.js";
import { NETWORK_EXPOSURE_LABEL } from "../components/platform/docker-names.js";
import { INGEST_TOKEN_ENV } from "../components/collector.js";

let mocks: MockHarness;
let program: Record<string, any>;

beforeAll(async () => {
  ({ mocks, outputs: program } = await loadProgram("local", {
    docker: { waitForHealthy: false, bindAddress: "0.0.0.0", networkExposureAcknowledged: true, advertisedHost: "telemetry.internal" },
  }));
});

const containers = () => mocks.ofType("docker:index/container:Container");
const container = (service: string) => containers().find((c) => c.inputs.name === `claude-telemetry-${service}`)!;

describe("local program published on the network", () => {
  it("publishes the OTLP receivers, the collector's health and Grafana on the bind address, Prometheus, Loki and Alertmanager on loopback", () => {
    const published = Object.fromEntries(
      containers().map((c) => [c.inputs.name.replace("claude-telemetry-", ""), (c.inputs.ports ?? []).map((p: any) => `${p.ip}:${p.external}`).sort()]),
    );
    expect(published).toEqual({
      collector: ["0.0.0.0:13133", "0.0.0.0:4317", "0.0.0.0:4318"],
      grafana: ["0.0.0.0:3000"],
      prometheus: ["127.0.0.1:9090"],
      loki: ["127.0.0.1:3100"],
      alertmanager: ["127.0.0.1:9093"],
    });
  });

  it("labels the containers that leave loopback, so the policy pack lets them pass, and only those", () => {
    const labelled = containers()
      .filter((c) => c.inputs.labels.some((l: any) => l.label === NETWORK_EXPOSURE_LABEL))
      .map((c) => c.inputs.name);
    expect(labelled.sort()).toEqual(["claude-telemetry-collector", "claude-telemetry-grafana"]);
    expect(evaluate(mocks.resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs })))).toEqual([]);
    // Without the label (an exposure nobody acknowledged) the pack refuses the same container.
    const grafana = container("grafana");
    const unlabelled = {
      type: grafana.type,
      name: grafana.name,
      props: { ...grafana.inputs, labels: grafana.inputs.labels.filter((l: any) => l.label !== NETWORK_EXPOSURE_LABEL) },
    };
    expect(evaluate([unlabelled])).toEqual([
      expect.stringMatching(
        new RegExp(`^docker-ports-on-loopback: ${grafana.type} ${grafana.name}: port 3000 is published on 0\\.0\\.0\\.0, not on loopback\\. Fix: `),
      ),
    ]);
  });

  it("requires the ingest token on both OTLP receivers, given to the collector as a secret", async () => {
    const c = container("collector");
    const config = parse(c.inputs.uploads[0].content) as { receivers: { otlp: { protocols: Record<string, { auth?: { authenticator: string } }> } } };
    expect(config.receivers.otlp.protocols.grpc?.auth?.authenticator).toMatch(/^bearertokenauth/);
    expect(config.receivers.otlp.protocols.http?.auth?.authenticator).toMatch(/^bearertokenauth/);
    const token = await outputValue<string>(program.ingestToken);
    expect(token).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(await isSecretOutput(program.ingestToken)).toBe(true);
    // Compared as a boolean: a failure must not print the token.
    expect(c.inputs.envs.includes(`${INGEST_TOKEN_ENV}=${token}`)).toBe(true);
    expect(mocks.isSecretInput(c, "envs")).toBe(true);
  });

  it("hands developers the advertised host and the token, in secret outputs", async () => {
    const token = await outputValue<string>(program.ingestToken);
    const env = await outputValue<Record<string, string>>(program.clientEnv);
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe("http://telemetry.internal:4317");
    expect(env.OTEL_EXPORTER_OTLP_HEADERS === `Authorization=Bearer ${token}`).toBe(true);
    expect(await isSecretOutput(program.clientEnv)).toBe(true);
    expect(await isSecretOutput(program.managedSettings)).toBe(true);
    expect(await outputValue(program.grafanaUrl)).toBe("http://telemetry.internal:3000");
    expect(await outputValue(program.prometheusUrl)).toBe("http://127.0.0.1:9090");
    expect(program.rolloutGuide).toContain("Authentication: bearer token");
    expect(program.rolloutGuide).not.toContain(token);
  });
});
