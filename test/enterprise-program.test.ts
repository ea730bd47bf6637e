// The whole program under Pulumi mocks with the committed Pulumi.enterprise.yaml (Kubernetes).
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { outputValue, isSecretOutput, stringLeaves, type MockHarness, type RecordedResource } from "./support/pulumi-mocks.js";
import { loadProgram } from "./support/program.js";
import { validateRecorded, isKubernetesObject } from "./support/k8s-validate.js";
import { evaluate } from "../policies/rules.js";
import { CLIENT_SETTINGS_TYPE } from "../components/claude/client-settings-record.js";
import { validateCollectorConfig } from "./support/collector.js";
import { INGEST_TOKEN_ENV } from "../components/collector.js";
import { requireTools } from "./support/tools.js";
import { GRAFANA_ADMIN_PASSWORD_FILE } from "../components/grafana.js";
import { grafanaEntrypoint } from "../components/grafana-entrypoint.js";

let mocks: MockHarness;
let program: Record<string, any>;

beforeAll(async () => {
  ({ mocks, outputs: program } = await loadProgram("enterprise"));
});

const K = {
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  secret: "kubernetes:core/v1:Secret",
  configMap: "kubernetes:core/v1:ConfigMap",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
};
const workloads = () => [...mocks.ofType(K.deployment), ...mocks.ofType(K.statefulSet)];
const containersOf = (w: RecordedResource) => w.inputs.spec.template.spec.containers as any[];

