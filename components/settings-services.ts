// The settings sections of the services: images, collector, prometheus, loki, grafana. Every field
// says what it means (the README's settings table is generated from it, see settings-doc.ts).
import { z } from "zod";
import { byteSize, crossCheck, dnsLabel, duration, pinnedImage, secret, url } from "./settings-fields.js";
import { IMAGES, type ServiceName } from "./images.js";
import { ORG_ATTRIBUTES } from "./claude/telemetry.js";

const image = (service: ServiceName) =>
  pinnedImage.default(IMAGES[service]).meta({ description: `override the ${service} image; must be pinned (no \`latest\`)`, shownDefault: "pinned version" });

export const imagesSchema = z
  .object({
    collector: image("collector"),
    prometheus: image("prometheus"),
    loki: image("loki"),
    grafana: image("grafana"),
    alertmanager: image("alertmanager"),
  })
  .strict();

export const collectorSchema = crossCheck(
  z
    .object({
      debugExporter: z.boolean().default(false).describe("also print received data in the collector's log (noisy; for debugging)"),
      memoryLimitMiB: z.number().int().min(64).max(65536).default(512).describe("memory_limiter limit; the container limit is 25 % above"),
      batchSize: z.number().int().min(1).max(100000).default(8192).describe("items per batch of the batch processor"),
      batchTimeout: duration().default("5s").describe("longest wait of the batch processor before it sends a batch"),
      deltaMaxStale: duration()
        .default("1h")
        .describe("how long delta_to_cumulative keeps an idle stream of the governance counts (what the privacy policy removed)"),
      // Lifted from the resource onto data points that lack them, so they are labels even for
      // clients that turned off Claude Code's own copy.
      labelAttributes: z
        .array(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_.]*$/, { message: "must be an attribute key such as team or cost_center" }))
        .max(20)
        .default([...ORG_ATTRIBUTES])
        .describe("resource attributes guaranteed as labels on every series"),
      // Defaults per target: settings.ts.
      replicas: z.number().int().min(1).max(100).optional().describe("fewest collector replicas (HPA lower bound; Kubernetes only)"),
      maxReplicas: z.number().int().min(1).max(200).optional().describe("most collector replicas (HPA upper bound; Kubernetes only)"),
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
      url: url().meta({
        description: "also write everything to this central Prometheus-compatible store (Mimir, Thanos, Cortex, a managed Prometheus)",
        shownDefault: "off",
      }),
      name: dnsLabel.default("central").describe("name of the remote write in Prometheus' own metrics"),
      username: z.string().min(1).optional().describe("basic auth user, with `password`"),
      password: secret(z.string().min(1)).optional().describe("basic auth password"),
      bearerToken: secret(z.string().min(1)).optional().describe("bearer token, instead of basic auth"),
      headers: z
        .record(z.string().regex(/^[A-Za-z0-9-]+$/, { message: "must be an HTTP header name (letters, digits, '-')" }), secret(z.string()))
        .default({})
        .describe("extra headers, e.g. `X-Scope-OrgID` for Mimir or Cortex tenants (values may be credentials)"),
    })
    .strict(),
  (r, report) => {
    if (r.password !== undefined && r.bearerToken !== undefined) report([], "set either password (basic auth) or bearerToken, not both");
    if ((r.password === undefined) !== (r.username === undefined)) report([], "basic auth needs both username and password");
  },
);

export const prometheusSchema = z
  .object({
    retentionTime: duration("a retention time").default("15d").describe("TSDB retention by time"),
    retentionSize: byteSize.optional().describe("TSDB retention by size, e.g. `10GB`"),
    scrapeInterval: duration().default("30s").describe("how often Prometheus scrapes the stack's own services"),
    evaluationInterval: duration().default("30s").describe("how often the recording and alerting rules are evaluated"),
    remoteWrite: remoteWriteSchema.optional(),
  })
  .strict();

export const lokiSchema = z
  .object({
    retentionPeriod: duration("a retention period").default("30d").describe("how long Loki keeps the events"),
  })
  .strict();

export const grafanaSchema = z
  .object({
    adminUser: z
      .string()
      .regex(/^[a-zA-Z0-9_.@-]{1,64}$/, { message: "must be a user name (letters, digits, _ . @ -)" })
      .default("admin")
      .describe("Grafana's admin user (its password is generated per stack)"),
    rootUrl: url().optional().meta({ description: "public URL of Grafana when it sits behind a proxy or ingress", shownDefault: "the stack's URL" }),
  })
  .strict();

export type RemoteWriteSettings = z.output<typeof remoteWriteSchema>;
