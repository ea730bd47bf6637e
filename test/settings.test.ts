import { describe, expect, it } from "vitest";
import { parseSettings, rawFromPulumiConfig, SettingsError, CONFIG_NAMESPACE } from "../components/settings.js";
import { IMAGES } from "../components/images.js";

function problems(raw: Record<string, unknown>): string[] {
  try {
    parseSettings(raw, "test");
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return (err as SettingsError).problems;
  }
  throw new Error("expected the settings to be refused");
}

const k8s = { otlpHost: "otel.example.com", clusterIssuer: "letsencrypt" };

describe("settings defaults", () => {
  it("fills a docker stack from nothing but the target", () => {
    const s = parseSettings({ target: "docker" }, "local");
    expect(s.environment).toBe("local");
    expect(s.images).toEqual(IMAGES);
    expect(s.prometheus.retentionTime).toBe("15d");
    expect(s.docker.bindAddress).toBe("127.0.0.1");
    expect(s.docker.ports.otlpGrpc).toBe(4317);
    expect(s.collector.debugExporter).toBe(false);
    expect(s.collector.replicas).toBeUndefined();
  });

  it("gives kubernetes stacks scaled collectors by default", () => {
    const s = parseSettings({ target: "kubernetes", kubernetes: k8s }, "enterprise");
    expect(s.collector.replicas).toBe(2);
    expect(s.collector.maxReplicas).toBe(10);
    expect(s.kubernetes?.namespace).toBe("claude-telemetry");
    expect(s.kubernetes?.storage.prometheus).toBe("50Gi");
  });

  it("keeps explicit values over target defaults", () => {
    const s = parseSettings({ target: "kubernetes", kubernetes: k8s, collector: { replicas: 4 } }, "e");
    expect(s.collector.replicas).toBe(4);
    expect(s.collector.maxReplicas).toBe(10);
  });

  it("reads Pulumi's flat config map, parsing JSON objects and scalars", () => {
    const raw = rawFromPulumiConfig({
      [`${CONFIG_NAMESPACE}:target`]: "docker",
      [`${CONFIG_NAMESPACE}:prometheus`]: '{"retentionTime":"30d"}',
      [`${CONFIG_NAMESPACE}:environment`]: "dev",
      "docker:host": "unix:///var/run/docker.sock",
    });
    expect(raw).toEqual({ target: "docker", prometheus: { retentionTime: "30d" }, environment: "dev" });
    expect(parseSettings(raw, "x").prometheus.retentionTime).toBe("30d");
  });
});

describe("bad settings stop with one message per problem naming the key", () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ["missing target", {}, /claude-code-telemetry:target: is required/],
    ["unknown target", { target: "nomad" }, /:target: must be 'docker' or 'kubernetes'.*"nomad"/],
    ["unknown top-level key", { target: "docker", grafanna: {} }, /:grafanna: unknown setting \(allowed here: target, environment/],
    ["unknown nested key", { target: "docker", prometheus: { retention: "15d" } }, /:prometheus\.retention: unknown setting \(allowed here: retentionTime/],
    ["bad retention", { target: "docker", prometheus: { retentionTime: "15x" } }, /:prometheus\.retentionTime: must be a retention time such as 15d.*"15x"/],
    ["bad size", { target: "docker", prometheus: { retentionSize: "10 gigs" } }, /:prometheus\.retentionSize: must be a size such as 512MB/],
    ["port out of range", { target: "docker", docker: { ports: { grafana: 70000 } } }, /:docker\.ports\.grafana: must be a port between 1 and 65535.*70000/],
    ["port of wrong type", { target: "docker", docker: { ports: { grafana: "3000" } } }, /:docker\.ports\.grafana: .*port/],
    ["duplicate ports", { target: "docker", docker: { ports: { grafana: 9090 } } }, /:docker\.ports: every published port must be different/],
    ["remote write URL not a URL", { target: "docker", prometheus: { remoteWrite: { url: "mimir:9009/api/v1/push" } } }, /:prometheus\.remoteWrite\.url: must be an absolute http or https URL/],
    ["latest image", { target: "docker", images: { grafana: "grafana/grafana:latest" } }, /:images\.grafana: must not use the 'latest' tag/],
    ["untagged image", { target: "docker", images: { loki: "grafana/loki" } }, /:images\.loki: must be pinned to an exact tag or digest/],
    ["bind address not an IP", { target: "docker", docker: { bindAddress: "localhost" } }, /:docker\.bindAddress: must be an IPv4 address/],
    ["kubernetes without its section", { target: "kubernetes" }, /:kubernetes: is required when target is 'kubernetes'/],
    ["host name with scheme", { target: "kubernetes", kubernetes: { ...k8s, otlpHost: "https://otel.example.com" } }, /:kubernetes\.otlpHost: must be a DNS host name/],
    ["maxReplicas below replicas", { target: "kubernetes", kubernetes: k8s, collector: { replicas: 5, maxReplicas: 3 } }, /:collector\.maxReplicas: must be at least collector\.replicas \(5\)/],
    ["basic auth half set", { target: "docker", prometheus: { remoteWrite: { url: "https://mimir.example.com/api/v1/push", username: "u" } } }, /:prometheus\.remoteWrite: basic auth needs both username and password/],
    ["boolean as string", { target: "docker", collector: { debugExporter: "yes" } }, /:collector\.debugExporter: .*boolean/i],
    ["bad attribute value", { target: "docker", client: { resourceAttributes: { team: "data science" } } }, /:client\.resourceAttributes\.team: must not contain spaces, commas or '='/],
    ["mTLS without client files", { target: "kubernetes", kubernetes: { ...k8s, clientCaPem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----" } }, /:client\.tls: needs certFile and keyFile/],
    ["conflicting environment attribute", { target: "docker", environment: "dev", client: { resourceAttributes: { environment: "prod" } } }, /:client\.resourceAttributes\.environment: differs from environment \(dev\)/],
    ["prompt logging without acknowledgement", { target: "docker", client: { logUserPrompts: true } }, /:client\.logUserPrompts: captures content/],
  ];

  it.each(cases)("%s", (_name, raw, expected) => {
    const found = problems(raw);
    expect(found.join("\n")).toMatch(expected);
  });

  it("reports every problem at once, not only the first", () => {
    const found = problems({ target: "docker", prometheus: { retentionTime: "15x" }, docker: { ports: { loki: 0 } }, extra: 1 });
    expect(found).toHaveLength(3);
  });

  it("puts the problem count and each key in the error message", () => {
    expect(() => parseSettings({ target: "docker", loki: { retentionPeriod: "1 month" } }, "t")).toThrow(
      /Invalid stack settings \(1 problem\):\n  - claude-code-telemetry:loki\.retentionPeriod: /,
    );
  });
});
