// KubernetesPlatform under Pulumi mocks: hand-written service specs are deployed and every recorded
// object is checked, including against the Kubernetes OpenAPI schemas (kubernetes-models).
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import type { DeployedService, ServiceSpec } from "../components/platform/spec.js";
import type { KubernetesSettings } from "../components/settings.js";
import { parseSettings } from "../components/settings.js";
import { isSecretOutput, outputValue, setupPulumiMocks, stringLeaves, type MockHarness, type RecordedResource } from "./support/pulumi-mocks.js";
import { isKubernetesObject, validateK8sObject, validateRecorded } from "./support/k8s-validate.js";

const T = {
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  service: "kubernetes:core/v1:Service",
  configMap: "kubernetes:core/v1:ConfigMap",
  secret: "kubernetes:core/v1:Secret",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  policy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  namespace: "kubernetes:core/v1:Namespace",
  provider: "pulumi:providers:kubernetes",
} as const;

// Made up per run: nothing secret lives in this file, and a leak cannot match by accident.
const SECRET = {
  token: `tok-${randomBytes(12).toString("hex")}`,
  key: `-----BEGIN PRIVATE KEY-----\n${randomBytes(24).toString("base64")}\n-----END PRIVATE KEY-----\n`,
  admin: `pw-${randomBytes(12).toString("hex")}`,
};
const CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
const OTLP_GRPC_PATHS = ["/opentelemetry.proto.collector.metrics.v1.MetricsService", "/opentelemetry.proto.collector.logs.v1.LogsService"];

const resources = (cpu: string, mem: number) => ({ cpuRequest: cpu, memoryRequestMiB: mem, cpuLimit: "1", memoryLimitMiB: mem * 2 });

const collector: ServiceSpec = {
  name: "collector",
  image: "otel/opentelemetry-collector-contrib:0.161.0",
  args: ["--config=/etc/otelcol/config.yaml"],
  ports: [
    { name: "otlp-grpc", port: 4317, protocol: "grpc", public: true, ingressPaths: OTLP_GRPC_PATHS },
    { name: "otlp-http", port: 4318, protocol: "http", public: true, ingressPaths: ["/v1/metrics", "/v1/logs"] },
    { name: "metrics", port: 8889, protocol: "http", ingressFrom: ["prometheus"] },
    { name: "telemetry", port: 8888, protocol: "http", ingressFrom: ["prometheus"] },
    { name: "health", port: 13133, protocol: "http", ingressFrom: [] },
  ],
  files: [
    { path: "/etc/otelcol/config.yaml", content: "receivers: {}\n" },
    { path: "/etc/otelcol/tls/server.key", content: pulumi.secret(SECRET.key), secret: true },
  ],
  env: { GOMEMLIMIT: "400MiB" },
  // A plain string on purpose: the platform must make it secret itself.
  secretEnv: { INGEST_TOKEN: SECRET.token },
  health: { port: 13133, path: "/" },
  resources: resources("200m", 256),
  runAsUser: 10001,
  readOnlyRootFilesystem: true,
  scaling: { min: 2, max: 6, targetCpuPercent: 70 },
  configHash: "collector-hash-1",
};

const prometheus: ServiceSpec = {
  name: "prometheus",
  image: "prom/prometheus:v3.13.5",
  args: ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"],
  ports: [{ name: "http", port: 9090, protocol: "http", ingressFrom: ["grafana", "collector"] }],
  files: [
    { path: "/etc/prometheus/prometheus.yml", content: "global: {}\n" },
    { path: "/etc/prometheus/rules/claude.yml", content: "groups: []\n" },
  ],
  volume: { path: "/prometheus" },
  health: { port: 9090, path: "/-/ready" },
  resources: resources("250m", 1024),
  runAsUser: 65534,
  readOnlyRootFilesystem: true,
  configHash: pulumi.output("prometheus-hash-1"),
};

