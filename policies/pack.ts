// The PolicyPack a GitOps pipeline runs on every preview: `pulumi preview --policy-pack policies`.
import { PolicyPack } from "@pulumi/policy";
import { RULES } from "./rules.js";

new PolicyPack("claude-code-telemetry", {
  policies: RULES.map((rule) => ({
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory" as const,
    validateResource: (args, reportViolation) => {
      for (const message of rule.check({ type: args.type, name: args.name, props: args.props })) reportViolation(message);
    },
  })),
});
