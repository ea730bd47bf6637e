// Policy rules as plain functions of typed resource inputs: testable without the policy engine,
// wired into the PolicyPack by pack.ts. Each returns the violations it finds, empty when compliant;
// each message says what is wrong and how to fix it.
import { NETWORK_EXPOSURE_LABEL } from "../components/platform/docker-names.js";
import {
  KIND_TYPES,
  podContainers,
  publishedBeyondLoopback,
  rule,
  type Kinds,
  type PolicyResource,
  type PolicyRule,
  type StackPolicyRule,
  type Workload,
} from "./resources.js";
import { STACK_PROMISE_RULES } from "./stack-promises.js";

export type { Concern, PolicyResource, PolicyRule, StackPolicyRule } from "./resources.js";

const CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate";

/** A container the program labelled after docker.networkExposureAcknowledged. */
const acknowledgedExposure = (c: Kinds["dockerContainer"]) => (c.labels ?? []).some((l) => l.label === NETWORK_EXPOSURE_LABEL && l.value === "acknowledged");

/** An image reference is pinned when it has a tag other than latest, or a digest. */
export function isPinned(image: unknown): boolean {
  if (typeof image !== "string" || image === "") return false;
  if (image.includes("@sha256:")) return true;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : "";
  return tag !== "" && tag !== "latest";
}

/** The same check for every kind of Kubernetes workload. */
const forWorkloads = (check: (w: Workload) => string[]) => ({ deployment: check, statefulSet: check, daemonSet: check });

const unpinned = (images: unknown[]) =>
  images
    .filter((i) => !isPinned(i))
    .map((i) => `image ${JSON.stringify(i)} is not pinned to an exact version. Fix: give images.<service> a release tag or a digest, never latest`);

const grafanaEnvProblems = (env: readonly string[]) => {
  const found: string[] = [];
  if (env.some((e) => /^GF_SECURITY_ADMIN_PASSWORD=(admin)?$/.test(e)))
    found.push("Grafana admin password is the default or empty. Fix: let the program generate it (GF_SECURITY_ADMIN_PASSWORD__FILE)");
  if (env.includes("GF_AUTH_ANONYMOUS_ENABLED=true")) found.push("Grafana allows anonymous access. Fix: remove GF_AUTH_ANONYMOUS_ENABLED");
  return found;
};

