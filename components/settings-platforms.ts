// The settings sections of the platforms: docker (the local stack) and kubernetes (the enterprise
// stack). Every field says what it means (the README's settings table is generated from it).
import { z } from "zod";
import { crossCheck, dnsLabel, hostname, HOSTNAME_RE, IPV4_RE, ipv4, isLoopbackIpv4, isPort, port, quantity } from "./settings-fields.js";
import { STACK_NAME } from "./stack-name.js";

const dockerPortsFields = z
  .object({
    otlpGrpc: port.default(4317).describe("host port of the collector's OTLP/gRPC receiver"),
    otlpHttp: port.default(4318).describe("host port of the collector's OTLP/HTTP receiver"),
    collectorHealth: port.default(13133).describe("host port of the collector's health check"),
    prometheus: port.default(9090).describe("host port of Prometheus (on 127.0.0.1)"),
    loki: port.default(3100).describe("host port of Loki (on 127.0.0.1)"),
    grafana: port.default(3000).describe("host port of Grafana"),
    alertmanager: port.default(9093).describe("host port of Alertmanager (on 127.0.0.1)"),
  })
  .strict();

/** The ingest token's first generation: Kubernetes raises it to rotate the token, a local stack never does. */
export const FIRST_TOKEN_GENERATION = 1;

/** The default ports, for the check across ports, which reads the input as given. */
const PORT_DEFAULTS = dockerPortsFields.parse({});

const dockerPortsSchema = crossCheck(dockerPortsFields, (p, report) => {
  const byPort = new Map<number, string[]>();
  for (const [name, value] of Object.entries({ ...PORT_DEFAULTS, ...p })) if (isPort(value)) byPort.set(value, [...(byPort.get(value) ?? []), name]);
  for (const [value, names] of byPort) {
    if (names.length > 1) report([], `every published port must be different: ${value} is given to ${names.join(" and ")}`);
  }
});

export const dockerSchema = crossCheck(
  z
    .object({
      // Prometheus and Loki have no login of their own, hence loopback whatever this says.
      bindAddress: ipv4
        .default("127.0.0.1")
        .describe(
          "host address of the OTLP ports, the collector's health port and Grafana (Prometheus, Loki and Alertmanager stay on 127.0.0.1); any other address needs " +
            "`docker.networkExposureAcknowledged` and turns on the ingest token ([Sharing the local stack](#sharing-the-local-stack-on-a-trusted-network))",
        ),
      networkExposureAcknowledged: z.boolean().default(false).describe("`true` confirms that publishing beyond loopback is meant"),
      advertisedHost: z
        .string()
        .refine((h) => HOSTNAME_RE.test(h) || IPV4_RE.test(h), { message: "must be a host name or IPv4 address, such as telemetry.internal or 10.0.0.5" })
        .optional()
        .meta({
          description: "the host name developers' machines use in the generated settings (and Grafana's URL)",
          shownDefault: "the bind address (127.0.0.1 for `0.0.0.0`)",
        }),
      healthCheckHost: z.string().min(1).optional().meta({
        description: "the address this machine reaches the published ports at, for the health wait (when Docker runs elsewhere)",
        shownDefault: "where each port is published (127.0.0.1 for `0.0.0.0`)",
      }),
      ports: dockerPortsSchema.prefault({}),
      restart: z.enum(["no", "on-failure", "always", "unless-stopped"]).default("unless-stopped").describe("restart policy of the containers"),
      waitForHealthy: z.boolean().default(true).describe("wait during `pulumi up` until every service answers its health check"),
      healthTimeoutSeconds: z.number().int().min(5).max(1800).default(180).describe("the longest health wait"),
    })
    .strict(),
  (d, report) => {
    if (typeof d.bindAddress !== "string" || !IPV4_RE.test(d.bindAddress) || isLoopbackIpv4(d.bindAddress)) return;
    if (d.networkExposureAcknowledged !== true) {
      report(
        ["bindAddress"],
        `${d.bindAddress} publishes the OTLP receivers and Grafana beyond this machine: set docker.networkExposureAcknowledged: true to confirm (OTLP then requires a bearer token; Prometheus, Loki and Alertmanager stay on 127.0.0.1), or keep 127.0.0.1`,
      );
    } else if (d.bindAddress === "0.0.0.0" && d.advertisedHost === undefined) {
      report(
        ["advertisedHost"],
        "is required with bindAddress 0.0.0.0: the name other machines reach this one by (the generated Claude Code settings point there)",
      );
    }
  },
);

export const kubernetesSchema = z
  .object({
    namespace: dnsLabel.default(STACK_NAME).describe("the namespace the enterprise stack goes to"),
    context: z.string().min(1).optional().meta({ description: "the kubeconfig context to deploy to", shownDefault: "the current context" }),
    otlpHost: hostname.describe("public host name of the OTLP ingest, e.g. `otel.example.com`"),
    grafanaHost: hostname.optional().describe("public host name of Grafana; without it Grafana gets no Ingress (`kubectl port-forward`)"),
    ingressClass: z.string().min(1).default("nginx").describe("ingress class of the Ingresses"),
    clusterIssuer: z.string().min(1).describe("cert-manager ClusterIssuer that signs the ingress certificates"),
    storageClass: z.string().min(1).optional().meta({ description: "storage class of the PVCs", shownDefault: "cluster default" }),
    storage: z
      .object({
        prometheus: quantity.default("50Gi").describe("size of Prometheus' PVC"),
        loki: quantity.default("50Gi").describe("size of Loki's PVC"),
        grafana: quantity.default("5Gi").describe("size of Grafana's PVC"),
        alertmanager: quantity.default("1Gi").describe("size of Alertmanager's PVC (silences and notification log)"),
      })
      .strict()
      .prefault({}),
    ingressControllerNamespace: dnsLabel.default("ingress-nginx").describe("namespace of the ingress controller, the only one allowed to reach the OTLP ports"),
    ingestTokenGeneration: z
      .number()
      .int()
      .min(FIRST_TOKEN_GENERATION)
      .default(FIRST_TOKEN_GENERATION)
      .describe("raise to rotate the ingest token: each generation has its own (token rotation, above)"),
    acceptPreviousToken: z.boolean().default(false).describe("while a rotated token rolls out, also accept the previous generation's"),
    clientCaPem: z
      .string()
      .includes("BEGIN CERTIFICATE", { message: "must be a PEM certificate bundle" })
      .optional()
      .describe("PEM CA bundle: require client certificates signed by it (mTLS) at the ingress"),
  })
  .strict();

export type DockerSettings = z.output<typeof dockerSchema>;
export type DockerPorts = DockerSettings["ports"];
export type KubernetesSettings = z.output<typeof kubernetesSchema>;
