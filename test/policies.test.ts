// Policy rules, called directly: on everything the local program creates (must pass) and on
// resources built to break each rule (must be caught).
import { beforeAll, describe, expect, it } from "vitest";
import { loadProgram } from "./support/program.js";
import { parse, stringify } from "yaml";
import { evaluate, isPinned, RULES, STACK_RULES, type PolicyResource } from "../policies/rules.js";
import { unauthenticatedReceivers } from "../policies/stack-promises.js";
import { CLIENT_SETTINGS_TYPE } from "../components/claude/client-settings-record.js";
import { LOKI_CONFIG_PATH } from "../components/loki.js";

/** A recorded resource, its inputs read freely by the cases below. */
type Recorded = PolicyResource & { props: Record<string, any> };
let local: Recorded[];

beforeAll(async () => {
  const { mocks } = await loadProgram("local", { docker: { waitForHealthy: false } });
  local = mocks.resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs }));
});

const rule = (name: string) => RULES.find((r) => r.name === name)!;
const deployment = (container: Record<string, unknown>, podSecurity: Record<string, unknown> = {}): PolicyResource => ({
  type: "kubernetes:apps/v1:Deployment",
  name: "d",
  props: { spec: { template: { spec: { securityContext: podSecurity, containers: [{ name: "c", image: "x/y:1.0", ...container }] } } } },
});

describe("policy rules", () => {
  it("find nothing wrong with the local stack", () => {
    expect(local.length).toBeGreaterThan(10);
    expect(evaluate(local)).toEqual([]);
  });

  it("recognise pinned and unpinned images", () => {
    expect(isPinned("prom/prometheus:v3.5.0")).toBe(true);
    expect(isPinned("registry.local:5000/team/img@sha256:" + "a".repeat(64))).toBe(true);
    expect(isPinned("registry.local:5000/team/img")).toBe(false);
    expect(isPinned("grafana/grafana:latest")).toBe(false);
    expect(isPinned("grafana/grafana")).toBe(false);
  });

  it("catch an unpinned image on Docker and on Kubernetes", () => {
    expect(rule("images-pinned").check({ type: "docker:index/remoteImage:RemoteImage", name: "i", props: { name: "grafana/grafana:latest" } })).toEqual([
      'image "grafana/grafana:latest" is not pinned to an exact version. Fix: give images.<service> a release tag or a digest, never latest',
    ]);
    expect(rule("images-pinned").check(deployment({ image: "otel/collector" }))).toEqual([
      expect.stringMatching(/^image "otel\/collector" is not pinned to an exact version\. Fix: /),
    ]);
  });

  it("catch a Docker port published on every interface", () => {
    const r = {
      type: "docker:index/container:Container",
      name: "c",
      props: {
        ports: [
          { internal: 3000, external: 3000, ip: "0.0.0.0" },
          { internal: 1, external: 2, ip: "127.0.0.1" },
        ],
      },
    };
    expect(rule("docker-ports-on-loopback").check(r)).toEqual([
      expect.stringMatching(
        /^port 3000 is published on 0\.0\.0\.0, not on loopback\. Fix: keep docker\.bindAddress at 127\.0\.0\.1, or set docker\.networkExposureAcknowledged: true/,
      ),
    ]);
  });

  it("catch default Grafana credentials and anonymous access", () => {
    const r = { type: "docker:index/container:Container", name: "g", props: { envs: ["GF_SECURITY_ADMIN_PASSWORD=admin", "GF_AUTH_ANONYMOUS_ENABLED=true"] } };
    expect(rule("grafana-no-default-credentials").check(r)).toEqual([
      "Grafana admin password is the default or empty. Fix: let the program generate it (GF_SECURITY_ADMIN_PASSWORD__FILE)",
      "Grafana allows anonymous access. Fix: remove GF_AUTH_ANONYMOUS_ENABLED",
    ]);
  });

  it("catch an Ingress without TLS", () => {
    const r = { type: "kubernetes:networking.k8s.io/v1:Ingress", name: "i", props: { metadata: {}, spec: { rules: [{ host: "otel.example.com" }] } } };
    expect(rule("ingress-tls").check(r)).toEqual([expect.stringMatching(/^host otel\.example\.com has no TLS section with a secret\. Fix: add spec\.tls/)]);
  });

  it("catch a TLS secret no cert-manager annotation or Certificate issues", () => {
    const ingress = (name: string, secretName: string, annotations = {}) => ({
      type: "kubernetes:networking.k8s.io/v1:Ingress",
      name,
      props: { metadata: { namespace: "t", annotations }, spec: { tls: [{ hosts: ["h"], secretName }], rules: [{ host: "h" }] } },
    });
    const issuedByPeer = [ingress("http", "otel-tls", { "cert-manager.io/cluster-issuer": "le" }), ingress("grpc", "otel-tls")];
    expect(evaluate(issuedByPeer)).toEqual([]);
    expect(evaluate([ingress("grpc", "otel-tls")])).toEqual([
      "ingress-certificates-issued: grpc: TLS secret otel-tls is issued by no cert-manager annotation or Certificate. Fix: set kubernetes.clusterIssuer (the program annotates the Ingress)",
    ]);
    const certificate = {
      type: "kubernetes:cert-manager.io/v1:Certificate",
      name: "c",
      props: { metadata: { namespace: "t" }, spec: { secretName: "otel-tls" } },
    };
    expect(evaluate([ingress("grpc", "otel-tls"), certificate])).toEqual([]);
  });

  it("catch unbounded, unprobed and privileged containers", () => {
    expect(rule("containers-bounded-and-probed").check(deployment({}))).toEqual([
      "container c lacks resource requests, a memory limit, a readiness probe, a liveness probe. Fix: give its ServiceSpec resources and a health check",
    ]);
    expect(
      rule("containers-restricted")
        .check(deployment({}))
        .map((m) => m.split(". Fix: ")[0]),
    ).toEqual(["container c may run as root", "container c allows privilege escalation", "container c keeps Linux capabilities"]);
    expect(rule("containers-restricted").check(deployment({}))[0]).toMatch(
      /Fix: runAsNonRoot, allowPrivilegeEscalation: false and capabilities\.drop: \[ALL\]/,
    );
    const ok = deployment({ securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }, { runAsNonRoot: true });
    expect(rule("containers-restricted").check(ok)).toEqual([]);
  });

  it("catch a StatefulSet without persistent storage", () => {
    expect(rule("stateful-storage-persistent").check({ type: "kubernetes:apps/v1:StatefulSet", name: "s", props: { spec: {} } })).toEqual([
      "has no volumeClaimTemplates: data would be lost with the pod. Fix: give the service a volume (ServiceSpec.volume) so the platform adds a claim",
    ]);
  });
});

