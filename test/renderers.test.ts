import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseSettings } from "../components/settings.js";
import { guaranteedLabels, INGEST_TOKEN_ENV } from "../components/collector.js";
import { renderCollectorConfig } from "../components/collector-config.js";
import { renderPrometheusConfig, prometheusArgs, prometheusSecretFiles, REMOTE_WRITE_PASSWORD_FILE } from "../components/prometheus.js";
import { renderLokiConfig } from "../components/loki.js";
import { renderDatasources, renderDashboardProvider, DATASOURCE_UIDS, GRAFANA_DASHBOARDS_DIR } from "../components/grafana-provisioning.js";
import { grafanaEnv } from "../components/grafana.js";
import { publicEndpoints } from "../components/endpoints.js";

const local = parseSettings({ target: "docker" }, "local");
const enterprise = parseSettings(
  { target: "kubernetes", kubernetes: { otlpHost: "otel.example.com", clusterIssuer: "le", grafanaHost: "grafana.example.com" } },
  "enterprise",
);
const targets = { prometheusRemoteWrite: "http://prometheus:9090/api/v1/write", lokiOtlp: "http://loki:3100/otlp", requireToken: false };

type Obj = Record<string, any>;
const collector = (s = local, t = targets): Obj => parse(renderCollectorConfig(s, t));

describe("collector config", () => {
  it("receives OTLP on 4317 (gRPC) and 4318 (HTTP) and answers health on 13133", () => {
    const c = collector();
    expect(c.receivers.otlp.protocols.grpc.endpoint).toBe("0.0.0.0:4317");
    expect(c.receivers.otlp.protocols.http.endpoint).toBe("0.0.0.0:4318");
    expect(c.extensions.health_check.endpoint).toBe("0.0.0.0:13133");
    expect(c.service.extensions).toEqual(["health_check"]);
  });

  it("limits memory where OTLP comes in, applies the privacy policy, then turns usage into per-person sums per batch", () => {
    const p = collector().service.pipelines;
    expect(p.metrics.processors).toEqual(["memory_limiter", "transform/labels", "transform/governance_mark"]);
    expect(p.metrics.exporters).toEqual(["forward/metrics", "forward/governance"]);
    expect(p["metrics/store"].processors).toEqual(["cumulative_to_delta", "transform/bound_labels", "transform/identity_chain", "batch"]);
    // One connector call per batch: the batch is the unit the per-person sums are made over.
    expect(p["metrics/store"].exporters).toEqual(["signal_to_metrics/usage"]);
    expect(p["metrics/usage"].receivers).toEqual(["signal_to_metrics/usage", "signal_to_metrics/api_events"]);
    // API requests and errors counted from the events, beside the events' way to Loki.
    expect(p["logs/api_events"]).toEqual({
      receivers: ["forward/logs"],
      processors: ["transform/event_labels", "batch"],
      exporters: ["signal_to_metrics/api_events"],
    });
    expect(p["metrics/usage"].processors).toEqual(["transform/usage_output", "filter/zero_usage", "batch"]);
    expect(p.logs.processors).toEqual(["memory_limiter", "transform/governance_mark"]);
    expect(p["logs/store"].processors).toEqual(["transform/scrub_content", "transform/identity_chain", "batch"]);
    const hashed = collector(parseSettings({ target: "docker", privacy: { identity: "hash" } }, "h")).service.pipelines;
    expect(hashed.metrics.processors).toEqual(["memory_limiter", "transform/labels", "transform/identity", "transform/governance_mark"]);
    expect(hashed.logs.processors).toEqual(["memory_limiter", "transform/identity", "transform/governance_mark"]);
  });

  it("writes metrics to Prometheus and sends events to Loki's OTLP endpoint, with no namespace and no debug exporter", () => {
    const c = collector();
    expect(c.exporters.prometheus_remote_write.http.endpoint).toBe(targets.prometheusRemoteWrite);
    // Resource attributes stay off the series (Claude Code copies the org ones onto data points).
    expect(c.exporters.prometheus_remote_write.resource_constant_labels).toBeUndefined();
    expect(c.exporters.prometheus_remote_write.resource_to_telemetry_conversion).toBeUndefined();
    expect(c.exporters.prometheus_remote_write.translation_strategy).toBe("UnderscoreEscapingWithSuffixes");
    expect(c.exporters["otlp_http/loki"].endpoint).toBe(targets.lokiOtlp);
    expect(renderCollectorConfig(local, targets)).not.toContain("namespace");
    // The deprecated `loki` exporter is not used: Loki 3 takes OTLP natively.
    expect(Object.keys(c.exporters).filter((id) => id.split("/")[0] === "loki")).toEqual([]);
    expect(c.exporters.debug).toBeUndefined();
    expect(c.service.pipelines["metrics/usage"].exporters).toEqual(["prometheus_remote_write"]);
    expect(c.service.pipelines["logs/store"].exporters).toEqual(["otlp_http/loki"]);
  });

  it("adds the debug exporter to both pipelines only when asked", () => {
    const c = collector(parseSettings({ target: "docker", collector: { debugExporter: true } }, "d"));
    expect(c.exporters.debug).toBeDefined();
    expect(c.service.pipelines["metrics/usage"].exporters).toContain("debug");
    expect(c.service.pipelines["logs/store"].exporters).toContain("debug");
  });

  it("lifts each label attribute from the resource only where the data point lacks it (no duplicate labels)", () => {
    const statements: string[] = collector().processors["transform/labels"].metric_statements;
    expect(statements).toEqual(
      ["service.name", "team", "department", "cost_center", "environment"].map(
        (key) =>
          `set(datapoint.attributes["${key}"], resource.attributes["${key}"]) where datapoint.attributes["${key}"] == nil and resource.attributes["${key}"] != nil`,
      ),
    );
    expect(guaranteedLabels(local)).toEqual(["service_name", "team", "department", "cost_center", "environment"]);
  });

  it("requires a bearer token on both receivers when asked, reading it from the environment", () => {
    const c = collector(enterprise, { ...targets, requireToken: true });
    expect(c.receivers.otlp.protocols.grpc.auth.authenticator).toBe("bearertokenauth");
    expect(c.receivers.otlp.protocols.http.auth.authenticator).toBe("bearertokenauth");
    expect(c.extensions.bearertokenauth.token).toBe(`\${env:${INGEST_TOKEN_ENV}}`);
    expect(c.service.extensions).toContain("bearertokenauth");
  });
});