/** Rules that look at one resource at a time: the platform's guards, then the stack's promises. */
export const RULES: readonly PolicyRule[] = [
  rule({
    name: "images-pinned",
    concern: "security",
    description: "Images are pinned to an exact version: no 'latest', no untagged references.",
    checks: {
      dockerImage: (i) => unpinned([i.name]),
      ...forWorkloads((w) => unpinned(podContainers(w).map((c) => c.image))),
    },
  }),
  rule({
    name: "docker-ports-on-loopback",
    concern: "security",
    description:
      "Docker ports are published on a loopback address only, so the stack stays private to the machine, unless the stack acknowledged network exposure (docker.networkExposureAcknowledged), which labels the container.",
    checks: {
      dockerContainer: (c) =>
        acknowledgedExposure(c)
          ? []
          : (c.ports ?? [])
              .filter(publishedBeyondLoopback)
              .map(
                (p) =>
                  `port ${p.external} is published on ${p.ip ?? "every interface"}, not on loopback. Fix: keep docker.bindAddress at 127.0.0.1, or set docker.networkExposureAcknowledged: true to share the stack on a trusted network (which turns on the ingest token)`,
              ),
    },
  }),
  rule({
    name: "grafana-no-default-credentials",
    concern: "security",
    description: "Grafana never runs with the default or an empty admin password, or with anonymous access.",
    checks: {
      dockerContainer: (c) => grafanaEnvProblems(c.envs ?? []),
      ...forWorkloads((w) =>
        grafanaEnvProblems(podContainers(w).flatMap((c) => (c.env ?? []).flatMap((e) => (typeof e.value === "string" ? [`${e.name}=${e.value}`] : [])))),
      ),
    },
  }),
  rule({
    name: "ingress-tls",
    concern: "security",
    description: "Every host of every Ingress is served with TLS from a certificate secret.",
    checks: {
      ingress: (i) => {
        const tlsHosts = new Set((i.spec?.tls ?? []).flatMap((t) => (t.secretName ? (t.hosts ?? []) : [])));
        return (i.spec?.rules ?? [])
          .map((x) => x.host)
          .filter((h) => !tlsHosts.has(h ?? ""))
          .map((h) => `host ${h} has no TLS section with a secret. Fix: add spec.tls with the host and a secretName cert-manager issues`);
      },
    },
  }),
  rule({
    name: "containers-bounded-and-probed",
    concern: "reliability",
    description: "Every Kubernetes container has resource requests and limits, readiness and liveness probes.",
    checks: forWorkloads((w) =>
      podContainers(w).flatMap((c) => {
        const missing: string[] = [];
        if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) missing.push("resource requests");
        if (!c.resources?.limits?.memory) missing.push("a memory limit");
        if (!c.readinessProbe) missing.push("a readiness probe");
        if (!c.livenessProbe) missing.push("a liveness probe");
        return missing.length ? [`container ${c.name} lacks ${missing.join(", ")}. Fix: give its ServiceSpec resources and a health check`] : [];
      }),
    ),
  }),
  rule({
    name: "containers-restricted",
    concern: "security",
    description: "Kubernetes containers run as non-root, without privilege escalation, with all capabilities dropped.",
    checks: forWorkloads((w) => {
      const podSc = w.spec?.template?.spec?.securityContext ?? {};
      return podContainers(w).flatMap((c) => {
        const sc = c.securityContext ?? {};
        const found: string[] = [];
        if (!(sc.runAsNonRoot ?? podSc.runAsNonRoot)) found.push("may run as root");
        if (sc.allowPrivilegeEscalation !== false) found.push("allows privilege escalation");
        if (!(sc.capabilities?.drop ?? []).includes("ALL")) found.push("keeps Linux capabilities");
        return found.map(
          (f) => `container ${c.name} ${f}. Fix: runAsNonRoot, allowPrivilegeEscalation: false and capabilities.drop: [ALL] in its securityContext`,
        );
      });
    }),
  }),
  rule({
    name: "stateful-storage-persistent",
    concern: "reliability",
    description: "Every StatefulSet keeps its data on a PersistentVolumeClaim.",
    checks: {
      statefulSet: (s) =>
        (s.spec?.volumeClaimTemplates ?? []).length > 0
          ? []
          : ["has no volumeClaimTemplates: data would be lost with the pod. Fix: give the service a volume (ServiceSpec.volume) so the platform adds a claim"],
    },
  }),
  ...STACK_PROMISE_RULES,
];

/** Rules that need to see the whole stack at once. */
export const STACK_RULES: readonly StackPolicyRule[] = [
  {
    name: "ingress-certificates-issued",
    concern: "security",
    description: "Every Ingress TLS secret is issued by cert-manager: an Ingress of the stack carries an issuer annotation for it, or a Certificate names it.",
    check: (resources) => {
      const ingresses = resources.filter((r) => r.type === KIND_TYPES.ingress).map((r) => ({ name: r.name, props: r.props as Kinds["ingress"] }));
      const ns = (meta: { namespace?: string } | undefined) => meta?.namespace ?? "";
      const issued = new Set<string>();
      for (const { props } of ingresses) {
        const a = props.metadata?.annotations ?? {};
        if (a["cert-manager.io/cluster-issuer"] || a["cert-manager.io/issuer"]) {
          for (const t of props.spec?.tls ?? []) issued.add(`${ns(props.metadata)}/${t.secretName}`);
        }
      }
      // cert-manager's Certificate is a custom resource: no provider type describes its inputs.
      for (const r of resources.filter((x) => x.type === CERTIFICATE)) {
        const cert = r.props as { metadata?: { namespace?: string }; spec?: { secretName?: string } };
        issued.add(`${ns(cert.metadata)}/${cert.spec?.secretName}`);
      }
      return ingresses.flatMap(({ name, props }) =>
        (props.spec?.tls ?? [])
          .filter((t) => !issued.has(`${ns(props.metadata)}/${t.secretName}`))
          .map(
            (t) =>
              `${name}: TLS secret ${t.secretName} is issued by no cert-manager annotation or Certificate. Fix: set kubernetes.clusterIssuer (the program annotates the Ingress)`,
          ),
      );
    },
  },
];

/** All violations of all rules for a set of resources, as `rule: resource: message`. */
export function evaluate(resources: readonly PolicyResource[]): string[] {
  return [
    ...resources.flatMap((r) => RULES.flatMap((x) => x.check(r).map((m) => `${x.name}: ${r.type} ${r.name}: ${m}`))),
    ...STACK_RULES.flatMap((x) => x.check(resources).map((m) => `${x.name}: ${m}`)),
  ];
}
