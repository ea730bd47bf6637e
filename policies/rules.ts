// Policy rules as plain functions of (resource type, inputs): testable without the policy engine,
// wired into the PolicyPack by pack.ts. Each returns the violations it finds, empty when compliant;
// each message says what is wrong and how to fix it.
import { NETWORK_EXPOSURE_LABEL } from "../components/platform/docker-names.js";
import { DOCKER_CONTAINER, LOOPBACK, podContainers, WORKLOADS, type PolicyResource, type PolicyRule, type StackPolicyRule } from "./resources.js";
import { STACK_PROMISE_RULES } from "./stack-promises.js";

export type { Concern, PolicyResource, PolicyRule, StackPolicyRule } from "./resources.js";

const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate";

/** A container the program labelled after docker.networkExposureAcknowledged. */
const acknowledgedExposure = (r: PolicyResource) =>
  (r.props.labels ?? []).some((l: any) => l.label === NETWORK_EXPOSURE_LABEL && l.value === "acknowledged");

/** An image reference is pinned when it has a tag other than latest, or a digest. */
export function isPinned(image: unknown): boolean {
  if (typeof image !== "string" || image === "") return false;
  if (image.includes("@sha256:")) return true;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : "";
  return tag !== "" && tag !== "latest";
}

/** Rules that look at one resource at a time: the platform's guards, then the stack's promises. */
export const RULES: readonly PolicyRule[] = [
  {
    name: "images-pinned",
    concern: "security",
    description: "Images are pinned to an exact version: no 'latest', no untagged references.",
    check: (r) => {
      const images: unknown[] = [];
      if (r.type === "docker:index/remoteImage:RemoteImage") images.push(r.props.name);
      if (WORKLOADS.has(r.type)) images.push(...podContainers(r).map((c) => c.image));
      return images.filter((i) => !isPinned(i)).map((i) => `image ${JSON.stringify(i)} is not pinned to an exact version. Fix: give images.<service> a release tag or a digest, never latest`);
    },
  },
  {
    name: "docker-ports-on-loopback",
    concern: "security",
    description:
      "Docker ports are published on a loopback address only, so the stack stays private to the machine, unless the stack acknowledged network exposure (docker.networkExposureAcknowledged), which labels the container.",
    check: (r) => {
      if (r.type !== DOCKER_CONTAINER) return [];
      if (acknowledgedExposure(r)) return [];
      return (r.props.ports ?? [])
        .filter((p: any) => p.external !== undefined && !LOOPBACK.test(String(p.ip ?? "0.0.0.0")))
        .map((p: any) => `port ${p.external} is published on ${p.ip ?? "every interface"}, not on loopback. Fix: keep docker.bindAddress at 127.0.0.1, or set docker.networkExposureAcknowledged: true to share the stack on a trusted network (which turns on the ingest token)`);
    },
  },
  {
    name: "grafana-no-default-credentials",
    concern: "security",
    description: "Grafana never runs with the default or an empty admin password, or with anonymous access.",
    check: (r) => {
      const env: string[] =
        r.type === DOCKER_CONTAINER
          ? (r.props.envs ?? [])
          : WORKLOADS.has(r.type)
            ? podContainers(r).flatMap((c) => (c.env ?? []).filter((e: any) => typeof e.value === "string").map((e: any) => `${e.name}=${e.value}`))
            : [];
      const found: string[] = [];
      if (env.some((e) => /^GF_SECURITY_ADMIN_PASSWORD=(admin)?$/.test(e))) found.push("Grafana admin password is the default or empty. Fix: let the program generate it (GF_SECURITY_ADMIN_PASSWORD__FILE)");
      if (env.includes("GF_AUTH_ANONYMOUS_ENABLED=true")) found.push("Grafana allows anonymous access. Fix: remove GF_AUTH_ANONYMOUS_ENABLED");
      return found;
    },
  },
  {
    name: "ingress-tls",
    concern: "security",
    description: "Every host of every Ingress is served with TLS from a certificate secret.",
    check: (r) => {
      if (r.type !== INGRESS) return [];
      const hosts: string[] = (r.props.spec?.rules ?? []).map((x: any) => x.host);
      const tlsHosts = new Set((r.props.spec?.tls ?? []).flatMap((t: any) => (t.secretName ? t.hosts ?? [] : [])));
      return hosts.filter((h) => !tlsHosts.has(h)).map((h) => `host ${h} has no TLS section with a secret. Fix: add spec.tls with the host and a secretName cert-manager issues`);
    },
  },
  {
    name: "containers-bounded-and-probed",
    concern: "reliability",
    description: "Every Kubernetes container has resource requests and limits, readiness and liveness probes.",
    check: (r) => {
      if (!WORKLOADS.has(r.type)) return [];
      return podContainers(r).flatMap((c) => {
        const missing: string[] = [];
        if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) missing.push("resource requests");
        if (!c.resources?.limits?.memory) missing.push("a memory limit");
        if (!c.readinessProbe) missing.push("a readiness probe");
        if (!c.livenessProbe) missing.push("a liveness probe");
        return missing.length ? [`container ${c.name} lacks ${missing.join(", ")}. Fix: give its ServiceSpec resources and a health check`] : [];
      });
    },
  },
  {
    name: "containers-restricted",
    concern: "security",
    description: "Kubernetes containers run as non-root, without privilege escalation, with all capabilities dropped.",
    check: (r) => {
      if (!WORKLOADS.has(r.type)) return [];
      const podSc = r.props.spec?.template?.spec?.securityContext ?? {};
      return podContainers(r).flatMap((c) => {
        const sc = c.securityContext ?? {};
        const found: string[] = [];
        if (!(sc.runAsNonRoot ?? podSc.runAsNonRoot)) found.push("may run as root");
        if (sc.allowPrivilegeEscalation !== false) found.push("allows privilege escalation");
        if (!(sc.capabilities?.drop ?? []).includes("ALL")) found.push("keeps Linux capabilities");
        return found.map((f) => `container ${c.name} ${f}. Fix: runAsNonRoot, allowPrivilegeEscalation: false and capabilities.drop: [ALL] in its securityContext`);
      });
    },
  },
  {
    name: "stateful-storage-persistent",
    concern: "reliability",
    description: "Every StatefulSet keeps its data on a PersistentVolumeClaim.",
    check: (r) => {
      if (r.type !== "kubernetes:apps/v1:StatefulSet") return [];
      return (r.props.spec?.volumeClaimTemplates ?? []).length > 0 ? [] : ["has no volumeClaimTemplates: data would be lost with the pod. Fix: give the service a volume (ServiceSpec.volume) so the platform adds a claim"];
    },
  },
  ...STACK_PROMISE_RULES,
];