describe("prometheus config", () => {
  const scrape = { collectorTelemetry: "collector:8888", loki: "loki:3100", grafana: "grafana:3000", alertmanager: "alertmanager:9093" };

  it("keeps retention from settings, accepts remote write and leaves the admin API off", () => {
    const s = parseSettings({ target: "docker", prometheus: { retentionTime: "30d", retentionSize: "20GB" } }, "l");
    const args = prometheusArgs(s);
    expect(args).toContain("--storage.tsdb.retention.time=30d");
    expect(args).toContain("--storage.tsdb.retention.size=20GB");
    expect(args).toContain("--web.enable-remote-write-receiver");
    expect(args.join(" ")).not.toContain("admin-api");
    expect(prometheusArgs(local).some((a) => a.startsWith("--storage.tsdb.retention.size"))).toBe(false);
  });

  it("scrapes the stack's own services and loads the rules file", () => {
    const c: Obj = parse(renderPrometheusConfig(local, scrape));
    expect(c.scrape_configs.map((j: Obj) => j.job_name)).toEqual(["prometheus", "otel-collector", "loki", "grafana", "alertmanager"]);
    expect(c.alerting.alertmanagers[0].static_configs[0].targets).toEqual(["alertmanager:9093"]);
    expect(c.scrape_configs[1].static_configs[0].targets).toEqual(["collector:8888"]);
    expect(c.rule_files).toHaveLength(1);
    expect(c.storage.tsdb.out_of_order_time_window).toBe("30m");
    expect(c.remote_write).toBeUndefined();
  });

  it("renders remote write only when configured, with credentials from files", () => {
    const s = parseSettings(
      {
        target: "docker",
        prometheus: {
          remoteWrite: { url: "https://mimir.example.com/api/v1/push", username: "tenant", password: "s3cret-value", headers: { "X-Scope-OrgID": "claude" } },
        },
      },
      "l",
    );
    const text = renderPrometheusConfig(s, scrape);
    expect(text).not.toContain("s3cret-value");
    const rw = (parse(text) as Obj).remote_write[0];
    expect(rw.url).toBe("https://mimir.example.com/api/v1/push");
    expect(rw.basic_auth).toEqual({ username: "tenant", password_file: REMOTE_WRITE_PASSWORD_FILE });
    expect(rw.headers).toEqual({ "X-Scope-OrgID": "claude" });
    const files = prometheusSecretFiles(s, { password: "s3cret-value" });
    expect(files).toEqual([{ path: REMOTE_WRITE_PASSWORD_FILE, content: "s3cret-value", secret: true }]);
  });
});

