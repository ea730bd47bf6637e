// Stack settings: one zod schema for the whole stack, defaults per target, and a loader that turns
// Pulumi config into a typed object or stops with one message per problem, naming the key.
import { z } from "zod";
import { IMAGES } from "./images.js";
import { ORG_ATTRIBUTES } from "./claude/telemetry.js";
import { clientSettingsSchema } from "./claude/client-settings-schema.js";
import { privacySettingsSchema } from "./privacy.js";

/** Config namespace: the project name in Pulumi.yaml. */
export const CONFIG_NAMESPACE = "claude-code-telemetry";

// ---- reusable field types -------------------------------------------------------------------

/** Prometheus/Loki duration: units y w d h m s ms, largest first, e.g. `15d`, `1d12h`, `90s`. */
export const DURATION_RE = /^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/;
export const duration = (what = "a duration") =>
  z
    .string()
    .refine((s) => s !== "" && s !== "0" && DURATION_RE.test(s), {
      message: `must be ${what} such as 15d, 12h, 1w or 90s (units y, w, d, h, m, s, ms, largest first)`,
    });

/** Prometheus byte size (`--storage.tsdb.retention.size`): a whole number with B, KB, MB, GB, TB or PB. */
export const byteSize = z
  .string()
  .regex(/^[1-9]\d*(B|KB|MB|GB|TB|PB)$/, { message: "must be a size such as 512MB or 10GB (units B, KB, MB, GB, TB, PB)" });

/** Kubernetes quantity for storage requests, e.g. `20Gi`. */
export const quantity = z
  .string()
  .regex(/^[1-9]\d*(Ki|Mi|Gi|Ti|Pi|K|M|G|T|P)?$/, { message: "must be a Kubernetes quantity such as 20Gi or 500Mi" });

export const port = z
  .number({ message: "must be a port number" })
  .int({ message: "must be a whole port number" })
  .min(1, { message: "must be a port between 1 and 65535" })
  .max(65535, { message: "must be a port between 1 and 65535" });

export const url = (schemes: readonly string[] = ["http", "https"]) =>
  z.string().refine(
    (s) => {
      try {
        const u = new URL(s);
        return schemes.includes(u.protocol.replace(/:$/, "")) && u.hostname !== "";
      } catch {
        return false;
      }
    },
    { message: `must be an absolute ${schemes.join(" or ")} URL` },
  );

export const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, {
    message: "must be a DNS host name in lower case, such as otel.example.com (no scheme, no port)",
  });

const ipv4 = z
  .string()
  .regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/, { message: "must be an IPv4 address such as 127.0.0.1" });

/** DNS-1123 label: Kubernetes names, Docker name prefixes. */
export const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { message: "must be lower-case letters, digits and '-', at most 63 characters" });

/** An image reference pinned to an exact tag or digest; `latest` and untagged references are refused. */
export const pinnedImage = z
  .string()
  .regex(/^[a-z0-9]+([._\/-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(@sha256:[a-f0-9]{64})?$/, {
    message: "must be an image reference such as prom/prometheus:v3.13.5",
  })
  .refine((s) => /:[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(s.replace(/@sha256:.*/, "")) || s.includes("@sha256:"), {
    message: "must be pinned to an exact tag or digest",
  })
  .refine((s) => !/:latest(@|$)/.test(s), { message: "must not use the 'latest' tag: pin an exact version" });

// ---- sections ----------------------------------------------------------------------------------

const imagesSchema = z
  .object({
    collector: pinnedImage.default(IMAGES.collector),
    prometheus: pinnedImage.default(IMAGES.prometheus),
    loki: pinnedImage.default(IMAGES.loki),
    grafana: pinnedImage.default(IMAGES.grafana),
  })
  .strict();

const collectorSchema = z
  .object({
    /** Print every received item to the collector's log as well (noisy; for debugging only). */
    debugExporter: z.boolean().default(false),
    /** memory_limiter hard limit; the container/pod limit is set a little above it. */
    memoryLimitMiB: z.number().int().min(64).max(65536).default(512),
    batchSize: z.number().int().min(1).max(100000).default(8192),
    batchTimeout: duration().default("5s"),
    /** How long delta streams are remembered by the delta_to_cumulative processor before they are dropped. */
    deltaMaxStale: duration().default("1h"),
    /**
     * Resource attributes lifted onto every data point when the data point lacks them, so they are
     * Prometheus labels even for clients that turned off Claude Code's own copy.
     */
    labelAttributes: z
      .array(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_.]*$/, { message: "must be an attribute key such as team or cost_center" }))
      .max(20)
      .default([...ORG_ATTRIBUTES]),
    replicas: z.number().int().min(1).max(100).optional(),
    maxReplicas: z.number().int().min(1).max(200).optional(),
  })
  .strict();

const remoteWriteSchema = z
  .object({
    url: url(),
    /** Free-text name shown in Prometheus' own metrics. */
    name: dnsLabel.default("central"),
    username: z.string().min(1).optional(),
    /** Secret: set with `pulumi config set --secret --path prometheus.remoteWrite.password`. */
    password: z.string().min(1).optional(),
    /** Secret: bearer token instead of basic auth. */
    bearerToken: z.string().min(1).optional(),
    /** Extra headers, e.g. `X-Scope-OrgID` for Mimir/Cortex tenants. */
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string()).default({}),
  })
  .strict()
  .refine((r) => !(r.password && r.bearerToken), { message: "set either password (basic auth) or bearerToken, not both" })
  .refine((r) => (r.password === undefined) === (r.username === undefined), {
    message: "basic auth needs both username and password",
  });

