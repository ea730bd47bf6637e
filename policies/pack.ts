// The PolicyPack a GitOps pipeline runs on every preview: `pulumi preview --policy-pack policies`.
import { PolicyPack } from "@pulumi/policy";
import { RULES, STACK_RULES } from "./rules.js";

new PolicyPack("claude-code-telemetry", {
  policies: [
    ...RULES.map((rule) => ({
      name: rule.name,
      description: rule.description,
      enforcementLevel: "mandatory" as const,
      validateResource: (args: { type: string; name: string; props: Record<string, any> }, reportViolation: (m: string) => void) => {
        for (const message of rule.check({ type: args.type, name: args.name, props: args.props })) reportViolation(message);
      },
    })),
    ...STACK_RULES.map((rule) => ({
      name: rule.name,
      description: rule.description,
      enforcementLevel: "mandatory" as const,
      validateStack: (args: { resources: { type: string; name: string; props: Record<string, any> }[] }, reportViolation: (m: string) => void) => {
        for (const message of rule.check(args.resources.map((r) => ({ type: r.type, name: r.name, props: r.props })))) reportViolation(message);
      },
    })),
  ],
});
