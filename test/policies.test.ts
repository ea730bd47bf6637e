// Policy rules, called directly: on everything the local program creates (must pass) and on
// resources built to break each rule (must be caught).
import { beforeAll, describe, expect, it } from "vitest";
import { loadProgram } from "./support/program.js";
import { evaluate, isPinned, RULES, type PolicyResource } from "../policies/rules.js";

let local: PolicyResource[];

beforeAll(async () => {
  const { mocks } = await loadProgram("local", { docker: { waitForHealthy: false } });
  local = mocks.resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs }));
});

const rule = (name: string) => RULES.find((r) => r.name === name)!;
const deployment = (container: Record<string, unknown>, podSecurity: Record<string, unknown> = {}): PolicyResource => ({
  type: "kubernetes:apps/v1:Deployment",
  name: "d",
  props: { spec: { template: { spec: { securityContext: podSecurity, containers: [{ name: "c", image: "x/y:1.0", ...container }] } } } },
});

describe("policy rules", () => {
  it("find nothing wrong with the local stack", () => {
    expect(local.length).toBeGreaterThan(10);
    expect(evaluate(local)).toEqual([]);
  });

  it("recognise pinned and unpinned images", () => {
    expect(isPinned("prom/prometheus:v3.5.0")).toBe(true);
    expect(isPinned("registry.local:5000/team/img@sha256:" + "a".repeat(64))).toBe(true);
    expect(isPinned("registry.local:5000/team/img")).toBe(false);
    expect(isPinned("grafana/grafana:latest")).toBe(false);
    expect(isPinned("grafana/grafana")).toBe(false);
  });

  it("catch an unpinned image on Docker and on Kubernetes", () => {
    expect(rule("images-pinned").check({ type: "docker:index/remoteImage:RemoteImage", name: "i", props: { name: "grafana/grafana:latest" } })).toHaveLength(1);
    expect(rule("images-pinned").check(deployment({ image: "otel/collector" }))).toHaveLength(1);
  });

  it("catch a Docker port published on every interface", () => {
    const r = { type: "docker:index/container:Container", name: "c", props: { ports: [{ internal: 3000, external: 3000, ip: "0.0.0.0" }, { internal: 1, external: 2, ip: "127.0.0.1" }] } };
    expect(rule("docker-ports-on-loopback").check(r)).toEqual(["port 3000 is published on 0.0.0.0, not on loopback"]);
  });

  it("catch default Grafana credentials and anonymous access", () => {
    const r = { type: "docker:index/container:Container", name: "g", props: { envs: ["GF_SECURITY_ADMIN_PASSWORD=admin", "GF_AUTH_ANONYMOUS_ENABLED=true"] } };
    expect(rule("grafana-no-default-credentials").check(r)).toHaveLength(2);
  });

  it("catch an Ingress without TLS", () => {
    const r = { type: "kubernetes:networking.k8s.io/v1:Ingress", name: "i", props: { metadata: {}, spec: { rules: [{ host: "otel.example.com" }] } } };
    expect(rule("ingress-tls").check(r)).toEqual(["host otel.example.com has no TLS section with a secret"]);
  });

  it("catch a TLS secret no cert-manager annotation or Certificate issues", () => {
    const ingress = (name: string, secretName: string, annotations = {}) => ({
      type: "kubernetes:networking.k8s.io/v1:Ingress",
      name,
      props: { metadata: { namespace: "t", annotations }, spec: { tls: [{ hosts: ["h"], secretName }], rules: [{ host: "h" }] } },
    });
    const issuedByPeer = [ingress("http", "otel-tls", { "cert-manager.io/cluster-issuer": "le" }), ingress("grpc", "otel-tls")];
    expect(evaluate(issuedByPeer)).toEqual([]);
    expect(evaluate([ingress("grpc", "otel-tls")])).toEqual([
      "ingress-certificates-issued: grpc: TLS secret otel-tls is issued by no cert-manager annotation or Certificate",
    ]);
    const certificate = { type: "kubernetes:cert-manager.io/v1:Certificate", name: "c", props: { metadata: { namespace: "t" }, spec: { secretName: "otel-tls" } } };
    expect(evaluate([ingress("grpc", "otel-tls"), certificate])).toEqual([]);
  });

  it("catch unbounded, unprobed and privileged containers", () => {
    expect(rule("containers-bounded-and-probed").check(deployment({}))).toEqual([
      "container c lacks resource requests, a memory limit, a readiness probe, a liveness probe",
    ]);
    expect(rule("containers-restricted").check(deployment({}))).toHaveLength(3);
    const ok = deployment({ securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }, { runAsNonRoot: true });
    expect(rule("containers-restricted").check(ok)).toEqual([]);
  });

  it("catch a StatefulSet without persistent storage", () => {
    expect(rule("stateful-storage-persistent").check({ type: "kubernetes:apps/v1:StatefulSet", name: "s", props: { spec: {} } })).toHaveLength(1);
  });
});
