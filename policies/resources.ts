// What the policy rules share: the kinds of resource they read, typed by the providers' own input
// types (as @pulumi/policy's validateResourceOfType passes them), the rule shape, and helpers that
// find containers and their arguments. Types only: no provider is loaded here.
import type * as docker from "@pulumi/docker";
import type * as k8s from "@pulumi/kubernetes";
import type { Unwrap } from "@pulumi/pulumi";
import type { ClientSettingsRecordInputs } from "../components/claude/client-settings-record.js";
import { CLIENT_SETTINGS_TYPE } from "../components/claude/client-settings-record.js";

export { isRecord } from "../components/settings-fields.js";

/** A resource as a rule sees it: its type token, name and inputs. */
export interface PolicyResource {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
}

/** The inputs of each kind of resource a rule reads. */
export interface Kinds {
  dockerContainer: Unwrap<docker.ContainerArgs>;
  dockerImage: Unwrap<docker.RemoteImageArgs>;
  deployment: Unwrap<k8s.apps.v1.DeploymentArgs>;
  statefulSet: Unwrap<k8s.apps.v1.StatefulSetArgs>;
  daemonSet: Unwrap<k8s.apps.v1.DaemonSetArgs>;
  ingress: Unwrap<k8s.networking.v1.IngressArgs>;
  configMap: Unwrap<k8s.core.v1.ConfigMapArgs>;
  clientSettings: ClientSettingsRecordInputs;
}
export type Kind = keyof Kinds;

/** Each kind's type token. */
export const KIND_TYPES: { readonly [K in Kind]: string } = {
  dockerContainer: "docker:index/container:Container",
  dockerImage: "docker:index/remoteImage:RemoteImage",
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  daemonSet: "kubernetes:apps/v1:DaemonSet",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  configMap: "kubernetes:core/v1:ConfigMap",
  clientSettings: CLIENT_SETTINGS_TYPE,
};

export const kindOf = (type: string): Kind | undefined => (Object.keys(KIND_TYPES) as Kind[]).find((k) => KIND_TYPES[k] === type);

/**
 * What a rule guards. Security and privacy rules are mandatory by default, reliability rules
 * advisory; the pack's config can set any rule's level (policies/pack.ts).
 */
export type Concern = "security" | "privacy" | "reliability";

/** A check of one kind of resource: the violations it finds, each saying how to fix it. */
export type KindCheck<K extends Kind> = (props: Kinds[K], name: string) => string[];

export interface PolicyRule {
  readonly name: string;
  readonly concern: Concern;
  readonly description: string;
  /** The kinds it reads, each with its check. */
  readonly checks: { readonly [K in Kind]?: KindCheck<K> };
  /** Every violation of one resource (nothing for a kind the rule does not read). */
  readonly check: (r: PolicyResource) => string[];
}

/** A rule that needs to see the whole stack at once. */
export interface StackPolicyRule {
  readonly name: string;
  readonly concern: Concern;
  readonly description: string;
  readonly check: (resources: readonly PolicyResource[]) => string[];
}

/** A rule from its checks by kind; `check` dispatches on the resource's type. */
export function rule(r: Omit<PolicyRule, "check">): PolicyRule {
  return {
    ...r,
    check: (res) => {
      const kind = kindOf(res.type);
      const check = kind && (r.checks[kind] as KindCheck<Kind> | undefined);
      return check ? check(res.props as Kinds[Kind], res.name) : [];
    },
  };
}

export type EnforcementLevel = "mandatory" | "advisory";

/** The level a rule has unless the pack's config says otherwise. */
export const defaultEnforcementLevel = (concern: Concern): EnforcementLevel => (concern === "reliability" ? "advisory" : "mandatory");

export type Workload = Kinds["deployment"] | Kinds["statefulSet"] | Kinds["daemonSet"];
export type PodContainer = NonNullable<NonNullable<NonNullable<Workload["spec"]>["template"]["spec"]>["containers"]>[number];

export const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1)$/;

/** Every container of a workload's pod template. */
export function podContainers(w: Workload): PodContainer[] {
  const spec = w.spec?.template?.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
}

/** Each container of a workload with its command and arguments, as one list. */
export function containerArgs(w: Workload): { name: string; args: string[] }[] {
  return podContainers(w).map((c) => ({ name: String(c.name), args: [...(c.command ?? []), ...(c.args ?? [])].map(String) }));
}

/** A Docker port published beyond loopback (an address other than 127.x or ::1, or every interface). */
export const publishedBeyondLoopback = (p: NonNullable<Kinds["dockerContainer"]["ports"]>[number]) =>
  p.external !== undefined && !LOOPBACK.test(String(p.ip ?? "0.0.0.0"));
