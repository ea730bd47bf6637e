// Stack settings: one zod schema for the whole stack, made of the sections in settings-services.ts
// and settings-platforms.ts (fields in settings-fields.ts); the defaults that differ by target; and
// parseSettings, which returns a typed object or stops with every problem at once, each naming its
// key in the project's words (settings-problems.ts).
import { z } from "zod";
import { crossCheck, dnsLabel, DURATION_RE, isRecord } from "./settings-fields.js";
import { projectWording, SettingsError, settingsProblems } from "./settings-problems.js";
import { collectorSchema, grafanaSchema, imagesSchema, lokiSchema, prometheusSchema } from "./settings-services.js";
import { dockerSchema, kubernetesSchema, type KubernetesSettings } from "./settings-platforms.js";
import { clientSettingsSchema } from "./claude/client-settings-schema.js";
import { privacySettingsSchema } from "./privacy.js";
import { DEFAULT_IDENTITY_CHAIN, INSTALLATION_ATTRIBUTE } from "./usage-series.js";
import { alertingSchema } from "./settings-alerting.js";
import { durationMs } from "../lib/duration.js";
import { STACK_NAME } from "./stack-name.js";

export { CONFIG_NAMESPACE, SettingsError } from "./settings-problems.js";
export { FIRST_TOKEN_GENERATION } from "./settings-platforms.js";
export type { DockerPorts, DockerSettings, KubernetesSettings } from "./settings-platforms.js";
export type { RemoteWriteSettings } from "./settings-services.js";

const stackSchema = crossCheck(
  z
    .object({
      target: z.enum(["docker", "kubernetes"], { message: "must be 'docker' or 'kubernetes'" }).describe("`docker` or `kubernetes`"),
      environment: dnsLabel.optional().meta({ description: "`environment` label and resource attribute", shownDefault: "the stack name" }),
      namePrefix: dnsLabel.default(STACK_NAME).describe("prefix of container, volume, network and Kubernetes object names"),
      // prefault: a missing section is parsed from {}, so its fields' defaults are written once.
      images: imagesSchema.prefault({}),
      collector: collectorSchema.prefault({}),
      prometheus: prometheusSchema.prefault({}),
      loki: lokiSchema.prefault({}),
      grafana: grafanaSchema.prefault({}),
      docker: dockerSchema.prefault({}),
      kubernetes: kubernetesSchema.optional(),
      client: clientSettingsSchema.prefault({}),
      privacy: privacySettingsSchema.prefault({}),
      alerting: alertingSchema.prefault({}),
    })
    .strict(),
  (s, report) => {
    const k8s = isRecord(s.kubernetes) ? s.kubernetes : undefined;
    const client = isRecord(s.client) ? s.client : {};
    if (s.target === "kubernetes" && s.kubernetes === undefined) report(["kubernetes"], "is required when target is 'kubernetes' (otlpHost, clusterIssuer, …)");
    const tls = isRecord(client.tls) ? client.tls : {};
    if (typeof k8s?.clientCaPem === "string" && !(tls.certFile && tls.keyFile)) {
      report(["client", "tls"], "needs certFile and keyFile (paths on developer machines) when kubernetes.clientCaPem requires client certificates");
    }
    const alerting = isRecord(s.alerting) ? s.alerting : {};
    const retention = isRecord(s.prometheus) && typeof s.prometheus.retentionTime === "string" ? s.prometheus.retentionTime : "15d";
    if (typeof alerting.monthlyBudgetUsd === "number" && DURATION_RE.test(retention) && durationMs(retention) < MONTH_MS) {
      report(["alerting", "monthlyBudgetUsd"], `needs prometheus.retentionTime of 31d or more to see the whole month (it is ${retention})`);
    }
    // An identity from MDM counts only if the chain reads it, and reads it before the installation.
    const perUser = isRecord(client.perUserIdentity) ? client.perUserIdentity : undefined;
    const privacy = isRecord(s.privacy) ? s.privacy : {};
    const chain: unknown[] = Array.isArray(privacy.identityChain) ? privacy.identityChain : [...DEFAULT_IDENTITY_CHAIN];
    const perUserAttribute = perUser && typeof perUser.attribute === "string" ? perUser.attribute : perUser ? "enduser.id" : undefined;
    if (perUserAttribute !== undefined) {
      const at = chain.indexOf(perUserAttribute);
      const installation = chain.indexOf(INSTALLATION_ATTRIBUTE);
      if (at < 0)
        report(
          ["client", "perUserIdentity", "attribute"],
          `${perUserAttribute} is not in privacy.identityChain: no panel would count it, and the privacy policy would not hash or drop it`,
        );
      else if (installation >= 0 && installation < at)
        report(["client", "perUserIdentity", "attribute"], `${perUserAttribute} comes after user.id in privacy.identityChain, so it is never used`);
    }
    const attrEnv = isRecord(client.resourceAttributes) ? client.resourceAttributes.environment : undefined;
    if (typeof attrEnv === "string" && typeof s.environment === "string" && attrEnv !== s.environment) {
      report(["client", "resourceAttributes", "environment"], `differs from environment (${s.environment}); leave it out, the stack sets it`);
    }
  },
);

/** The longest calendar month: the forecast's month-to-date spend reads this far back. */
const MONTH_MS = 31 * 86_400_000;

type ParsedSettings = z.output<typeof stackSchema>;

/** The settings of one target: a Kubernetes stack always has its `kubernetes` section. */
export type StackSettings = (ParsedSettings & { target: "docker" }) | (ParsedSettings & { target: "kubernetes"; kubernetes: KubernetesSettings });

export const settingsSchema = stackSchema.transform((s): StackSettings => {
  if (s.target === "docker") return { ...s, target: s.target };
  if (s.kubernetes) return { ...s, target: s.target, kubernetes: s.kubernetes };
  // Unreachable: the check above refuses a Kubernetes stack without its section, and zod stops there.
  throw new Error("target 'kubernetes' needs the kubernetes settings");
});

export type Settings = StackSettings & { stack: string; environment: string };
export type KubernetesStackSettings = Extract<Settings, { target: "kubernetes" }>;

/** Defaults that differ by target, applied before validation where the stack file is silent. */
export const TARGET_DEFAULTS: Readonly<Record<Settings["target"], Record<string, unknown>>> = {
  docker: {},
  kubernetes: { collector: { replicas: 2, maxReplicas: 10 } },
};

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isRecord(v) && isRecord(b) ? deepMerge(b, v) : v;
  }
  return out;
}

/**
 * Validates raw stack config (keys without the namespace) and applies defaults. Throws SettingsError
 * listing every problem, `earlier` ones first (e.g. keys under a misspelt namespace), each naming
 * the full config key.
 */
export function parseSettings(raw: Record<string, unknown>, stack: string, earlier: readonly string[] = []): Settings {
  const defaults = raw.target === "docker" || raw.target === "kubernetes" ? TARGET_DEFAULTS[raw.target] : {};
  const merged = deepMerge(defaults, raw);
  const result = settingsSchema.safeParse(merged, { error: projectWording });
  const problems = [...earlier, ...(result.success ? [] : settingsProblems(result.error.issues, merged, settingsSchema))];
  if (problems.length > 0 || !result.success) throw new SettingsError(problems);
  const s = result.data;
  return { ...s, stack, environment: s.environment ?? stack };
}
