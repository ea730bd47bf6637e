// Where verify finds each part of a deployed stack: flags first, then the stack outputs.
//
// Prometheus and Loki:
//   - a --prometheus-url / --loki-url flag is used as given (e.g. after `kubectl port-forward`);
//   - on the Kubernetes stack (or with --via-grafana) they are in-cluster only, so they are queried
//     through Grafana's datasource proxy, /api/datasources/proxy/uid/<uid>/…, with the Grafana admin
//     credentials: the same path Grafana's own panels take;
//   - on the Docker stack they are published on the host: Prometheus at the `prometheusUrl` output,
//     Loki on the same host at the port the stack file sets (docker.ports.loki, default 3100).
import { parsePrivacyPolicy, type PrivacyPolicy } from "./privacy.js";
import type { Protocol } from "../simulator/index.js";
import { DATASOURCE_UIDS } from "../components/grafana-provisioning.js";
import { bearerTokenFromEnv } from "../components/claude/managed-settings.js";
import { directEndpoint, grafanaProxyEndpoint, type ApiEndpoint, type Credentials } from "./http.js";

export interface VerifyFlags {
  stack?: string;
  grafanaUrl?: string;
  grafanaUser?: string;
  prometheusUrl?: string;
  lokiUrl?: string;
  otlpHttp?: string;
  otlpGrpc?: string;
  token?: string;
  protocol?: Protocol;
  viaGrafana?: boolean;
}

/** What the stack told us: its outputs (secrets in plain text) and the Loki port of its stack file. */
export interface StackFacts {
  outputs: Record<string, unknown>;
  /** Client env block (output `clientEnv`), already validated. */
  clientEnv?: Record<string, string>;
  /** docker.ports.loki of the stack file, when the stack runs on Docker. */
  dockerLokiPort?: number;
}

export interface Backend {
  readonly endpoint?: ApiEndpoint;
  /** Why there is no endpoint. */
  readonly missing?: string;
}

export interface Targets {
  readonly target?: "docker" | "kubernetes";
  readonly grafanaUrl?: string;
  readonly grafanaCredentials?: Credentials;
  readonly prometheus: Backend;
  readonly loki: Backend;
  readonly otlpHttp?: string;
  readonly otlpGrpc?: string;
  readonly token?: string;
  /** Protocol of the marked burst: the one clients are configured with. */
  readonly protocol: Protocol;
  /** mTLS/CA file paths from the client env block (as on a developer machine). */
  readonly tlsFiles: { ca?: string; cert?: string; key?: string };
  /** Every secret value, for masking. */
  readonly secrets: readonly string[];
  /** The stack's privacy policy (stack output `privacyPolicy`), when known. */
  readonly privacy?: PrivacyPolicy;
}

const str = (o: Record<string, unknown>, k: string): string | undefined => {
  const v = o[k];
  return typeof v === "string" && v !== "" ? v : undefined;
};

function protocolOf(env: Record<string, string> | undefined): Protocol | undefined {
  const p = env?.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (p === "grpc") return "grpc";
  // The simulator speaks protobuf over HTTP; http/json clients reach the same receiver.
  if (p === "http/protobuf" || p === "http/json") return "http/protobuf";
  return undefined;
}

/** Loki on the Docker host: the host of the published Prometheus URL, Loki's published port. */
export function dockerLokiUrl(prometheusUrl: string, lokiPort: number): string {
  const u = new URL(prometheusUrl);
  return `${u.protocol}//${u.host.replace(/:\d+$/, "")}:${lokiPort}`;
}

export function resolveTargets(flags: VerifyFlags, facts: StackFacts | undefined, env: NodeJS.ProcessEnv = {}): Targets {
  const out = facts?.outputs ?? {};
  const clientEnv = facts?.clientEnv;
  const t = str(out, "target");
  const target = t === "docker" || t === "kubernetes" ? t : undefined;

  const grafanaUrl = flags.grafanaUrl ?? str(out, "grafanaUrl");
  const user = flags.grafanaUser ?? str(out, "grafanaAdminUser") ?? env.GRAFANA_ADMIN_USER ?? (env.GRAFANA_ADMIN_PASSWORD ? "admin" : undefined);
  const password = env.GRAFANA_ADMIN_PASSWORD || str(out, "grafanaAdminPassword");
  const grafanaCredentials = user && password ? { user, password } : undefined;

  const proxied = (uid: string, what: string): Backend => {
    if (!grafanaUrl)
      return { missing: `${what} is in-cluster and no Grafana URL is known: pass --${what.toLowerCase()}-url (kubectl port-forward) or --grafana-url` };
    if (!grafanaCredentials)
      return { missing: `${what} is queried through Grafana, which needs the admin credentials (stack output or GRAFANA_ADMIN_PASSWORD)` };
    return { endpoint: grafanaProxyEndpoint(grafanaUrl, uid, grafanaCredentials) };
  };
  const inCluster = flags.viaGrafana === true || target === "kubernetes";
  const backend = (flagUrl: string | undefined, hostUrl: string | undefined, uid: string, what: string): Backend => {
    if (flagUrl) return { endpoint: directEndpoint(flagUrl) };
    if (inCluster) return proxied(uid, what);
    if (hostUrl) return { endpoint: directEndpoint(hostUrl) };
    if (grafanaUrl && grafanaCredentials) return proxied(uid, what);
    return { missing: `no ${what} URL: pass --${what.toLowerCase()}-url or --stack` };
  };

  const prometheusOutput = str(out, "prometheusUrl");
  const lokiOnHost = target === "docker" && prometheusOutput ? dockerLokiUrl(prometheusOutput, facts?.dockerLokiPort ?? 3100) : undefined;

  const otlpHttp = flags.otlpHttp ?? str(out, "otlpHttpEndpoint");
  const otlpGrpc = flags.otlpGrpc ?? str(out, "otlpGrpcEndpoint");
  const token = flags.token ?? str(out, "ingestToken") ?? (clientEnv ? bearerTokenFromEnv(clientEnv) : undefined) ?? (env.OTLP_INGEST_TOKEN || undefined);
  const protocol = flags.protocol ?? protocolOf(clientEnv) ?? (otlpHttp ? "http/protobuf" : "grpc");

  return {
    target,
    grafanaUrl,
    grafanaCredentials,
    prometheus: backend(flags.prometheusUrl, prometheusOutput, DATASOURCE_UIDS.prometheus, "Prometheus"),
    loki: backend(flags.lokiUrl, lokiOnHost, DATASOURCE_UIDS.loki, "Loki"),
    otlpHttp,
    otlpGrpc,
    token,
    protocol,
    tlsFiles: {
      ca: clientEnv?.OTEL_EXPORTER_OTLP_CERTIFICATE ?? clientEnv?.NODE_EXTRA_CA_CERTS,
      cert: clientEnv?.OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE ?? clientEnv?.CLAUDE_CODE_CLIENT_CERT,
      key: clientEnv?.OTEL_EXPORTER_OTLP_CLIENT_KEY ?? clientEnv?.CLAUDE_CODE_CLIENT_KEY,
    },
    secrets: [token, password].filter((s): s is string => typeof s === "string" && s.length > 0),
    privacy: parsePrivacyPolicy(out.privacyPolicy),
  };
}
