// NetworkPolicies: who may connect to what. Pure functions.
//
// Only ingress (incoming connections) is restricted. Egress stays open: the services need DNS, the
// collector may forward to external backends and Prometheus may remote-write off-cluster, and a
// compromised pod reaching out is better caught by the cluster's egress controls than guessed here.
//
// - a namespace-wide default deny: a pod admits nothing unless a policy below allows it;
// - per service: its own pods on every port (replicas, self-scrapes), then per port the peers of
//   `ServicePort.ingressFrom` (absent: every service of the stack; for a public port: only the
//   ingress controller), plus the ingress controller's namespace on ports that have an Ingress;
// - cert-manager's HTTP-01 solver pods (created in this namespace while a certificate is issued)
//   admit the ingress controller on their port.
// Kubelet probes come from the node and are not subject to these policies on common CNIs.
import type * as k8s from "@pulumi/kubernetes";
import type { KubernetesSettings } from "../settings.js";
import type { PortPeer, ServicePort, ServiceSpec } from "./spec.js";
import { selectorLabels, type KubernetesNaming } from "./kubernetes-names.js";
import { exposedPorts } from "./kubernetes-ingress.js";

type PolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type Rule = k8s.types.input.networking.v1.NetworkPolicyIngressRule;

/** Label every namespace carries with its own name (Kubernetes ≥ 1.21). */
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
/** Label and port of cert-manager's ACME HTTP-01 solver pods. */
const ACME_SOLVER_LABEL = "acme.cert-manager.io/http01-solver";
const ACME_SOLVER_PORT = 8089;

/** A peer set, in a stable order so rules with the same peers can be merged. */
type PeerKey = "stack" | PortPeer;

export function defaultDenySpec(): PolicySpec {
  return { podSelector: {}, policyTypes: ["Ingress"] };
}

export function acmeSolverSpec(settings: KubernetesSettings): PolicySpec {
  return {
    podSelector: { matchLabels: { [ACME_SOLVER_LABEL]: "true" } },
    policyTypes: ["Ingress"],
    ingress: [{ from: [ingressControllerPeer(settings)], ports: [{ port: ACME_SOLVER_PORT, protocol: "TCP" }] }],
  };
}

function ingressControllerPeer(settings: KubernetesSettings): Peer {
  return { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: settings.ingressControllerNamespace } } };
}

function peer(naming: KubernetesNaming, settings: KubernetesSettings, key: PeerKey): Peer {
  if (key === "ingress-controller") return ingressControllerPeer(settings);
  if (key === "stack") return { podSelector: { matchLabels: { "app.kubernetes.io/part-of": naming.prefix } } };
  return { podSelector: { matchLabels: selectorLabels(naming, key) } };
}

/** The peers allowed on one port, before turning them into selectors. */
export function portPeers(port: ServicePort, hasIngress: boolean): PeerKey[] {
  const declared: PeerKey[] = port.ingressFrom ? [...port.ingressFrom] : port.public ? [] : ["stack"];
  if (hasIngress && !declared.includes("ingress-controller")) declared.push("ingress-controller");
  return [...new Set(declared)].sort();
}

export function servicePolicySpec(naming: KubernetesNaming, settings: KubernetesSettings, spec: ServiceSpec): PolicySpec {
  const exposed = new Set(exposedPorts(settings, spec).map((p) => p.name));
  // Ports grouped by identical peer sets: one rule per group.
  const groups = new Map<string, { peers: PeerKey[]; ports: number[] }>();
  for (const port of spec.ports) {
    const peers = portPeers(port, exposed.has(port.name));
    if (peers.length === 0) continue;
    const key = peers.join(",");
    const group = groups.get(key) ?? { peers, ports: [] };
    group.ports.push(port.port);
    groups.set(key, group);
  }
  const rules: Rule[] = [
    // The service's own pods, on any port.
    { from: [{ podSelector: { matchLabels: selectorLabels(naming, spec.name) } }] },
    ...[...groups.values()].map((g) => ({
      from: g.peers.map((k) => peer(naming, settings, k)),
      ports: g.ports.map((port) => ({ port, protocol: "TCP" })),
    })),
  ];
  return {
    podSelector: { matchLabels: selectorLabels(naming, spec.name) },
    policyTypes: ["Ingress"],
    ingress: rules,
  };
}
