// The PolicyPack a GitOps pipeline runs on every preview: `pulumi preview --policy-pack policies`.
// Security and privacy rules are mandatory, reliability rules advisory; a pipeline changes any
// rule's level with `--policy-pack-config <file>` (policies/config.example.json shows the form).
// Each rule's checks are wired per resource class with @pulumi/policy's validateResourceOfType,
// which hands them the resource's inputs typed as the provider declares them.
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import {
  PolicyPack,
  validateResourceOfType,
  type ReportViolation,
  type ResourceValidation,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
} from "@pulumi/policy";
import type { CustomResourceOptions, Resource, Unwrap } from "@pulumi/pulumi";
import { defaultEnforcementLevel, KIND_TYPES, type Kinds, type PolicyRule } from "./resources.js";
import { RULES, STACK_RULES } from "./rules.js";

const report = (messages: string[], reportViolation: ReportViolation) => messages.forEach((m) => reportViolation(m));

/** The rule's check of one resource class, when it has one, as a typed validation. */
function of<TArgs>(
  check: ((props: Unwrap<NonNullable<TArgs>>, name: string) => string[]) | undefined,
  resourceClass: new (name: string, args: TArgs, opts?: CustomResourceOptions) => Resource,
): ResourceValidation[] {
  return check ? [validateResourceOfType(resourceClass, (props, args, reportViolation) => report(check(props, args.name), reportViolation))] : [];
}

/** One validation per kind the rule reads. */
function validations(rule: PolicyRule): ResourceValidation[] {
  const c = rule.checks;
  const clientSettings = c.clientSettings;
  return [
    ...of(c.dockerContainer, docker.Container),
    ...of(c.dockerImage, docker.RemoteImage),
    ...of(c.deployment, k8s.apps.v1.Deployment),
    ...of(c.statefulSet, k8s.apps.v1.StatefulSet),
    ...of(c.daemonSet, k8s.apps.v1.DaemonSet),
    ...of(c.ingress, k8s.networking.v1.Ingress),
    ...of(c.configMap, k8s.core.v1.ConfigMap),
    // The stack's own component has no class: matched by its type.
    ...(clientSettings
      ? [
          (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            if (args.type === KIND_TYPES.clientSettings) report(clientSettings(args.props as Kinds["clientSettings"], args.name), reportViolation);
          },
        ]
      : []),
  ];
}

const resourcePolicies: ResourceValidationPolicy[] = RULES.map((rule) => ({
  name: rule.name,
  description: rule.description,
  enforcementLevel: defaultEnforcementLevel(rule.concern),
  validateResource: validations(rule),
}));

const stackPolicies: StackValidationPolicy[] = STACK_RULES.map((rule) => ({
  name: rule.name,
  description: rule.description,
  enforcementLevel: defaultEnforcementLevel(rule.concern),
  validateStack: (args, reportViolation) => report(rule.check(args.resources.map((r) => ({ type: r.type, name: r.name, props: r.props }))), reportViolation),
}));

new PolicyPack("claude-code-telemetry", { policies: [...resourcePolicies, ...stackPolicies] });