const prometheusSchema = z
  .object({
    retentionTime: duration("a retention time").default("15d"),
    retentionSize: byteSize.optional(),
    scrapeInterval: duration().default("30s"),
    evaluationInterval: duration().default("30s"),
    remoteWrite: remoteWriteSchema.optional(),
  })
  .strict();

const lokiSchema = z
  .object({
    retentionPeriod: duration("a retention period").default("30d"),
  })
  .strict();

const grafanaSchema = z
  .object({
    adminUser: z.string().regex(/^[a-zA-Z0-9_.@-]{1,64}$/, { message: "must be a user name (letters, digits, _ . @ -)" }).default("admin"),
    /** Public URL of Grafana when it sits behind a proxy or ingress. */
    rootUrl: url().optional(),
  })
  .strict();

const dockerSchema = z
  .object({
    /** Host address the ports are published on. 127.0.0.1 keeps the stack private to this machine. */
    bindAddress: ipv4.default("127.0.0.1"),
    /** Address the deploying machine reaches the published ports at, for the health wait. */
    healthCheckHost: z.string().min(1).default("127.0.0.1"),
    ports: z
      .object({
        otlpGrpc: port.default(4317),
        otlpHttp: port.default(4318),
        collectorHealth: port.default(13133),
        prometheus: port.default(9090),
        loki: port.default(3100),
        grafana: port.default(3000),
      })
      .strict()
      .default({ otlpGrpc: 4317, otlpHttp: 4318, collectorHealth: 13133, prometheus: 9090, loki: 3100, grafana: 3000 })
      .refine((p) => new Set(Object.values(p)).size === Object.values(p).length, { message: "every published port must be different" }),
    restart: z.enum(["no", "on-failure", "always", "unless-stopped"]).default("unless-stopped"),
    /** Wait during `pulumi up` until every service answers its health check. */
    waitForHealthy: z.boolean().default(true),
    healthTimeoutSeconds: z.number().int().min(5).max(1800).default(180),
  })
  .strict();

const kubernetesSchema = z
  .object({
    namespace: dnsLabel.default("claude-telemetry"),
    /** kubeconfig context to deploy to; the ambient one when unset. */
    context: z.string().min(1).optional(),
    /** Host name of the public OTLP ingest, e.g. otel.example.com. */
    otlpHost: hostname,
    /** Host name of Grafana; Grafana gets no Ingress when unset. */
    grafanaHost: hostname.optional(),
    ingressClass: z.string().min(1).default("nginx"),
    /** cert-manager ClusterIssuer that signs the ingress certificates. */
    clusterIssuer: z.string().min(1),
    storageClass: z.string().min(1).optional(),
    storage: z
      .object({ prometheus: quantity.default("50Gi"), loki: quantity.default("50Gi"), grafana: quantity.default("5Gi") })
      .strict()
      .default({ prometheus: "50Gi", loki: "50Gi", grafana: "5Gi" }),
    /** Namespace of the ingress controller, the only one allowed to reach the OTLP ports. */
    ingressControllerNamespace: dnsLabel.default("ingress-nginx"),
    /** Raise to rotate the ingest token: a new token is generated for each generation. */
    ingestTokenGeneration: z.number().int().min(1).default(1),
    /** While rolling out a rotated token, also accept the previous generation's token. */
    acceptPreviousToken: z.boolean().default(false),
    /** PEM CA bundle; when set, the collector also requires client certificates signed by it (mTLS). */
    clientCaPem: z.string().includes("BEGIN CERTIFICATE", { message: "must be a PEM certificate bundle" }).optional(),
  })
  .strict();

