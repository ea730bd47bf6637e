// Policy rules as plain functions of (resource type, inputs): testable without the policy engine,
// wired into the PolicyPack by pack.ts. Each returns the violations it finds, empty when compliant.
import { NETWORK_EXPOSURE_LABEL } from "../components/platform/docker-names.js";

export interface PolicyResource {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, any>;
}

export interface PolicyRule {
  readonly name: string;
  readonly description: string;
  readonly check: (r: PolicyResource) => string[];
}

const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate";
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1)$/;

/** Every container of a workload's pod template. */
function podContainers(r: PolicyResource): any[] {
  const spec = r.props?.spec?.template?.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
}

const WORKLOADS = new Set(["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet"]);

/** An image reference is pinned when it has a tag other than latest, or a digest. */
export function isPinned(image: unknown): boolean {
  if (typeof image !== "string" || image === "") return false;
  if (image.includes("@sha256:")) return true;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : "";
  return tag !== "" && tag !== "latest";
}

export const RULES: readonly PolicyRule[] = [
  {
    name: "images-pinned",
    description: "Images are pinned to an exact version: no 'latest', no untagged references.",
    check: (r) => {
      const images: unknown[] = [];
      if (r.type === "docker:index/remoteImage:RemoteImage") images.push(r.props.name);
      if (WORKLOADS.has(r.type)) images.push(...podContainers(r).map((c) => c.image));
      return images.filter((i) => !isPinned(i)).map((i) => `image ${JSON.stringify(i)} is not pinned to an exact version`);
    },
  },
  {
    name: "docker-ports-on-loopback",
    description:
      "Docker ports are published on a loopback address only, so the stack stays private to the machine, unless the stack acknowledged network exposure (docker.networkExposureAcknowledged), which labels the container.",
    check: (r) => {
      if (r.type !== "docker:index/container:Container") return [];
      const acknowledged = (r.props.labels ?? []).some((l: any) => l.label === NETWORK_EXPOSURE_LABEL && l.value === "acknowledged");
      if (acknowledged) return [];
      return (r.props.ports ?? [])
        .filter((p: any) => p.external !== undefined && !LOOPBACK.test(String(p.ip ?? "0.0.0.0")))
        .map((p: any) => `port ${p.external} is published on ${p.ip ?? "every interface"}, not on loopback`);
    },
  },
  {
    name: "grafana-no-default-credentials",
    description: "Grafana never runs with the default or an empty admin password, or with anonymous access.",
    check: (r) => {
      const env: string[] =
        r.type === "docker:index/container:Container"
          ? (r.props.envs ?? [])
          : WORKLOADS.has(r.type)
            ? podContainers(r).flatMap((c) => (c.env ?? []).filter((e: any) => typeof e.value === "string").map((e: any) => `${e.name}=${e.value}`))
            : [];
      const found: string[] = [];
      if (env.some((e) => /^GF_SECURITY_ADMIN_PASSWORD=(admin)?$/.test(e))) found.push("Grafana admin password is the default or empty");
      if (env.includes("GF_AUTH_ANONYMOUS_ENABLED=true")) found.push("Grafana allows anonymous access");
      return found;
    },
  },
  {
    name: "ingress-tls",
    description: "Every host of every Ingress is served with TLS from a certificate secret.",
    check: (r) => {
      if (r.type !== INGRESS) return [];
      const hosts: string[] = (r.props.spec?.rules ?? []).map((x: any) => x.host);
      const tlsHosts = new Set((r.props.spec?.tls ?? []).flatMap((t: any) => (t.secretName ? t.hosts ?? [] : [])));
      return hosts.filter((h) => !tlsHosts.has(h)).map((h) => `host ${h} has no TLS section with a secret`);
    },
  },
  {
    name: "containers-bounded-and-probed",
    description: "Every Kubernetes container has resource requests and limits, readiness and liveness probes.",
    check: (r) => {
      if (!WORKLOADS.has(r.type)) return [];
      return podContainers(r).flatMap((c) => {
        const missing: string[] = [];
        if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) missing.push("resource requests");
        if (!c.resources?.limits?.memory) missing.push("a memory limit");
        if (!c.readinessProbe) missing.push("a readiness probe");
        if (!c.livenessProbe) missing.push("a liveness probe");
        return missing.length ? [`container ${c.name} lacks ${missing.join(", ")}`] : [];
      });
    },
  },
  {
    name: "containers-restricted",
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
        return found.map((f) => `container ${c.name} ${f}`);
      });
    },
  },
  {
    name: "stateful-storage-persistent",
    description: "Every StatefulSet keeps its data on a PersistentVolumeClaim.",
    check: (r) => {
      if (r.type !== "kubernetes:apps/v1:StatefulSet") return [];
      return (r.props.spec?.volumeClaimTemplates ?? []).length > 0 ? [] : ["has no volumeClaimTemplates: data would be lost with the pod"];
    },
  },
];

export interface StackPolicyRule {
  readonly name: string;
  readonly description: string;
  readonly check: (resources: readonly PolicyResource[]) => string[];
}

/** Rules that need to see the whole stack at once. */
export const STACK_RULES: readonly StackPolicyRule[] = [
  {
    name: "ingress-certificates-issued",
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
        .flatMap((r) => (r.props.spec?.tls ?? []).filter((t: any) => !issued.has(`${ns(r)}/${t.secretName}`)).map((t: any) => `${r.name}: TLS secret ${t.secretName} is issued by no cert-manager annotation or Certificate`));
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