const loki: ServiceSpec = {
  name: "loki",
  image: "grafana/loki:3.7.8",
  ports: [{ name: "http", port: 3100, protocol: "http", ingressFrom: ["grafana", "collector"] }],
  files: [{ path: "/etc/loki/config.yaml", content: "auth_enabled: false\n" }],
  volume: { path: "/loki" },
  health: { port: 3100, path: "/ready" },
  resources: resources("250m", 512),
  runAsUser: 10001,
  readOnlyRootFilesystem: true,
};

const grafana: ServiceSpec = {
  name: "grafana",
  image: "grafana/grafana:13.2.2",
  entrypoint: ["/bin/sh", "-c", 'echo starting; exec /run.sh "$@"', "start"],
  ports: [{ name: "http", port: 3000, protocol: "http", public: true }],
  files: [{ path: "/etc/grafana/provisioning/datasources/datasources.yaml", content: "apiVersion: 1\n" }],
  env: { GF_SERVER_ROOT_URL: "https://grafana.example.com" },
  secretEnv: { GF_SECURITY_ADMIN_PASSWORD: pulumi.secret(SECRET.admin) },
  volume: { path: "/var/lib/grafana" },
  health: { port: 3000, path: "/api/health" },
  resources: resources("100m", 256),
  runAsUser: 472,
  readOnlyRootFilesystem: false,
};

const SPECS = [collector, prometheus, loki, grafana];

function kubernetesSettings(k: Record<string, unknown>): KubernetesSettings {
  // Client certificate paths are required alongside a client CA; they do not affect the platform.
  const client = k.clientCaPem ? { tls: { certFile: "/etc/claude/cert.pem", keyFile: "/etc/claude/key.pem" } } : {};
  return parseSettings({ target: "kubernetes", kubernetes: k, client }, "test").kubernetes!;
}

const full = kubernetesSettings({
  namespace: "telemetry",
  context: "prod-cluster",
  otlpHost: "otel.example.com",
  grafanaHost: "grafana.example.com",
  clusterIssuer: "letsencrypt-prod",
  storageClass: "fast-ssd",
  storage: { prometheus: "20Gi", loki: "30Gi", grafana: "5Gi" },
  clientCaPem: CA_PEM,
});
const minimal = kubernetesSettings({ namespace: "minimal-ns", otlpHost: "otel.minimal.example.com", clusterIssuer: "internal-ca" });

let mocks: MockHarness;
const deployed: Record<string, Record<string, DeployedService>> = {};
let hostOf: (s: ServiceSpec["name"]) => string;
let platformModule: typeof import("../components/platform/kubernetes.js");

beforeAll(async () => {
  mocks = await setupPulumiMocks({ project: "telemetry", stack: "test" });
  platformModule = await import("../components/platform/kubernetes.js");

  class Component extends pulumi.ComponentResource {
    constructor(type: string, name: string, opts?: pulumi.ComponentResourceOptions) {
      super(type, name, {}, opts);
    }
  }
  for (const [prefix, settings] of [
    ["ccx", full],
    ["mini", minimal],
  ] as const) {
    const stack = new Component("test:index:Stack", prefix);
    const platform = new platformModule.KubernetesPlatform({ settings, namePrefix: prefix, parent: stack });
    if (prefix === "ccx") hostOf = (s) => platform.hostOf(s);
    deployed[prefix] = {};
    for (const spec of SPECS) {
      const parent = new Component("test:index:Service", `${prefix}-${spec.name}`, { parent: stack });
      deployed[prefix]![spec.name] = platform.deploy(spec, parent);
    }
  }
  await mocks.settle();
});

/** Resources of one stack (by name prefix). */
const of = (type: string, prefix = "ccx") => mocks.ofType(type).filter((r) => r.name.startsWith(`${prefix}-`));
const one = (type: string, name: string) => mocks.get(type, name);
const workloads = (prefix = "ccx") => [...of(T.deployment, prefix), ...of(T.statefulSet, prefix)];
const specOf = (r: RecordedResource) => SPECS.find((s) => r.name.endsWith(`-${s.name}`))!;