/** Rules that need to see the whole stack at once. */
export const STACK_RULES: readonly StackPolicyRule[] = [
  {
    name: "ingress-certificates-issued",
    concern: "security",
    description: "Every Ingress TLS secret is issued by cert-manager: an Ingress of the stack carries an issuer annotation for it, or a Certificate names it.",
    check: (resources) => {
      const ns = (r: PolicyResource) => r.props.metadata?.namespace ?? "";
      const issued = new Set<string>();
      for (const r of resources) {
        const a = r.props.metadata?.annotations ?? {};
        if (r.type === INGRESS && (a["cert-manager.io/cluster-issuer"] || a["cert-manager.io/issuer"])) {
          for (const t of r.props.spec?.tls ?? []) issued.add(`${ns(r)}/${t.secretName}`);
        }
        if (r.type === CERTIFICATE) issued.add(`${ns(r)}/${r.props.spec?.secretName}`);
      }
      return resources
        .filter((r) => r.type === INGRESS)
        .flatMap((r) => (r.props.spec?.tls ?? []).filter((t: any) => !issued.has(`${ns(r)}/${t.secretName}`)).map((t: any) => `${r.name}: TLS secret ${t.secretName} is issued by no cert-manager annotation or Certificate. Fix: set kubernetes.clusterIssuer (the program annotates the Ingress)`));
    },
  },
];

/** All violations of all rules for a set of resources, as `rule: resource: message`. */
export function evaluate(resources: readonly PolicyResource[]): string[] {
  return [
    ...resources.flatMap((r) => RULES.flatMap((rule) => rule.check(r).map((m) => `${rule.name}: ${r.type} ${r.name}: ${m}`))),
    ...STACK_RULES.flatMap((rule) => rule.check(resources).map((m) => `${rule.name}: ${m}`)),
  ];
}