describe("loki config", () => {
  it("uses schema v13 on tsdb with structured metadata, retention and org attributes as index labels", () => {
    const c: Obj = parse(renderLokiConfig(parseSettings({ target: "docker", loki: { retentionPeriod: "90d" } }, "l")));
    expect(c.schema_config.configs[0]).toMatchObject({ store: "tsdb", schema: "v13", object_store: "filesystem" });
    expect(c.limits_config.allow_structured_metadata).toBe(true);
    expect(c.limits_config.retention_period).toBe("90d");
    expect(c.compactor.retention_enabled).toBe(true);
    expect(c.limits_config.otlp_config.resource_attributes.attributes_config[0].attributes).toEqual(["team", "department", "cost_center", "environment"]);
  });
});

describe("grafana provisioning", () => {
  it("provisions the three datasources with the fixed UIDs and the dashboard folder", () => {
    const ds: Obj = parse(
      renderDatasources(local, { prometheus: "http://prometheus:9090", loki: "http://loki:3100", alertmanager: "http://alertmanager:9093" }),
    );
    expect(ds.datasources.map((d: Obj) => [d.type, d.uid, d.url])).toEqual([
      ["prometheus", DATASOURCE_UIDS.prometheus, "http://prometheus:9090"],
      ["loki", DATASOURCE_UIDS.loki, "http://loki:3100"],
      ["alertmanager", DATASOURCE_UIDS.alertmanager, "http://alertmanager:9093"],
    ]);
    // The Prometheus datasource's alert rules are shown with this Alertmanager's state and silences.
    expect(ds.datasources[0].jsonData.alertmanagerUid).toBe(DATASOURCE_UIDS.alertmanager);
    expect(ds.datasources[2].jsonData).toEqual({ implementation: "prometheus", handleGrafanaManagedAlerts: false });
    const prov: Obj = parse(renderDashboardProvider());
    expect(prov.providers[0].options.path).toBe(GRAFANA_DASHBOARDS_DIR);
  });

  it("reads the admin password from a file and turns off anonymous access and sign-up", () => {
    const env = grafanaEnv(local, "http://127.0.0.1:3000");
    expect(env.GF_SECURITY_ADMIN_PASSWORD__FILE).toMatch(/^\/etc\/grafana\/secrets\//);
    expect(env).not.toHaveProperty("GF_SECURITY_ADMIN_PASSWORD");
    expect(env.GF_AUTH_ANONYMOUS_ENABLED).toBe("false");
    expect(env.GF_USERS_ALLOW_SIGN_UP).toBe("false");
    expect(grafanaEnv(enterprise, "https://grafana.example.com").GF_SECURITY_COOKIE_SECURE).toBe("true");
  });
});

describe("public endpoints", () => {
  it("are loopback URLs for docker and the ingress host for kubernetes", () => {
    expect(publicEndpoints(local)).toEqual({
      otlpGrpc: "http://127.0.0.1:4317",
      otlpHttp: "http://127.0.0.1:4318",
      grafana: "http://127.0.0.1:3000",
      prometheus: "http://127.0.0.1:9090",
      alertmanager: "http://127.0.0.1:9093",
    });
    const e = publicEndpoints(enterprise);
    expect(e.alertmanager).toBe("http://localhost:9093");
    expect(e.otlpGrpc).toBe("https://otel.example.com");
    expect(e.grafana).toBe("https://grafana.example.com");
  });
});