describe("workloads", () => {
  it("a scaled service is a Deployment with replicas = min, an HPA on CPU and a PDB", () => {
    const d = one(T.deployment, "ccx-collector").inputs;
    expect(d.spec.replicas).toBe(2);
    const hpa = one(T.hpa, "ccx-collector").inputs;
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: d.metadata.name });
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([2, 6]);
    expect(hpa.spec.metrics).toEqual([{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }]);
    const pdb = one(T.pdb, "ccx-collector").inputs;
    expect(pdb.spec.minAvailable ?? pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(d.spec.selector.matchLabels);
    expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
    // Only the scaled service scales.
    expect(of(T.hpa).map((r) => r.name)).toEqual(["ccx-collector"]);
    expect(of(T.pdb).map((r) => r.name)).toEqual(["ccx-collector"]);
  });

  it("a spec's entrypoint replaces the image's (the container's command), its args follow; without one the image's stays", () => {
    const grafanaContainer = one(T.statefulSet, "ccx-grafana").inputs.spec.template.spec.containers[0];
    expect(grafanaContainer.command).toEqual(grafana.entrypoint);
    expect(grafanaContainer.args).toBeUndefined();
    const collectorContainer = one(T.deployment, "ccx-collector").inputs.spec.template.spec.containers[0];
    expect(collectorContainer.command).toBeUndefined();
    expect(collectorContainer.args).toEqual(collector.args);
  });

  it("a service with a volume is a StatefulSet whose claim template has the size and storage class", () => {
    expect(
      of(T.statefulSet)
        .map((r) => r.name)
        .sort(),
    ).toEqual(["ccx-grafana", "ccx-loki", "ccx-prometheus"]);
    const s = one(T.statefulSet, "ccx-prometheus").inputs;
    expect(s.spec.replicas).toBe(1);
    const [claim, ...more] = s.spec.volumeClaimTemplates;
    expect(more).toEqual([]);
    expect(claim.spec.resources.requests.storage).toBe("20Gi");
    expect(claim.spec.storageClassName).toBe("fast-ssd");
    expect(claim.spec.accessModes).toEqual(["ReadWriteOnce"]);
    const mount = s.spec.template.spec.containers[0].volumeMounts.find((m: any) => m.name === claim.metadata.name);
    expect(mount.mountPath).toBe("/prometheus");
    expect(s.spec.serviceName).toBe(one(T.service, "ccx-prometheus").inputs.metadata.name);
    // Without storageClass in the settings the cluster default applies.
    expect(one(T.statefulSet, "mini-loki").inputs.spec.volumeClaimTemplates[0].spec.storageClassName).toBeUndefined();
  });

  it("every container has requests, limits, probes from the health check and a restrictive securityContext", () => {
    expect(workloads().length).toBe(4);
    for (const w of [...workloads(), ...workloads("mini")]) {
      const spec = specOf(w);
      const pod = w.inputs.spec.template.spec;
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: spec.runAsUser,
        fsGroup: spec.runAsUser,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.containers.length).toBe(1);
      for (const c of pod.containers) {
        expect(c.image).toBe(spec.image);
        expect(c.resources.requests).toEqual({ cpu: spec.resources.cpuRequest, memory: `${spec.resources.memoryRequestMiB}Mi` });
        expect(c.resources.limits).toEqual({ cpu: spec.resources.cpuLimit, memory: `${spec.resources.memoryLimitMiB}Mi` });
        for (const probe of [c.readinessProbe, c.livenessProbe]) {
          expect(probe.httpGet).toMatchObject({ path: spec.health.path, port: spec.health.port });
        }
        expect(c.securityContext).toMatchObject({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: spec.readOnlyRootFilesystem,
          capabilities: { drop: ["ALL"] },
          seccompProfile: { type: "RuntimeDefault" },
        });
        expect(c.ports.map((p: any) => p.containerPort)).toEqual(spec.ports.map((p) => p.port));
        const tmp = c.volumeMounts?.find((m: any) => m.mountPath === "/tmp");
        if (spec.readOnlyRootFilesystem) {
          expect(pod.volumes.find((v: any) => v.name === tmp?.name)?.emptyDir).toBeDefined();
        } else {
          expect(tmp).toBeUndefined();
        }
      }
    }
  });

  it("the pods carry the config hash, and the standard labels", () => {
    const d = one(T.deployment, "ccx-collector").inputs;
    expect(d.spec.template.metadata.annotations["checksum/config"]).toBe("collector-hash-1");
    expect(one(T.statefulSet, "ccx-prometheus").inputs.spec.template.metadata.annotations["checksum/config"]).toBe("prometheus-hash-1");
    // Loki brings no hash: one is computed from its files.
    expect(one(T.statefulSet, "ccx-loki").inputs.spec.template.metadata.annotations["checksum/config"]).toMatch(/^[0-9a-f]{64}$/);
    for (const w of workloads()) {
      const labels = w.inputs.spec.template.metadata.labels;
      expect(labels["app.kubernetes.io/name"]).toBe(specOf(w).name);
      expect(labels["app.kubernetes.io/part-of"]).toBe("ccx");
      expect(labels["app.kubernetes.io/component"]).toMatch(/\w/);
    }
  });

  it("non-secret files come from a ConfigMap, each mounted at its path", () => {
    const cm = one(T.configMap, "ccx-prometheus").inputs;
    const s = one(T.statefulSet, "ccx-prometheus").inputs.spec.template.spec;
    const volume = s.volumes.find((v: any) => v.configMap?.name === cm.metadata.name);
    for (const f of prometheus.files) {
      const mount = s.containers[0].volumeMounts.find((m: any) => m.mountPath === f.path);
      expect(mount).toMatchObject({ name: volume.name, readOnly: true });
      expect(cm.data[mount.subPath]).toBe(f.content);
    }
  });

  it("every service gets a ClusterIP Service and reports in-cluster endpoints", async () => {
    for (const spec of SPECS) {
      const svc = one(T.service, `ccx-${spec.name}`).inputs;
      expect(svc.metadata).toMatchObject({ name: `ccx-${spec.name}`, namespace: "telemetry" });
      expect(svc.spec.type).toBe("ClusterIP");
      expect(svc.spec.ports.map((p: any) => [p.name, p.port, p.targetPort])).toEqual(spec.ports.map((p) => [p.name, p.port, p.name]));
      expect(hostOf(spec.name)).toBe(`ccx-${spec.name}.telemetry.svc`);
    }
    expect(deployed.ccx!.loki!.internalEndpoints).toEqual({ http: "ccx-loki.telemetry.svc:3100" });
    expect(await outputValue(deployed.ccx!.collector!.ready)).toBe(true);
  });
});

