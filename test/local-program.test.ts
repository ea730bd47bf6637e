// The whole program under Pulumi mocks with the committed Pulumi.local.yaml: every resource's inputs
// are recorded and checked, as `pulumi preview` would create them.
import { beforeAll, describe, expect, it } from "vitest";
import { outputValue, isSecretOutput, stringLeaves, type MockHarness } from "./support/pulumi-mocks.js";
import { loadProgram } from "./support/program.js";
import { parseSettings } from "../components/settings.js";
import { IMAGES } from "../components/images.js";
import { renderStackFiles } from "../components/render-files.js";

let mocks: MockHarness;
let program: Record<string, any>;
let raw: Record<string, unknown>;

beforeAll(async () => {
  // No Docker here: the health wait is tested on its own (health.test.ts).
  ({ mocks, outputs: program, raw } = await loadProgram("local", { docker: { waitForHealthy: false } }));
});

const containers = () => mocks.ofType("docker:index/container:Container");

describe("local program (Docker)", () => {
  it("creates the five services, each as a component holding its container", () => {
    const services = mocks.resources.filter((r) => r.type.startsWith("claude-code-telemetry:service:")).map((r) => r.type.split(":")[2]);
    expect(services.sort()).toEqual(["Alertmanager", "Collector", "Grafana", "Loki", "Prometheus"]);
    expect(
      containers()
        .map((c) => c.inputs.name)
        .sort(),
    ).toEqual([
      "claude-telemetry-alertmanager",
      "claude-telemetry-collector",
      "claude-telemetry-grafana",
      "claude-telemetry-loki",
      "claude-telemetry-prometheus",
    ]);
    for (const c of containers()) expect(mocks.parentOf(c)?.type).toMatch(/^claude-code-telemetry:service:/);
  });

  it("pulls exactly the pinned images, never latest", () => {
    const images = mocks
      .ofType("docker:index/remoteImage:RemoteImage")
      .map((i) => i.inputs.name)
      .sort();
    expect(images).toEqual(Object.values(IMAGES).sort());
    for (const i of images) expect(i).not.toMatch(/:latest$|^[^:]+$/);
  });

  it("keeps Prometheus, Loki, Grafana and Alertmanager data on named volumes that survive a destroy", () => {
    const volumes = mocks
      .ofType("docker:index/volume:Volume")
      .map((v) => v.inputs.name)
      .sort();
    expect(volumes).toEqual([
      "claude-telemetry-alertmanager-data",
      "claude-telemetry-grafana-data",
      "claude-telemetry-loki-data",
      "claude-telemetry-prometheus-data",
    ]);
    const mounts = Object.fromEntries(containers().map((c) => [c.inputs.name, (c.inputs.volumes ?? []).map((v: any) => v.containerPath)]));
    expect(mounts).toEqual({
      "claude-telemetry-collector": [],
      "claude-telemetry-prometheus": ["/prometheus"],
      "claude-telemetry-loki": ["/loki"],
      "claude-telemetry-grafana": ["/var/lib/grafana"],
      "claude-telemetry-alertmanager": ["/alertmanager"],
    });
  });

  it("publishes every port on 127.0.0.1 only", () => {
    const published = containers().flatMap((c) => c.inputs.ports ?? []);
    expect(published.map((p: any) => p.external).sort((a: number, b: number) => a - b)).toEqual([3000, 3100, 4317, 4318, 9090, 9093, 13133]);
    for (const p of published) expect(p.ip).toBe("127.0.0.1");
  });

  it("puts every container on the stack's network under its service name, with a restart policy", () => {
    const net = mocks.ofType("docker:index/network:Network");
    expect(net).toHaveLength(1);
    for (const c of containers()) {
      expect(c.inputs.networksAdvanced).toEqual([{ name: net[0]!.inputs.name, aliases: [c.inputs.name.replace("claude-telemetry-", "")] }]);
      expect(c.inputs.restart).toBe("unless-stopped");
      expect(c.inputs.capabilities).toEqual({ drops: ["ALL"] });
    }
  });

  it("uploads every config file to the path its image reads, the secret one included", () => {
    const paths = Object.fromEntries(containers().map((c) => [c.inputs.name, c.inputs.uploads.map((u: any) => u.file).sort()]));
    const dashboards = ["adoption", "attribution", "cost", "developer", "overview", "pipeline", "quality"].map(
      (d) => `/etc/grafana/dashboards/claude-code/claude-code-${d}.json`,
    );
    expect(paths).toEqual({
      "claude-telemetry-collector": ["/etc/otelcol-contrib/config.yaml"],
      "claude-telemetry-prometheus": ["/etc/prometheus/prometheus.yml", "/etc/prometheus/rules/claude-code.rules.yml"],
      "claude-telemetry-loki": ["/etc/loki/config.yaml"],
      // No contact point in Pulumi.local.yaml: the config alone, no secret files.
      "claude-telemetry-alertmanager": ["/etc/alertmanager/alertmanager.yml"],
      "claude-telemetry-grafana": [
        ...dashboards,
        "/etc/grafana/provisioning/dashboards/claude-code.yaml",
        "/etc/grafana/provisioning/datasources/claude-code.yaml",
        "/etc/grafana/secrets/admin-password",
      ].sort(),
    });
  });

  it("uploads exactly the files the render command writes, with the same contents (secrets excepted)", () => {
    const rendered = renderStackFiles(parseSettings(raw, "local"));
    const uploaded = new Set<string>();
    for (const c of containers()) {
      const service = c.inputs.name.replace("claude-telemetry-", "");
      for (const u of c.inputs.uploads) {
        const key = `${service}${u.file}`;
        uploaded.add(key);
        expect(rendered.has(key), key).toBe(true);
        if (!u.file.includes("/secrets/")) expect(u.content, key).toBe(rendered.get(key));
      }
    }
    // Every rendered service file is uploaded; the rest of the render is summaries and client files.
    const serviceFiles = [...rendered.keys()].filter((k) => !k.startsWith("client/") && !k.endsWith("/service.json"));
    expect(serviceFiles.filter((k) => !uploaded.has(k))).toEqual([]);
  });

  it("has Docker health checks where the image can run them", () => {
    const byName = Object.fromEntries(containers().map((c) => [c.inputs.name, c.inputs.healthcheck?.tests?.join(" ")]));
    expect(byName["claude-telemetry-prometheus"]).toContain("/-/ready");
    expect(byName["claude-telemetry-grafana"]).toContain("/api/health");
    expect(byName["claude-telemetry-alertmanager"]).toBe("CMD wget -q --spider http://127.0.0.1:9093/-/ready");
  });

  it("keeps the Grafana password secret: a secret output, a secret upload, nowhere in plain inputs", async () => {
    expect(await isSecretOutput(program.grafanaAdminPassword)).toBe(true);
    const password = await outputValue<string>(program.grafanaAdminPassword);
    expect(password).toHaveLength(32);
    const grafana = containers().find((c) => c.inputs.name === "claude-telemetry-grafana")!;
    const i = grafana.inputs.uploads.findIndex((u: any) => u.file.includes("/secrets/"));
    expect(grafana.inputs.uploads[i].content).toBe(password);
    expect(mocks.isSecretInput(grafana, `uploads[${i}].content`)).toBe(true);
    for (const r of mocks.resources) {
      for (const leaf of stringLeaves(r.inputs)) {
        if (leaf.value.includes(password)) expect(mocks.isSecretInput(r, leaf.path), `${r.type} ${r.name} ${leaf.path}`).toBe(true);
      }
    }
    expect(JSON.stringify(grafana.inputs.envs)).not.toContain(password);
  });

  it("leaves no resource without a parent component", () => {
    const roots = mocks.resources.filter((r) => r.parentUrn === undefined || mocks.byUrn(r.parentUrn) === undefined);
    expect(roots.map((r) => r.type)).toEqual(["claude-code-telemetry:index:TelemetryStack"]);
  });

  it("exports the client settings for this stack, without a token and not secret", async () => {
    const env = await outputValue<Record<string, string>>(program.clientEnv);
    expect(env).toMatchObject({
      CLAUDE_CODE_ENABLE_TELEMETRY: "1",
      OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4317",
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "delta",
      OTEL_RESOURCE_ATTRIBUTES: "environment=local",
    });
    expect(env).not.toHaveProperty("OTEL_EXPORTER_OTLP_HEADERS");
    expect(JSON.parse(await outputValue<string>(program.managedSettings))).toEqual({ env });
    expect(await isSecretOutput(program.managedSettings)).toBe(false);
    expect(program.rolloutGuide).toContain("http://127.0.0.1:4317");
  });

  it("exports the endpoints and the admin user", async () => {
    expect(await outputValue(program.grafanaUrl)).toBe("http://127.0.0.1:3000");
    expect(await outputValue(program.prometheusUrl)).toBe("http://127.0.0.1:9090");
    expect(await outputValue(program.alertmanagerUrl)).toBe("http://127.0.0.1:9093");
    expect(await outputValue(program.otlpGrpcEndpoint)).toBe("http://127.0.0.1:4317");
    expect(await outputValue(program.otlpHttpEndpoint)).toBe("http://127.0.0.1:4318");
    expect(await outputValue(program.grafanaAdminUser)).toBe("admin");
  });
});
