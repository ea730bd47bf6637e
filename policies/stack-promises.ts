// Rules for what the stack promises its users, read from the configs the resources carry: the
// collector refuses unauthenticated OTLP wherever ingest is reachable beyond the machine, the
// generated client settings capture no prompt or tool content unless that was acknowledged, and
// every store of telemetry deletes it after a retention limit.
import { parse } from "yaml";
import { CLIENT_SETTINGS_TYPE, type ClientSettingsRecordInputs } from "../components/claude/client-settings-record.js";
import { containerArgs, DOCKER_CONTAINER, isRecord, LOOPBACK, WORKLOADS, type PolicyResource, type PolicyRule } from "./resources.js";

const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";

/** The config files a resource carries: a ConfigMap's values, a Docker container's uploads. */
function configFiles(r: PolicyResource): { name: string; doc: Record<string, any> }[] {
  const texts: [string, unknown][] =
    r.type === CONFIG_MAP
      ? Object.entries(r.props.data ?? {})
      : r.type === DOCKER_CONTAINER
        ? (r.props.uploads ?? []).map((u: any) => [String(u.file), u.content] as [string, unknown])
        : [];
  return texts.flatMap(([name, text]) => {
    if (typeof text !== "string" || !/\.ya?ml$/.test(name)) return [];
    try {
      const doc: unknown = parse(text);
      return isRecord(doc) ? [{ name, doc }] : [];
    } catch {
      return [];
    }
  });
}

const isCollectorConfig = (doc: Record<string, any>) => isRecord(doc.receivers) && isRecord(doc.service?.pipelines);
const isLokiConfig = (doc: Record<string, any>) => isRecord(doc.schema_config);

/** Where a resource makes OTLP ingest reachable from other machines, or undefined when it does not. */
function reachableFromOtherMachines(r: PolicyResource): string | undefined {
  if (r.type === CONFIG_MAP) return "on Kubernetes the ingress publishes it";
  if (r.type !== DOCKER_CONTAINER) return undefined;
  const exposed = (r.props.ports ?? []).find((p: any) => p.external !== undefined && !LOOPBACK.test(String(p.ip ?? "0.0.0.0")));
  return exposed ? `port ${exposed.external} is published on ${exposed.ip ?? "every interface"}` : undefined;
}

/** OTLP receivers (and each protocol) of a collector config that accept requests without an authenticator. */
export function unauthenticatedReceivers(doc: Record<string, any>): string[] {
  const enabled = new Set<string>((doc.service?.extensions ?? []).map(String));
  return Object.entries(doc.receivers as Record<string, any>)
    .filter(([id]) => id === "otlp" || id.startsWith("otlp/"))
    .flatMap(([id, receiver]) =>
      Object.entries((receiver?.protocols ?? {}) as Record<string, any>).flatMap(([protocol, p]) => {
        const auth = p?.auth?.authenticator;
        if (typeof auth !== "string" || auth === "") return [`${id} ${protocol}: no auth.authenticator`];
        if (!enabled.has(auth)) return [`${id} ${protocol}: its authenticator ${auth} is not among service.extensions`];
        return [];
      }),
    );
}

const retentionMissing = (doc: Record<string, any>): string[] => {
  const missing: string[] = [];
  const period = String(doc.limits_config?.retention_period ?? "");
  if (period === "" || /^0+[a-z]*$/.test(period)) missing.push("limits_config.retention_period is not set (Loki keeps data for ever)");
  if (doc.compactor?.retention_enabled !== true) missing.push("compactor.retention_enabled is not true (no retention is applied)");
  return missing;
};

export const STACK_PROMISE_RULES: readonly PolicyRule[] = [
  {
    name: "otlp-ingest-authenticated",
    concern: "security",
    description:
      "A collector whose OTLP ingest is reachable from other machines (Kubernetes, or Docker beyond loopback) requires a bearer token on every OTLP receiver protocol.",
    check: (r) => {
      const where = reachableFromOtherMachines(r);
      if (!where) return [];
      return configFiles(r)
        .filter((f) => isCollectorConfig(f.doc))
        .flatMap((f) =>
          unauthenticatedReceivers(f.doc).map(
            (m) =>
              `${f.name}: ${m}, yet ${where}: anyone who reaches it could write telemetry. Fix: keep the stack's bearertokenauth on the receivers (the program sets it on Kubernetes and for docker.bindAddress beyond loopback), or publish the ports on 127.0.0.1`,
          ),
        );
    },
  },
  {
    name: "client-content-capture-acknowledged",
    concern: "privacy",
    description:
      "The generated Claude Code settings turn on prompt or tool-detail logging only when the stack acknowledges that developers were told (client.contentCaptureAcknowledged).",
    check: (r) => {
      if (r.type !== CLIENT_SETTINGS_TYPE) return [];
      const { env, contentCaptureAcknowledged } = r.props as Partial<ClientSettingsRecordInputs>;
      if (contentCaptureAcknowledged === true) return [];
      return (["OTEL_LOG_USER_PROMPTS", "OTEL_LOG_TOOL_DETAILS"] as const)
        .filter((k) => env?.[k] !== undefined && env[k] !== "0" && env[k] !== "false")
        .map(
          (k) =>
            `the generated client settings set ${k}=${env?.[k]} without client.contentCaptureAcknowledged: every developer's ${k === "OTEL_LOG_USER_PROMPTS" ? "prompts" : "tool parameters"} would be collected unannounced. Fix: tell developers (the rollout guide says what is collected), then set client.contentCaptureAcknowledged: true, or turn the switch off`,
        );
    },
  },
  {
    name: "telemetry-retention-bounded",
    concern: "privacy",
    description:
      "Every store of telemetry deletes it after a limit: Prometheus runs with a retention time or size, Loki with a retention period applied by its compactor.",
    check: (r) => {
      const found: string[] = [];
      const commands: { name: string; args: string[] }[] =
        r.type === DOCKER_CONTAINER ? [{ name: String(r.props.name ?? r.name), args: (r.props.command ?? []).map(String) }] : WORKLOADS.has(r.type) ? containerArgs(r) : [];
      for (const c of commands) {
        if (!c.args.some((a) => a.startsWith("--storage.tsdb.path"))) continue;
        if (!c.args.some((a) => /^--storage\.tsdb\.retention\.(time|size)=\S+/.test(a)))
          found.push(`container ${c.name} stores a Prometheus TSDB without --storage.tsdb.retention.time or .size. Fix: set prometheus.retentionTime (and prometheus.retentionSize)`);
      }
      for (const f of configFiles(r).filter((x) => isLokiConfig(x.doc))) {
        for (const m of retentionMissing(f.doc)) found.push(`${f.name}: ${m}. Fix: set loki.retentionPeriod; the program enables the compactor's retention`);
      }
      return found;
    },
  },
];