describe("secrets", () => {
  const secretValues = Object.values(SECRET);

  it("appear only in Secret stringData, as secret inputs", () => {
    const hits = mocks.resources.flatMap((r) =>
      stringLeaves(r.inputs)
        .filter((leaf) => secretValues.some((s) => leaf.value.includes(s)))
        .map((leaf) => ({ r, path: leaf.path })),
    );
    expect(hits.length).toBe(secretValues.length * 2); // three secrets, two stacks
    for (const { r, path } of hits) {
      expect(r.type).toBe(T.secret);
      expect(path).toMatch(/^stringData\./);
      expect(mocks.isSecretInput(r, path)).toBe(true);
    }
  });

  it("reach the container through secretKeyRef and a secret volume", () => {
    const secret = one(T.secret, "ccx-collector").inputs;
    const pod = one(T.deployment, "ccx-collector").inputs.spec.template.spec;
    const env = pod.containers[0].env.find((e: any) => e.name === "INGEST_TOKEN");
    expect(env.value).toBeUndefined();
    expect(env.valueFrom.secretKeyRef).toEqual({ name: secret.metadata.name, key: "INGEST_TOKEN" });
    expect(Object.keys(secret.stringData)).toContain("INGEST_TOKEN");
    const mount = pod.containers[0].volumeMounts.find((m: any) => m.mountPath === "/etc/otelcol/tls/server.key");
    const volume = pod.volumes.find((v: any) => v.name === mount.name);
    expect(volume.secret.secretName).toBe(secret.metadata.name);
    expect(Object.keys(secret.stringData)).toContain(mount.subPath);
    // Plain env stays plain.
    expect(pod.containers[0].env.find((e: any) => e.name === "GOMEMLIMIT").value).toBe("400MiB");
    // The secret file is not in the ConfigMap.
    expect(Object.keys(one(T.configMap, "ccx-collector").inputs.data)).toEqual(["etc_otelcol_config.yaml"]);
  });
});