describe("enterprise program (Kubernetes)", () => {
  it("runs the collector as a scaled Deployment with an HPA and a PDB, the stores as StatefulSets", () => {
    expect(mocks.ofType(K.deployment).map((d) => d.inputs.metadata.name)).toEqual(["claude-telemetry-collector"]);
    expect(
      mocks
        .ofType(K.statefulSet)
        .map((s) => s.inputs.metadata.name)
        .sort(),
    ).toEqual(["claude-telemetry-alertmanager", "claude-telemetry-grafana", "claude-telemetry-loki", "claude-telemetry-prometheus"]);
    const hpa = mocks.ofType(K.hpa);
    expect(hpa).toHaveLength(1);
    expect(hpa[0]!.inputs.spec).toMatchObject({ minReplicas: 2, maxReplicas: 10 });
    expect(mocks.ofType(K.pdb)).toHaveLength(1);
  });

  it("keeps every StatefulSet's data on a PVC of the configured size", () => {
    const sizes = Object.fromEntries(
      mocks.ofType(K.statefulSet).map((s) => [s.inputs.metadata.name, s.inputs.spec.volumeClaimTemplates[0].spec.resources.requests.storage]),
    );
    expect(sizes).toEqual({
      "claude-telemetry-prometheus": "100Gi",
      "claude-telemetry-loki": "100Gi",
      "claude-telemetry-grafana": "5Gi",
      "claude-telemetry-alertmanager": "1Gi",
    });
  });

  it("gives every container its requests, limits, probes and a restrictive securityContext", () => {
    // Pulumi.enterprise.yaml sets collector.memoryLimitMiB 1024: the container limit is 25 % above it.
    const expected: Record<string, { requests: object; limits: object; health: { path: string; port: number } }> = {
      collector: { requests: { cpu: "200m", memory: "512Mi" }, limits: { cpu: "2", memory: "1280Mi" }, health: { path: "/", port: 13133 } },
      prometheus: { requests: { cpu: "250m", memory: "1024Mi" }, limits: { cpu: "2", memory: "4096Mi" }, health: { path: "/-/ready", port: 9090 } },
      loki: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "2", memory: "2048Mi" }, health: { path: "/ready", port: 3100 } },
      grafana: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1024Mi" }, health: { path: "/api/health", port: 3000 } },
      alertmanager: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" }, health: { path: "/-/ready", port: 9093 } },
    };
    const seen: string[] = [];
    for (const w of workloads()) {
      for (const c of containersOf(w)) {
        const want = expected[c.name];
        expect(want, c.name).toBeDefined();
        seen.push(c.name);
        expect(c.resources, c.name).toEqual({ requests: want!.requests, limits: want!.limits });
        const httpGet = { ...want!.health, scheme: "HTTP" };
        expect(c.readinessProbe, c.name).toEqual({ httpGet, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 });
        expect(c.livenessProbe, c.name).toEqual({ httpGet, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 });
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
      }
      expect(w.inputs.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    }
    expect(seen.sort()).toEqual(Object.keys(expected).sort());
  });

  it("starts Grafana through the script that sets its admin password from the Secret file, which its user (472) can read", () => {
    const grafana = mocks.ofType(K.statefulSet).find((s) => s.inputs.metadata.name === "claude-telemetry-grafana")!;
    const pod = grafana.inputs.spec.template.spec;
    const c = containersOf(grafana)[0];
    expect(c.command).toEqual(grafanaEntrypoint(GRAFANA_ADMIN_PASSWORD_FILE));
    expect(c.args).toBeUndefined();
    const mount = c.volumeMounts.find((m: any) => m.mountPath === GRAFANA_ADMIN_PASSWORD_FILE);
    const volume = pod.volumes.find((v: any) => v.name === mount.name);
    // Mounted from the Secret, group-readable, and the pod's fsGroup is the user's group.
    expect(volume.secret.defaultMode).toBe(0o440);
    expect(pod.securityContext).toMatchObject({ runAsUser: 472, runAsGroup: 472, fsGroup: 472 });
    // The others keep their images' entrypoints.
    for (const w of workloads()) if (w !== grafana) expect(containersOf(w)[0].command, w.inputs.metadata.name).toBeUndefined();
  });

  it("serves TLS with a cert-manager issuer on every Ingress", () => {
    const ingresses = mocks.ofType(K.ingress);
    expect(ingresses.length).toBeGreaterThanOrEqual(3);
    const hosts = new Set(ingresses.flatMap((i) => i.inputs.spec.rules.map((r: any) => r.host)));
    expect([...hosts].sort()).toEqual(["claude-grafana.example.com", "otel.example.com"]);
    for (const i of ingresses) {
      expect(i.inputs.spec.tls?.[0]?.secretName, i.name).toBeTruthy();
      expect(i.inputs.spec.ingressClassName).toBe("nginx");
    }
    const issuers = ingresses.map((i) => i.inputs.metadata.annotations?.["cert-manager.io/cluster-issuer"]).filter(Boolean);
    expect(new Set(issuers)).toEqual(new Set(["letsencrypt-prod"]));
    const grpc = ingresses.find((i) => i.inputs.metadata.annotations?.["nginx.ingress.kubernetes.io/backend-protocol"] === "GRPC");
    expect(grpc?.inputs.spec.rules[0].http.paths.map((p: any) => p.path)).toEqual([
      "/opentelemetry.proto.collector.metrics.v1.MetricsService",
      "/opentelemetry.proto.collector.logs.v1.LogsService",
    ]);
  });

  it("requires the bearer token on both OTLP receivers, in a config the real collector accepts", async (ctx) => {
    requireTools(ctx, "otelcol");
    const cm = mocks.ofType(K.configMap).find((c) => c.inputs.metadata.name.includes("collector"))!;
    const text = Object.values(cm.inputs.data as Record<string, string>).find((t) => t.includes("receivers:"))!;
    const config = parse(text);
    expect(config.receivers.otlp.protocols.grpc.auth.authenticator).toBe("bearertokenauth");
    expect(config.receivers.otlp.protocols.http.auth.authenticator).toBe("bearertokenauth");
    const r = await validateCollectorConfig(text, { [INGEST_TOKEN_ENV]: "t" });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it("keeps the ingest token only in a Secret and a secret output", async () => {
    expect(await isSecretOutput(program.ingestToken)).toBe(true);
    const token = await outputValue<string>(program.ingestToken);
    expect(token).toHaveLength(48);
    const holders = mocks.resources.flatMap((r) =>
      stringLeaves(r.inputs)
        .filter((l) => l.value.includes(token))
        .map((l) => ({ r, path: l.path })),
    );
    expect(holders.length).toBeGreaterThan(0);
    for (const { r, path } of holders) {
      expect(r.type, `${r.name} ${path}`).toBe(K.secret);
      expect(mocks.isSecretInput(r, path)).toBe(true);
    }
    const collector = containersOf(mocks.ofType(K.deployment)[0]!)[0];
    const tokenEnv = collector.env.find((e: any) => e.name === "OTLP_INGEST_TOKEN");
    expect(tokenEnv.valueFrom.secretKeyRef).toBeDefined();
    expect(tokenEnv.value).toBeUndefined();
  });

  it("restricts traffic with NetworkPolicies, starting from deny-all", () => {
    const policies = mocks.ofType(K.networkPolicy);
    const denyAll = policies.find((p) => JSON.stringify(p.inputs.spec.podSelector) === "{}" && (p.inputs.spec.ingress ?? []).length === 0);
    expect(denyAll?.inputs.metadata.name).toBe("claude-telemetry-default-deny");
    // One deny-all, one per service, and one letting cert-manager's HTTP-01 solver answer.
    expect(policies.map((p) => p.inputs.metadata.name).sort()).toEqual([
      "claude-telemetry-acme-http01-solver",
      "claude-telemetry-alertmanager",
      "claude-telemetry-collector",
      "claude-telemetry-default-deny",
      "claude-telemetry-grafana",
      "claude-telemetry-loki",
      "claude-telemetry-prometheus",
    ]);
    // Alertmanager admits its own pod and, on its port only, Prometheus (alerts, scrapes) and Grafana (its datasource).
    const pods = (name: string) => ({
      podSelector: { matchLabels: { "app.kubernetes.io/instance": `claude-telemetry-${name}`, "app.kubernetes.io/name": name } },
    });
    const am = policies.find((p) => p.inputs.metadata.name === "claude-telemetry-alertmanager")!;
    expect(am.inputs.spec).toEqual({
      podSelector: pods("alertmanager").podSelector,
      policyTypes: ["Ingress"],
      ingress: [{ from: [pods("alertmanager")] }, { from: [pods("grafana"), pods("prometheus")], ports: [{ port: 9093, protocol: "TCP" }] }],
    });
  });

  it("renders no remote write when none is configured", () => {
    const cm = mocks.ofType(K.configMap).find((c) => c.inputs.metadata.name.includes("prometheus"))!;
    expect(JSON.stringify(cm.inputs.data)).not.toContain("remote_write");
  });

  it("creates only Kubernetes objects that validate against the Kubernetes OpenAPI schemas", () => {
    expect(mocks.resources.filter(isKubernetesObject).length).toBeGreaterThan(20);
    expect(validateRecorded(mocks.resources)).toEqual([]);
  });

  it("passes every policy of the policy pack", () => {
    expect(evaluate(mocks.resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs })))).toEqual([]);
  });

  it("leaves no resource without a parent component", () => {
    const roots = mocks.resources.filter((r) => r.parentUrn === undefined || mocks.byUrn(r.parentUrn) === undefined);
    expect(roots.map((r) => r.type)).toEqual(["claude-code-telemetry:index:TelemetryStack"]);
  });

  it("exports managed settings that carry the real token, as secrets, and a guide without it", async () => {
    const token = await outputValue<string>(program.ingestToken);
    for (const key of ["clientEnv", "managedSettings", "managedSettingsDropIn", "macosMobileconfig", "windowsRegFile"]) {
      expect(await isSecretOutput(program[key]), key).toBe(true);
    }
    const managed = JSON.parse(await outputValue<string>(program.managedSettings));
    expect(managed.env.OTEL_EXPORTER_OTLP_HEADERS).toBe(`Authorization=Bearer ${token}`);
    expect(managed.env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe("https://otel.example.com");
    expect(await outputValue<string>(program.macosMobileconfig)).toContain(token);
    expect(typeof program.rolloutGuide).toBe("string");
    expect(program.rolloutGuide).not.toContain(token);
    expect(program.rolloutGuide).toContain("https://otel.example.com");
  });

  it("records the generated client settings for the policy pack, the token as its placeholder only", async () => {
    const token = await outputValue<string>(program.ingestToken);
    const [record] = mocks.ofType(CLIENT_SETTINGS_TYPE);
    expect(record?.inputs.contentCaptureAcknowledged).toBe(false);
    expect(record?.inputs.env.OTEL_EXPORTER_OTLP_HEADERS).toBe("Authorization=Bearer <ingest-token>");
    const managed = JSON.parse(await outputValue<string>(program.managedSettings));
    expect({ ...record?.inputs.env, OTEL_EXPORTER_OTLP_HEADERS: managed.env.OTEL_EXPORTER_OTLP_HEADERS }).toEqual(managed.env);
    expect(JSON.stringify(record?.inputs)).not.toContain(token);
  });

  it("exports the public endpoints", async () => {
    expect(await outputValue(program.otlpGrpcEndpoint)).toBe("https://otel.example.com");
    expect(await outputValue(program.otlpHttpEndpoint)).toBe("https://otel.example.com");
    expect(await outputValue(program.grafanaUrl)).toBe("https://claude-grafana.example.com");
    // Not published by an ingress: `kubectl port-forward` to it, as to Prometheus.
    expect(await outputValue(program.alertmanagerUrl)).toBe("http://localhost:9093");
    expect(await isSecretOutput(program.grafanaAdminPassword)).toBe(true);
  });
});