export const settingsSchema = z
  .object({
    target: z.enum(["docker", "kubernetes"], { message: "must be 'docker' or 'kubernetes'" }),
    /** Value of the `environment` label and the managed settings' environment attribute. */
    environment: dnsLabel.optional(),
    /** Prefix of every container, volume, network and Kubernetes object name. */
    namePrefix: dnsLabel.default("claude-telemetry"),
    images: imagesSchema.default(imagesSchema.parse({})),
    collector: collectorSchema.default(collectorSchema.parse({})),
    prometheus: prometheusSchema.default(prometheusSchema.parse({})),
    loki: lokiSchema.default(lokiSchema.parse({})),
    grafana: grafanaSchema.default(grafanaSchema.parse({})),
    docker: dockerSchema.default(dockerSchema.parse({})),
    kubernetes: kubernetesSchema.optional(),
    client: clientSettingsSchema.default(clientSettingsSchema.parse({})),
    privacy: privacySettingsSchema.default(privacySettingsSchema.parse({})),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.target === "kubernetes" && !s.kubernetes) {
      ctx.addIssue({ code: "custom", path: ["kubernetes"], message: "is required when target is 'kubernetes' (otlpHost, clusterIssuer, …)" });
    }
    if (s.kubernetes?.clientCaPem && !(s.client.tls?.certFile && s.client.tls?.keyFile)) {
      ctx.addIssue({
        code: "custom",
        path: ["client", "tls"],
        message: "needs certFile and keyFile (paths on developer machines) when kubernetes.clientCaPem requires client certificates",
      });
    }
    const attrEnv = s.client.resourceAttributes.environment;
    if (attrEnv !== undefined && s.environment !== undefined && attrEnv !== s.environment) {
      ctx.addIssue({ code: "custom", path: ["client", "resourceAttributes", "environment"], message: `differs from environment (${s.environment}); leave it out, the stack sets it` });
    }
    const min = s.collector.replicas;
    const max = s.collector.maxReplicas;
    if (min !== undefined && max !== undefined && max < min) {
      ctx.addIssue({ code: "custom", path: ["collector", "maxReplicas"], message: `must be at least collector.replicas (${min})` });
    }
  });

export type Settings = z.infer<typeof settingsSchema> & { stack: string; environment: string };
export type KubernetesSettings = NonNullable<z.infer<typeof kubernetesSchema>>;
export type RemoteWriteSettings = NonNullable<z.infer<typeof prometheusSchema>["remoteWrite"]>;

/** Defaults that differ by target, applied before validation where the stack file is silent. */
function targetDefaults(target: unknown): Record<string, unknown> {
  if (target === "kubernetes") return { collector: { replicas: 2, maxReplicas: 10 } };
  return {};
}

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid stack settings (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` + problems.map((p) => `  - ${p}`).join("\n"));
    this.name = "SettingsError";
  }
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let v: unknown = input;
  for (const k of path) v = v && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

function describeReceived(input: unknown, path: PropertyKey[]): string {
  const v = valueAt(input, path);
  if (v === undefined) return "";
  const text = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return ` (got ${text.length > 60 ? text.slice(0, 57) + "..." : text})`;
}

function keyName(path: PropertyKey[]): string {
  if (path.length === 0) return CONFIG_NAMESPACE;
  const [top, ...rest] = path.map(String);
  return `${CONFIG_NAMESPACE}:${top}${rest.length ? "." + rest.join(".") : ""}`;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object" && !Array.isArray(b)
        ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/**
 * Validates raw stack config (keys without the namespace) and applies defaults.
 * Throws SettingsError listing every problem, each naming the full config key.
 */
export function parseSettings(raw: Record<string, unknown>, stack: string): Settings {
  const merged = deepMerge(targetDefaults(raw.target), raw);
  const result = settingsSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      if (issue.code === "unrecognized_keys") {
        return issue.keys
          .map((k) => `${keyName([...issue.path, k])}: unknown setting (allowed here: ${allowedKeys(issue.path).join(", ")})`)
          .join("\n  - ");
      }
      if (issue.code !== "custom" && valueAt(merged, issue.path) === undefined) {
        return `${keyName(issue.path)}: is required (${issue.message.replace(/^Invalid input: /, "")})`;
      }
      return `${keyName(issue.path)}: ${issue.message}${describeReceived(merged, issue.path)}`;
    });
    throw new SettingsError(problems);
  }
  const s = result.data;
  return { ...s, stack, environment: s.environment ?? stack };
}

function allowedKeys(path: PropertyKey[]): string[] {
  let schema: z.ZodType = settingsSchema;
  for (const key of path) {
    const shape = objectShape(schema);
    const next = shape?.[String(key)];
    if (!next) return [];
    schema = next;
  }
  return Object.keys(objectShape(schema) ?? {});
}

function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let s: unknown = schema;
  // Unwrap defaults, optionals and refinements down to the object.
  for (let i = 0; i < 10 && s; i++) {
    const def = (s as { _zod?: { def?: { type?: string; innerType?: unknown; in?: unknown; shape?: Record<string, z.ZodType> } } })._zod?.def;
    if (!def) return undefined;
    if (def.type === "object") return def.shape;
    s = def.innerType ?? def.in;
  }
  return undefined;
}

/**
 * Turns Pulumi's flat config map (`namespace:key` → string, objects JSON-encoded) into the raw
 * object `parseSettings` takes. Keys of other namespaces (docker:host, kubernetes:context) are left out.
 */
export function rawFromPulumiConfig(all: Record<string, string>, namespace = CONFIG_NAMESPACE): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  const prefix = `${namespace}:`;
  for (const [fullKey, value] of Object.entries(all)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    raw[key] = parseConfigValue(value);
  }
  return raw;
}

function parseConfigValue(value: string): unknown {
  const trimmed = value.trim();
  if (/^[[{]/.test(trimmed) || /^(true|false|-?\d+(\.\d+)?)$/.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return value;
    }
  }
  return value;
}