describe("ingress", () => {
  it("routes OTLP gRPC and HTTP on the OTLP host through two Ingresses, gRPC with the GRPC backend protocol", () => {
    const http = one(T.ingress, "ccx-collector").inputs;
    const grpc = one(T.ingress, "ccx-collector-grpc").inputs;
    const paths = (i: any) => i.spec.rules[0].http.paths.map((p: any) => [p.path, p.backend.service.port.name]);
    expect(paths(http)).toEqual([
      ["/v1/metrics", "otlp-http"],
      ["/v1/logs", "otlp-http"],
    ]);
    expect(paths(grpc)).toEqual(OTLP_GRPC_PATHS.map((p) => [p, "otlp-grpc"]));
    expect(grpc.metadata.annotations["nginx.ingress.kubernetes.io/backend-protocol"]).toBe("GRPC");
    expect(http.metadata.annotations["nginx.ingress.kubernetes.io/backend-protocol"]).toBeUndefined();
    for (const i of [http, grpc]) {
      expect(i.spec.ingressClassName).toBe("nginx");
      expect(i.spec.rules[0].host).toBe("otel.example.com");
      expect(i.spec.rules[0].http.paths.every((p: any) => p.backend.service.name === "ccx-collector")).toBe(true);
    }
  });

  it("has TLS on every Ingress, each host's certificate requested by exactly one of them", () => {
    const ingresses = [...of(T.ingress), ...of(T.ingress, "mini")];
    expect(ingresses.map((i) => i.name).sort()).toEqual(["ccx-collector", "ccx-collector-grpc", "ccx-grafana", "mini-collector", "mini-collector-grpc"]);
    const owners = new Map<string, string[]>();
    for (const { inputs: i, name } of ingresses) {
      const hosts = i.spec.rules.map((r: any) => r.host);
      expect(i.spec.tls.flatMap((t: any) => t.hosts)).toEqual(hosts);
      for (const t of i.spec.tls) expect(t.secretName).toMatch(/-tls$/);
      const issuer = i.metadata.annotations["cert-manager.io/cluster-issuer"];
      if (issuer) {
        expect(issuer).toBe(name.startsWith("ccx-") ? "letsencrypt-prod" : "internal-ca");
        for (const t of i.spec.tls) owners.set(t.secretName, [...(owners.get(t.secretName) ?? []), name]);
      }
    }
    const secretNames = new Set(ingresses.flatMap((i) => i.inputs.spec.tls.map((t: any) => t.secretName)));
    expect([...secretNames].sort()).toEqual(["ccx-collector-tls", "ccx-grafana-tls", "mini-collector-tls"]);
    for (const s of secretNames) expect(owners.get(s)?.length, s).toBe(1);
  });

  it("requires client certificates on the OTLP host when a client CA is set", () => {
    const ca = one(T.secret, "ccx-collector-client-ca").inputs;
    expect(ca.stringData["ca.crt"]).toBe(CA_PEM);
    for (const name of ["ccx-collector", "ccx-collector-grpc"]) {
      const a = one(T.ingress, name).inputs.metadata.annotations;
      expect(a["nginx.ingress.kubernetes.io/auth-tls-secret"]).toBe(`telemetry/${ca.metadata.name}`);
      expect(a["nginx.ingress.kubernetes.io/auth-tls-verify-client"]).toBe("on");
    }
    expect(one(T.ingress, "ccx-grafana").inputs.metadata.annotations["nginx.ingress.kubernetes.io/auth-tls-secret"]).toBeUndefined();
    expect(one(T.ingress, "mini-collector").inputs.metadata.annotations["nginx.ingress.kubernetes.io/auth-tls-secret"]).toBeUndefined();
    expect(of(T.secret, "mini").map((s) => s.name)).not.toContain("mini-collector-client-ca");
  });

  it("gives Grafana an Ingress only when grafanaHost is set", () => {
    expect(one(T.ingress, "ccx-grafana").inputs.spec.rules[0].host).toBe("grafana.example.com");
    expect(of(T.ingress, "mini").some((i) => i.name.includes("grafana"))).toBe(false);
  });
});

