// What the policy rules share: the resource shape they read, the rule shape, and the helpers that
// find containers and their arguments in Docker and Kubernetes resources. No provider is loaded.

export interface PolicyResource {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, any>;
}

/**
 * What a rule guards. Security and privacy rules are mandatory by default, reliability rules
 * advisory; the pack's config can set any rule's level (policies/pack.ts).
 */
export type Concern = "security" | "privacy" | "reliability";

export interface PolicyRule {
  readonly name: string;
  readonly concern: Concern;
  readonly description: string;
  readonly check: (r: PolicyResource) => string[];
}

/** A rule that needs to see the whole stack at once. */
export interface StackPolicyRule {
  readonly name: string;
  readonly concern: Concern;
  readonly description: string;
  readonly check: (resources: readonly PolicyResource[]) => string[];
}

export const DOCKER_CONTAINER = "docker:index/container:Container";
export const WORKLOADS = new Set(["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet"]);
export const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1)$/;

export const isRecord = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every container of a workload's pod template. */
export function podContainers(r: PolicyResource): any[] {
  const spec = r.props?.spec?.template?.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
}

/** Each container of a workload with its command and arguments, as one list. */
export function containerArgs(r: PolicyResource): { name: string; args: string[] }[] {
  return podContainers(r).map((c) => ({ name: String(c.name), args: [...(c.command ?? []), ...(c.args ?? [])].map(String) }));
}

export type EnforcementLevel = "mandatory" | "advisory";

/** The level a rule has unless the pack's config says otherwise. */
export const defaultEnforcementLevel = (concern: Concern): EnforcementLevel => (concern === "reliability" ? "advisory" : "mandatory");
