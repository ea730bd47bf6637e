// Rules for what the stack promises its users, read from the configs the resources carry: the
// collector refuses unauthenticated OTLP wherever ingest is reachable beyond the machine, the
// generated client settings capture no prompt or tool content unless that was acknowledged, and
// every store of telemetry deletes it after a retention limit.
import { parse } from "yaml";
import { containerArgs, isRecord, publishedBeyondLoopback, rule, type Kinds, type PolicyRule, type Workload } from "./resources.js";

/** What the rules read of a collector or Loki config; every field may be missing or of another type. */
interface ConfigDoc {
  receivers?: Record<string, { protocols?: Record<string, { auth?: { authenticator?: unknown } } | null> } | null>;
  service?: { extensions?: unknown[]; pipelines?: unknown };
  schema_config?: unknown;
  limits_config?: { retention_period?: unknown };
  compactor?: { retention_enabled?: unknown };
}
type ConfigFile = { name: string; doc: ConfigDoc };

/** The YAML config files among (name, text) pairs, parsed; anything else is passed over. */
function yamlFiles(texts: readonly [string, unknown][]): ConfigFile[] {
  return texts.flatMap(([name, text]) => {
    if (typeof text !== "string" || !/\.ya?ml$/.test(name)) return [];
    try {
      const doc: unknown = parse(text);
      return isRecord(doc) ? [{ name, doc: doc as ConfigDoc }] : [];
    } catch {
      return [];
    }
  });
}

/** A ConfigMap's files, and a Docker container's uploaded ones. */
const configMapFiles = (cm: Kinds["configMap"]) => yamlFiles(Object.entries(cm.data ?? {}));
const uploadedFiles = (c: Kinds["dockerContainer"]) => yamlFiles((c.uploads ?? []).map((u) => [String(u.file), u.content]));

const isCollectorConfig = (doc: ConfigDoc) => isRecord(doc.receivers) && isRecord(doc.service?.pipelines);
const isLokiConfig = (doc: ConfigDoc) => isRecord(doc.schema_config);

/** OTLP receivers (and each protocol) of a collector config that accept requests without an authenticator. */
export function unauthenticatedReceivers(doc: ConfigDoc): string[] {
  const enabled = new Set<string>((doc.service?.extensions ?? []).map(String));
  return Object.entries(doc.receivers ?? {})
    .filter(([id]) => id === "otlp" || id.startsWith("otlp/"))
    .flatMap(([id, receiver]) =>
      Object.entries(receiver?.protocols ?? {}).flatMap(([protocol, p]) => {
        const auth = p?.auth?.authenticator;
        if (typeof auth !== "string" || auth === "") return [`${id} ${protocol}: no auth.authenticator`];
        if (!enabled.has(auth)) return [`${id} ${protocol}: its authenticator ${auth} is not among service.extensions`];
        return [];
      }),
    );
}

/** The violations of collector configs among `files`, for ingest reachable as `where` says. */
const unauthenticatedIngest = (files: ConfigFile[], where: string) =>
  files
    .filter((f) => isCollectorConfig(f.doc))
    .flatMap((f) =>
      unauthenticatedReceivers(f.doc).map(
        (m) =>
          `${f.name}: ${m}, yet ${where}: anyone who reaches it could write telemetry. Fix: keep the stack's bearertokenauth on the receivers (the program sets it on Kubernetes and for docker.bindAddress beyond loopback), or publish the ports on 127.0.0.1`,
      ),
    );

function lokiRetentionMissing(files: ConfigFile[]): string[] {
  return files
    .filter((f) => isLokiConfig(f.doc))
    .flatMap(({ name, doc }) => {
      const missing: string[] = [];
      const period = String(doc.limits_config?.retention_period ?? "");
      if (period === "" || /^0+[a-z]*$/.test(period)) missing.push("limits_config.retention_period is not set (Loki keeps data for ever)");
      if (doc.compactor?.retention_enabled !== true) missing.push("compactor.retention_enabled is not true (no retention is applied)");
      return missing.map((m) => `${name}: ${m}. Fix: set loki.retentionPeriod; the program enables the compactor's retention`);
    });
}

/** Containers that store a Prometheus TSDB (--storage.tsdb.path) without a retention flag. */
const prometheusRetentionMissing = (containers: { name: string; args: string[] }[]) =>
  containers
    .filter((c) => c.args.some((a) => a.startsWith("--storage.tsdb.path")) && !c.args.some((a) => /^--storage\.tsdb\.retention\.(time|size)=\S+/.test(a)))
    .map(
      (c) =>
        `container ${c.name} stores a Prometheus TSDB without --storage.tsdb.retention.time or .size. Fix: set prometheus.retentionTime (and prometheus.retentionSize)`,
    );

const workloadRetention = (w: Workload) => prometheusRetentionMissing(containerArgs(w));

export const STACK_PROMISE_RULES: readonly PolicyRule[] = [
  rule({
    name: "otlp-ingest-authenticated",
    concern: "security",
    description:
      "A collector whose OTLP ingest is reachable from other machines (Kubernetes, or Docker beyond loopback) requires a bearer token on every OTLP receiver protocol.",
    checks: {
      configMap: (cm) => unauthenticatedIngest(configMapFiles(cm), "on Kubernetes the ingress publishes it"),
      dockerContainer: (c) => {
        const exposed = (c.ports ?? []).find(publishedBeyondLoopback);
        return exposed ? unauthenticatedIngest(uploadedFiles(c), `port ${exposed.external} is published on ${exposed.ip ?? "every interface"}`) : [];
      },
    },
  }),
  rule({
    name: "client-content-capture-acknowledged",
    concern: "privacy",
    description:
      "The generated Claude Code settings turn on prompt or tool-detail logging only when the stack acknowledges that developers were told (client.contentCaptureAcknowledged).",
    checks: {
      clientSettings: ({ env, contentCaptureAcknowledged }) =>
        contentCaptureAcknowledged === true
          ? []
          : (["OTEL_LOG_USER_PROMPTS", "OTEL_LOG_TOOL_DETAILS"] as const)
              .filter((k) => env?.[k] !== undefined && env[k] !== "0" && env[k] !== "false")
              .map(
                (k) =>
                  `the generated client settings set ${k}=${env?.[k]} without client.contentCaptureAcknowledged: every developer's ${k === "OTEL_LOG_USER_PROMPTS" ? "prompts" : "tool parameters"} would be collected unannounced. Fix: tell developers (the rollout guide says what is collected), then set client.contentCaptureAcknowledged: true, or turn the switch off`,
              ),
    },
  }),
  rule({
    name: "telemetry-retention-bounded",
    concern: "privacy",
    description:
      "Every store of telemetry deletes it after a limit: Prometheus runs with a retention time or size, Loki with a retention period applied by its compactor.",
    checks: {
      dockerContainer: (c, name) => [
        ...prometheusRetentionMissing([{ name: String(c.name ?? name), args: (c.command ?? []).map(String) }]),
        ...lokiRetentionMissing(uploadedFiles(c)),
      ],
      configMap: (cm) => lokiRetentionMissing(configMapFiles(cm)),
      deployment: workloadRetention,
      statefulSet: workloadRetention,
      daemonSet: workloadRetention,
    },
  }),
];