describe("network policies", () => {
  /** Who may reach a port: `self`, `pod:<service>` or `ns:<namespace>`. */
  function allowedOn(policy: RecordedResource, port: number): string[] {
    const self = policy.inputs.spec.podSelector.matchLabels["app.kubernetes.io/name"];
    const who = (p: any) =>
      p.namespaceSelector
        ? `ns:${p.namespaceSelector.matchLabels["kubernetes.io/metadata.name"]}`
        : p.podSelector.matchLabels["app.kubernetes.io/name"] === self
          ? "self"
          : `pod:${p.podSelector.matchLabels["app.kubernetes.io/name"] ?? "stack"}`;
    return (policy.inputs.spec.ingress ?? [])
      .filter((rule: any) => !rule.ports || rule.ports.some((p: any) => p.port === port))
      .flatMap((rule: any) => rule.from.map(who))
      .sort();
  }

  it("deny all ingress in the namespace by default", () => {
    const deny = one(T.policy, "ccx-default-deny").inputs;
    expect(deny.metadata.namespace).toBe("telemetry");
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress"] });
  });

  it("let the ingress controller reach cert-manager's HTTP-01 solver pods", () => {
    const acme = one(T.policy, "ccx-acme-http01-solver").inputs.spec;
    expect(acme.podSelector.matchLabels).toEqual({ "acme.cert-manager.io/http01-solver": "true" });
    expect(acme.ingress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }], ports: [{ port: 8089, protocol: "TCP" }] },
    ]);
  });

  it("let only the ingress controller reach OTLP, only Prometheus scrape the collector", () => {
    const p = one(T.policy, "ccx-collector");
    expect(p.inputs.spec.policyTypes).toEqual(["Ingress"]);
    expect(allowedOn(p, 4317)).toEqual(["ns:ingress-nginx", "self"]);
    expect(allowedOn(p, 4318)).toEqual(["ns:ingress-nginx", "self"]);
    expect(allowedOn(p, 8889)).toEqual(["pod:prometheus", "self"]);
    expect(allowedOn(p, 8888)).toEqual(["pod:prometheus", "self"]);
    expect(allowedOn(p, 13133)).toEqual(["self"]);
  });

  it("let only Grafana (and the collector's writes) reach Prometheus and Loki", () => {
    expect(allowedOn(one(T.policy, "ccx-prometheus"), 9090)).toEqual(["pod:collector", "pod:grafana", "self"]);
    expect(allowedOn(one(T.policy, "ccx-loki"), 3100)).toEqual(["pod:collector", "pod:grafana", "self"]);
  });

  it("let the ingress controller reach Grafana only when Grafana has an Ingress", () => {
    expect(allowedOn(one(T.policy, "ccx-grafana"), 3000)).toEqual(["ns:ingress-nginx", "self"]);
    expect(allowedOn(one(T.policy, "mini-grafana"), 3000)).toEqual(["self"]);
  });

  it("select each service's pods by the workload's selector labels", () => {
    for (const w of workloads()) {
      expect(one(T.policy, w.name).inputs.spec.podSelector.matchLabels).toEqual(w.inputs.spec.selector.matchLabels);
    }
  });
});