describe("policy rules for what the stack promises", () => {
  const dockerContainer = (service: string) =>
    structuredClone(local.find((r) => r.type === "docker:index/container:Container" && r.props.name === `claude-telemetry-${service}`)!);
  const upload = (r: Recorded, file: string) => r.props.uploads.find((u: any) => u.file === file);
  const COLLECTOR_CONFIG = "/etc/otelcol-contrib/config.yaml";
  const LOKI_CONFIG = LOKI_CONFIG_PATH;
  const editYaml = (r: Recorded, file: string, edit: (doc: any) => void) => {
    const u = upload(r, file);
    const doc = parse(u.content);
    edit(doc);
    u.content = stringify(doc);
  };

  it("find the collector config, the client settings, Prometheus' flags and Loki's config in the local stack (the rules below read them)", () => {
    const collector = dockerContainer("collector");
    expect(parse(upload(collector, COLLECTOR_CONFIG).content).receivers.otlp.protocols).toHaveProperty("grpc");
    expect(dockerContainer("prometheus").props.command).toContain("--storage.tsdb.path=/prometheus");
    expect(parse(upload(dockerContainer("loki"), LOKI_CONFIG).content)).toHaveProperty("schema_config");
    const client = local.filter((r) => r.type === CLIENT_SETTINGS_TYPE);
    expect(client).toHaveLength(1);
    expect(client[0]!.props.env.CLAUDE_CODE_ENABLE_TELEMETRY).toBe("1");
  });

  it("otlp-ingest-authenticated: an unauthenticated collector is fine on loopback, refused once a port leaves it", () => {
    const collector = dockerContainer("collector");
    expect(unauthenticatedReceivers(parse(upload(collector, COLLECTOR_CONFIG).content))).toEqual([
      "otlp grpc: no auth.authenticator",
      "otlp http: no auth.authenticator",
    ]);
    expect(rule("otlp-ingest-authenticated").check(collector)).toEqual([]);
    collector.props.ports[0].ip = "0.0.0.0";
    expect(rule("otlp-ingest-authenticated").check(collector)).toEqual([
      expect.stringMatching(
        /^\/etc\/otelcol-contrib\/config\.yaml: otlp grpc: no auth\.authenticator, yet port \d+ is published on 0\.0\.0\.0: anyone who reaches it could write telemetry\. Fix: keep the stack's bearertokenauth/,
      ),
      expect.stringMatching(/^\/etc\/otelcol-contrib\/config\.yaml: otlp http: no auth\.authenticator, yet port/),
    ]);
  });

  it("otlp-ingest-authenticated: a ConfigMap's collector config needs an authenticator that is also enabled", () => {
    const config = {
      extensions: { bearertokenauth: {} },
      receivers: { otlp: { protocols: { grpc: { auth: { authenticator: "bearertokenauth" } }, http: {} } } },
      service: { extensions: ["bearertokenauth"], pipelines: { metrics: {} } },
    };
    const cm = (c: unknown): PolicyResource => ({
      type: "kubernetes:core/v1:ConfigMap",
      name: "c",
      props: { data: { "etc_otelcol-contrib_config.yaml": stringify(c) } },
    });
    expect(rule("otlp-ingest-authenticated").check(cm(config))).toEqual([
      expect.stringMatching(/^etc_otelcol-contrib_config\.yaml: otlp http: no auth\.authenticator, yet on Kubernetes the ingress publishes it/),
    ]);
    const notEnabled = structuredClone(config);
    notEnabled.receivers.otlp.protocols.http = { auth: { authenticator: "bearertokenauth" } };
    notEnabled.service.extensions = [];
    expect(rule("otlp-ingest-authenticated").check(cm(notEnabled))).toHaveLength(2);
    expect(rule("otlp-ingest-authenticated").check(cm(notEnabled))[0]).toContain(
      "otlp grpc: its authenticator bearertokenauth is not among service.extensions",
    );
    notEnabled.service.extensions = ["bearertokenauth"];
    expect(rule("otlp-ingest-authenticated").check(cm(notEnabled))).toEqual([]);
  });

  it("client-content-capture-acknowledged: prompt or tool-detail logging without the acknowledgement is refused", () => {
    const client = structuredClone(local.find((r) => r.type === CLIENT_SETTINGS_TYPE)!);
    expect(rule("client-content-capture-acknowledged").check(client)).toEqual([]);
    client.props.env.OTEL_LOG_USER_PROMPTS = "1";
    client.props.env.OTEL_LOG_TOOL_DETAILS = "1";
    const found = rule("client-content-capture-acknowledged").check(client);
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(
      /^the generated client settings set OTEL_LOG_USER_PROMPTS=1 without client\.contentCaptureAcknowledged: every developer's prompts would be collected unannounced\. Fix: /,
    );
    expect(found[1]).toMatch(/OTEL_LOG_TOOL_DETAILS=1 .*tool parameters/);
    client.props.contentCaptureAcknowledged = true;
    expect(rule("client-content-capture-acknowledged").check(client)).toEqual([]);
  });

  it("telemetry-retention-bounded: Prometheus without a retention flag, Loki without a retention period or compactor retention", () => {
    const prometheus = dockerContainer("prometheus");
    expect(rule("telemetry-retention-bounded").check(prometheus)).toEqual([]);
    prometheus.props.command = prometheus.props.command.filter((a: string) => !a.startsWith("--storage.tsdb.retention"));
    expect(rule("telemetry-retention-bounded").check(prometheus)).toEqual([
      expect.stringMatching(
        /^container claude-telemetry-prometheus stores a Prometheus TSDB without --storage\.tsdb\.retention\.time or \.size\. Fix: set prometheus\.retentionTime/,
      ),
    ]);
    const workload = deployment({ args: ["--storage.tsdb.path=/prometheus", "--storage.tsdb.retention.size=10GB"] });
    expect(rule("telemetry-retention-bounded").check(workload)).toEqual([]);

    const loki = dockerContainer("loki");
    expect(rule("telemetry-retention-bounded").check(loki)).toEqual([]);
    editYaml(loki, LOKI_CONFIG, (doc) => {
      delete doc.limits_config.retention_period;
      doc.compactor.retention_enabled = false;
    });
    expect(rule("telemetry-retention-bounded").check(loki)).toEqual([
      `${LOKI_CONFIG}: limits_config.retention_period is not set (Loki keeps data for ever). Fix: set loki.retentionPeriod; the program enables the compactor's retention`,
      `${LOKI_CONFIG}: compactor.retention_enabled is not true (no retention is applied). Fix: set loki.retentionPeriod; the program enables the compactor's retention`,
    ]);
  });

  it("each rule is security, privacy or reliability, and has a unique name", () => {
    const all = [...RULES, ...STACK_RULES];
    expect(new Set(all.map((r) => r.name)).size).toBe(all.length);
    expect(
      all
        .filter((r) => r.concern === "reliability")
        .map((r) => r.name)
        .sort(),
    ).toEqual(["containers-bounded-and-probed", "stateful-storage-persistent"]);
  });
});
