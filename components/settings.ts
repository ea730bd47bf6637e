// Stack settings: one zod schema for the whole stack (fields in settings-fields.ts), defaults per
// target, and parseSettings, which returns a typed object or stops with every problem at once, each
// naming its key in the project's words (settings-problems.ts).
import { z } from "zod";
import { byteSize, crossCheck, dnsLabel, duration, hostname, HOSTNAME_RE, IPV4_RE, ipv4, isLoopbackIpv4, isPort, isRecord, pinnedImage, port, quantity, secret, url } from "./settings-fields.js";
import { projectWording, SettingsError, settingsProblems } from "./settings-problems.js";
import { IMAGES } from "./images.js";
import { ORG_ATTRIBUTES } from "./claude/telemetry.js";
import { clientSettingsSchema } from "./claude/client-settings-schema.js";
import { privacySettingsSchema } from "./privacy.js";

export { CONFIG_NAMESPACE, SettingsError } from "./settings-problems.js";

// ---- sections ----------------------------------------------------------------------------------

const imagesSchema = z
  .object({
    collector: pinnedImage.default(IMAGES.collector),
    prometheus: pinnedImage.default(IMAGES.prometheus),
    loki: pinnedImage.default(IMAGES.loki),
    grafana: pinnedImage.default(IMAGES.grafana),
  })
  .strict();

const collectorSchema = crossCheck(
  z
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
    .strict(),
  (c, report) => {
    if (typeof c.replicas === "number" && typeof c.maxReplicas === "number" && c.maxReplicas < c.replicas) {
      report(["maxReplicas"], `must be at least collector.replicas (${c.replicas})`);
    }
  },
);

const remoteWriteSchema = crossCheck(
  z
    .object({
      url: url(),
      /** Free-text name shown in Prometheus' own metrics. */
      name: dnsLabel.default("central"),
      username: z.string().min(1).optional(),
      /** Secret: set with `pulumi config set --secret --path prometheus.remoteWrite.password`. */
      password: secret(z.string().min(1)).optional(),
      /** Secret: bearer token instead of basic auth. */
      bearerToken: secret(z.string().min(1)).optional(),
      /** Extra headers, e.g. `X-Scope-OrgID` for Mimir/Cortex tenants (values may be credentials). */
      headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, { message: "must be an HTTP header name (letters, digits, '-')" }), secret(z.string())).default({}),
    })
    .strict(),
  (r, report) => {
    if (r.password !== undefined && r.bearerToken !== undefined) report([], "set either password (basic auth) or bearerToken, not both");
    if ((r.password === undefined) !== (r.username === undefined)) report([], "basic auth needs both username and password");
  },
);

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

export const DOCKER_PORT_DEFAULTS = { otlpGrpc: 4317, otlpHttp: 4318, collectorHealth: 13133, prometheus: 9090, loki: 3100, grafana: 3000 } as const;

const dockerPortsSchema = crossCheck(
  z.object(Object.fromEntries(Object.entries(DOCKER_PORT_DEFAULTS).map(([k, v]) => [k, port.default(v)])) as { [K in keyof typeof DOCKER_PORT_DEFAULTS]: z.ZodDefault<typeof port> }).strict(),
  (p, report) => {
    const byPort = new Map<number, string[]>();
    for (const [name, value] of Object.entries({ ...DOCKER_PORT_DEFAULTS, ...p })) if (isPort(value)) byPort.set(value, [...(byPort.get(value) ?? []), name]);
    for (const [value, names] of byPort) {
      if (names.length > 1) report([], `every published port must be different: ${value} is given to ${names.join(" and ")}`);
    }
  },
);