describe("resource tree", () => {
  it("names every object after the prefix, in the stack's namespace", () => {
    for (const r of mocks.resources.filter(isKubernetesObject)) {
      if (r.type === T.namespace) {
        expect(r.inputs.metadata.name).toBe(r.name.startsWith("ccx-") ? "telemetry" : "minimal-ns");
        continue;
      }
      const prefix = r.name.split("-")[0]!;
      expect(r.inputs.metadata.name).toBe(r.name);
      expect(r.inputs.metadata.namespace).toBe(prefix === "ccx" ? "telemetry" : "minimal-ns");
    }
  });

  it("parents every resource to a component: the service's for its objects", () => {
    for (const r of mocks.resources.filter((r) => r.custom)) {
      const parent = mocks.parentOf(r);
      expect(parent?.custom, `${r.type} ${r.name}`).toBe(false);
    }
    for (const spec of SPECS) {
      const w = mocks.resources.find((r) => r.name === `ccx-${spec.name}` && (r.type === T.deployment || r.type === T.statefulSet))!;
      expect(mocks.parentOf(w)?.type).toBe("test:index:Service");
      expect(mocks.parentOf(w)?.name).toBe(`ccx-${spec.name}`);
    }
  });

  it("uses a provider for the configured context, and the ambient one otherwise", () => {
    const providers = mocks.ofType(T.provider);
    expect(providers.map((p) => [p.name, p.inputs.context])).toEqual([["ccx-k8s", "prod-cluster"]]);
    for (const r of of(T.deployment).concat(of(T.namespace), of(T.ingress))) expect(r.provider).toContain(providers[0]!.urn);
    for (const r of of(T.deployment, "mini")) expect(r.provider ?? "").not.toContain("ccx-k8s");
  });

  it("every recorded Kubernetes object validates against the Kubernetes schemas", () => {
    const objects = mocks.resources.filter(isKubernetesObject);
    expect(objects.length).toBeGreaterThan(30);
    expect(validateRecorded(mocks.resources)).toEqual([]);
  });
});

describe("spec checks", () => {
  it("refuses a gRPC and an HTTP port on the same path of one host", async () => {
    const { planIngresses } = await import("../components/platform/kubernetes-ingress.js");
    const clash: ServiceSpec = { ...collector, ports: collector.ports.map((p) => ({ ...p, ingressPaths: undefined })) };
    expect(() => planIngresses({ prefix: "x", namespace: "n" }, full, clash)).toThrow(/both route path \/ on otel.example.com/);
  });

  it("refuses invalid port names, colliding file keys and a scaled service with a volume", async () => {
    const { checkSpec } = await import("../components/platform/kubernetes-names.js");
    const naming = { prefix: "x", namespace: "n" };
    expect(() => checkSpec(naming, { ...loki, ports: [{ name: "Http_Port", port: 1, protocol: "http" }] })).toThrow(/port name/);
    expect(() =>
      checkSpec(naming, {
        ...loki,
        files: [
          { path: "/a/b_c", content: "" },
          { path: "/a_b/c", content: "" },
        ],
      }),
    ).toThrow(/same key/);
    expect(() => checkSpec(naming, { ...loki, scaling: collector.scaling })).toThrow(/cannot have a persistent volume/);
    expect(() => checkSpec({ prefix: "1x", namespace: "n" }, loki)).toThrow(/Service name/);
  });

  it("lets a single-replica budget move its pod instead of blocking drains", async () => {
    const { disruptionBudgetSpec } = await import("../components/platform/kubernetes-workload.js");
    const spec = disruptionBudgetSpec({ prefix: "x", namespace: "n" }, { ...collector, scaling: { min: 1, max: 3, targetCpuPercent: 60 } });
    expect(spec.maxUnavailable).toBe(1);
    expect(spec.minAvailable).toBeUndefined();
  });
});

describe("test support", () => {
  it("the schema validation rejects wrong objects", () => {
    expect(
      validateK8sObject({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "x" },
        spec: { selector: {}, template: { spec: { containers: [{ name: "c", ports: [{ containerPort: "80" }] }] } } },
      }),
    ).toEqual([expect.stringMatching(/containerPort must be integer/)]);
    expect(validateK8sObject({ apiVersion: "apps/v1", kind: "Deploymnet" })[0]).toMatch(/unknown apiVersion\/kind/);
    expect(validateK8sObject({ apiVersion: "v1", kind: "Service", spec: { ports: [{ port: 80, protocol: "TCP" }] } })).toEqual([]);
  });

  it("the mocks return engine-marked secrets as secret outputs", async () => {
    const random = await import("@pulumi/random");
    const pw = new random.RandomPassword("support-check", { length: 24 });
    expect(await isSecretOutput(pw.result)).toBe(true);
    expect((await outputValue(pw.result)).length).toBe(24);
  });
});
