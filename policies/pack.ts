// The PolicyPack a GitOps pipeline runs on every preview: `pulumi preview --policy-pack policies`.
// Security and privacy rules are mandatory, reliability rules advisory; a pipeline changes any
// rule's level with `--policy-pack-config <file>` (policies/config.example.json shows the form).
import { PolicyPack } from "@pulumi/policy";
import { defaultEnforcementLevel } from "./resources.js";
import { RULES, STACK_RULES } from "./rules.js";

type Props = Record<string, any>;

new PolicyPack("claude-code-telemetry", {
  policies: [
    ...RULES.map((rule) => ({
      name: rule.name,
      description: rule.description,
      enforcementLevel: defaultEnforcementLevel(rule.concern),
      validateResource: (args: { type: string; name: string; props: Props }, reportViolation: (m: string) => void) => {
        for (const message of rule.check({ type: args.type, name: args.name, props: args.props })) reportViolation(message);
      },
    })),
    ...STACK_RULES.map((rule) => ({
      name: rule.name,
      description: rule.description,
      enforcementLevel: defaultEnforcementLevel(rule.concern),
      validateStack: (args: { resources: { type: string; name: string; props: Props }[] }, reportViolation: (m: string) => void) => {
        for (const message of rule.check(args.resources.map((r) => ({ type: r.type, name: r.name, props: r.props })))) reportViolation(message);
      },
    })),
  ],
});