const dockerSchema = crossCheck(
  z
    .object({
      /**
       * Host address the OTLP receivers and Grafana are published on. 127.0.0.1 keeps the stack
       * private to this machine; any other address needs networkExposureAcknowledged. Prometheus and
       * Loki (no login of their own) are published on 127.0.0.1 whatever this says.
       */
      bindAddress: ipv4.default("127.0.0.1"),
      /** Set to true to publish beyond loopback; the OTLP receivers then require a bearer token. */
      networkExposureAcknowledged: z.boolean().default(false),
      /** The name other machines reach this one by: the endpoints of the generated settings and Grafana's URL. */
      advertisedHost: z
        .string()
        .refine((h) => HOSTNAME_RE.test(h) || IPV4_RE.test(h), { message: "must be a host name or IPv4 address, such as telemetry.internal or 10.0.0.5" })
        .optional(),
      /** Address the deploying machine reaches the published ports at, for the health wait (default: where each is published). */
      healthCheckHost: z.string().min(1).optional(),
      ports: dockerPortsSchema.default({ ...DOCKER_PORT_DEFAULTS }),
      restart: z.enum(["no", "on-failure", "always", "unless-stopped"]).default("unless-stopped"),
      /** Wait during `pulumi up` until every service answers its health check. */
      waitForHealthy: z.boolean().default(true),
      healthTimeoutSeconds: z.number().int().min(5).max(1800).default(180),
    })
    .strict(),
  (d, report) => {
    if (typeof d.bindAddress !== "string" || !IPV4_RE.test(d.bindAddress) || isLoopbackIpv4(d.bindAddress)) return;
    if (d.networkExposureAcknowledged !== true) {
      report(
        ["bindAddress"],
        `${d.bindAddress} publishes the OTLP receivers and Grafana beyond this machine: set docker.networkExposureAcknowledged: true to confirm (OTLP then requires a bearer token; Prometheus and Loki stay on 127.0.0.1), or keep 127.0.0.1`,
      );
    } else if (d.bindAddress === "0.0.0.0" && d.advertisedHost === undefined) {
      report(["advertisedHost"], "is required with bindAddress 0.0.0.0: the name other machines reach this one by (the generated Claude Code settings point there)");
    }
  },
);

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

export const settingsSchema = crossCheck(
  z
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
    .strict(),
  (s, report) => {
    const k8s = isRecord(s.kubernetes) ? s.kubernetes : undefined;
    const client = isRecord(s.client) ? s.client : {};
    if (s.target === "kubernetes" && s.kubernetes === undefined) report(["kubernetes"], "is required when target is 'kubernetes' (otlpHost, clusterIssuer, …)");
    const tls = isRecord(client.tls) ? client.tls : {};
    if (typeof k8s?.clientCaPem === "string" && !(tls.certFile && tls.keyFile)) {
      report(["client", "tls"], "needs certFile and keyFile (paths on developer machines) when kubernetes.clientCaPem requires client certificates");
    }
    const attrEnv = isRecord(client.resourceAttributes) ? client.resourceAttributes.environment : undefined;
    if (typeof attrEnv === "string" && typeof s.environment === "string" && attrEnv !== s.environment) {
      report(["client", "resourceAttributes", "environment"], `differs from environment (${s.environment}); leave it out, the stack sets it`);
    }
  },
);

export type Settings = z.infer<typeof settingsSchema> & { stack: string; environment: string };
export type KubernetesSettings = NonNullable<z.infer<typeof kubernetesSchema>>;
export type RemoteWriteSettings = NonNullable<z.infer<typeof prometheusSchema>["remoteWrite"]>;

/** Defaults that differ by target, applied before validation where the stack file is silent. */
function targetDefaults(target: unknown): Record<string, unknown> {
  if (target === "kubernetes") return { collector: { replicas: 2, maxReplicas: 10 } };
  return {};
}

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
  const merged = deepMerge(targetDefaults(raw.target), raw);
  const result = settingsSchema.safeParse(merged, { error: projectWording });
  const problems = [...earlier, ...(result.success ? [] : settingsProblems(result.error.issues, merged, settingsSchema))];
  if (problems.length > 0 || !result.success) throw new SettingsError(problems);
  const s = result.data;
  return { ...s, stack, environment: s.environment ?? stack };
}
