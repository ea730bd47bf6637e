import { describe, expect, it } from "vitest";
import { parseSettings, SettingsError, CONFIG_NAMESPACE } from "../components/settings.js";
import { settingsFromPulumiConfig } from "../components/settings-source.js";
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

  it("counts people by email, org identity and account, then installations, and takes an org's own chain", () => {
    expect(parseSettings({ target: "docker" }, "t").privacy.identityChain).toEqual(["user.email", "enduser.id", "user.account_uuid", "user.id"]);
    const own = parseSettings(
      { target: "docker", client: { perUserIdentity: { attribute: "employee.id" } }, privacy: { identityChain: ["employee.id", "user.email"] } },
      "t",
    );
    expect(own.privacy.identityChain).toEqual(["employee.id", "user.email"]);
  });

  it("keeps explicit values over target defaults", () => {
    const s = parseSettings({ target: "kubernetes", kubernetes: k8s, collector: { replicas: 4 } }, "e");
    expect(s.collector.replicas).toBe(4);
    expect(s.collector.maxReplicas).toBe(10);
  });

  it("reads Pulumi's flat config map, parsing JSON objects and scalars", () => {
    const { raw, problems } = settingsFromPulumiConfig({
      [`${CONFIG_NAMESPACE}:target`]: "docker",
      [`${CONFIG_NAMESPACE}:prometheus`]: '{"retentionTime":"30d"}',
      [`${CONFIG_NAMESPACE}:environment`]: "dev",
      "docker:host": "unix:///var/run/docker.sock",
      "kubernetes:context": "prod",
      "pulumi:tags": "{}",
    });
    expect(raw).toEqual({ target: "docker", prometheus: { retentionTime: "30d" }, environment: "dev" });
    expect(problems).toEqual([]);
    expect(parseSettings(raw, "x").prometheus.retentionTime).toBe("30d");
  });
});

describe("bad settings stop with one message per problem naming the key", () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ["missing target", {}, /claude-code-telemetry:target: is required/],
    ["unknown target", { target: "nomad" }, /:target: must be 'docker' or 'kubernetes'.*"nomad"/],
    [
      "unknown top-level key",
      { target: "docker", grafanna: {} },
      /:grafanna: unknown setting \(did you mean claude-code-telemetry:grafana\?\) \(allowed here: target, environment/,
    ],
    ["unknown nested key", { target: "docker", prometheus: { retention: "15d" } }, /:prometheus\.retention: unknown setting \(allowed here: retentionTime/],
    ["empty identity chain", { target: "docker", privacy: { identityChain: [] } }, /:privacy\.identityChain: needs at least one attribute/],
    [
      "identity chain naming an attribute twice",
      { target: "docker", privacy: { identityChain: ["user.email", "user.email"] } },
      /:privacy\.identityChain: names an attribute twice/,
    ],
    [
      "MDM identity the chain does not read",
      { target: "docker", client: { perUserIdentity: { attribute: "employee.id" } } },
      /:client\.perUserIdentity\.attribute: employee\.id is not in privacy\.identityChain/,
    ],
    [
      "MDM identity after the installation",
      { target: "docker", client: { perUserIdentity: {} }, privacy: { identityChain: ["user.email", "user.id", "enduser.id"] } },
      /:client\.perUserIdentity\.attribute: enduser\.id comes after user\.id/,
    ],
    ["bad retention", { target: "docker", prometheus: { retentionTime: "15x" } }, /:prometheus\.retentionTime: must be a retention time such as 15d.*"15x"/],
    ["bad size", { target: "docker", prometheus: { retentionSize: "10 gigs" } }, /:prometheus\.retentionSize: must be a size such as 512MB/],
    ["port out of range", { target: "docker", docker: { ports: { grafana: 70000 } } }, /:docker\.ports\.grafana: must be a port between 1 and 65535.*70000/],
    ["port of wrong type", { target: "docker", docker: { ports: { grafana: "3000" } } }, /:docker\.ports\.grafana: .*port/],
    ["duplicate ports", { target: "docker", docker: { ports: { grafana: 9090 } } }, /:docker\.ports: every published port must be different/],
    [
      "remote write URL not a URL",
      { target: "docker", prometheus: { remoteWrite: { url: "mimir:9009/api/v1/push" } } },
      /:prometheus\.remoteWrite\.url: must be an absolute http or https URL/,
    ],
    ["latest image", { target: "docker", images: { grafana: "grafana/grafana:latest" } }, /:images\.grafana: must not use the 'latest' tag/],
    ["untagged image", { target: "docker", images: { loki: "grafana/loki" } }, /:images\.loki: must be pinned to an exact tag or digest/],
    ["bind address not an IP", { target: "docker", docker: { bindAddress: "localhost" } }, /:docker\.bindAddress: must be an IPv4 address/],
    ["kubernetes without its section", { target: "kubernetes" }, /:kubernetes: is required when target is 'kubernetes'/],
    [
      "host name with scheme",
      { target: "kubernetes", kubernetes: { ...k8s, otlpHost: "https://otel.example.com" } },
      /:kubernetes\.otlpHost: must be a DNS host name/,
    ],
    [
      "maxReplicas below replicas",
      { target: "kubernetes", kubernetes: k8s, collector: { replicas: 5, maxReplicas: 3 } },
      /:collector\.maxReplicas: must be at least collector\.replicas \(5\)/,
    ],
    [
      "basic auth half set",
      { target: "docker", prometheus: { remoteWrite: { url: "https://mimir.example.com/api/v1/push", username: "u" } } },
      /:prometheus\.remoteWrite: basic auth needs both username and password/,
    ],
    ["boolean as string", { target: "docker", collector: { debugExporter: "yes" } }, /:collector\.debugExporter: must be true or false \(got "yes"\)$/],
    [
      "bad attribute value",
      { target: "docker", client: { resourceAttributes: { team: "data science" } } },
      /:client\.resourceAttributes\.team: must not contain spaces, commas or '='/,
    ],
    [
      "mTLS without client files",
      { target: "kubernetes", kubernetes: { ...k8s, clientCaPem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----" } },
      /:client\.tls: needs certFile and keyFile/,
    ],
    [
      "conflicting environment attribute",
      { target: "docker", environment: "dev", client: { resourceAttributes: { environment: "prod" } } },
      /:client\.resourceAttributes\.environment: differs from environment \(dev\)/,
    ],
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
      /Invalid stack settings \(1 problem\):\n {2}- claude-code-telemetry:loki\.retentionPeriod: /,
    );
  });
});

describe("settings errors a person can act on", () => {
  const text = (raw: Record<string, unknown>) => problems(raw).join("\n");

  it("says how to set a nested key when a dotted key was set without --path", () => {
    expect(problems({ target: "docker", "docker.ports.grafana": 3001 })).toEqual([
      "claude-code-telemetry:docker.ports.grafana: not read: this is one flat key with dots in its name, and nested keys are set with --path, " +
        "e.g. pulumi config set --path 'claude-code-telemetry:docker.ports.grafana' <value> (remove this one with pulumi config rm 'claude-code-telemetry:docker.ports.grafana')",
    ]);
  });

  it("reports keys under a misspelt namespace instead of ignoring them", () => {
    const { raw, problems: found } = settingsFromPulumiConfig({
      "claude-code-telemtry:target": "docker",
      "claude-code-telemetry:loki": '{"retentionPeriod":"7d"}',
    });
    expect(found).toEqual([
      "claude-code-telemtry:target: not read: the namespace 'claude-code-telemtry' is not this project's (did you mean claude-code-telemetry:target?)",
    ]);
    let message = "";
    try {
      parseSettings(raw, "local", found);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(
      "Invalid stack settings (2 problems):\n" +
        "  - claude-code-telemtry:target: not read: the namespace 'claude-code-telemtry' is not this project's (did you mean claude-code-telemetry:target?)\n" +
        "  - claude-code-telemetry:target: is required (must be 'docker' or 'kubernetes')",
    );
  });

  it("suggests the setting a misspelt key was meant to be", () => {
    expect(text({ target: "docker", prometheus: { retentionTme: "15d" } })).toMatch(
      /:prometheus\.retentionTme: unknown setting \(did you mean claude-code-telemetry:prometheus\.retentionTime\?\)/,
    );
    expect(text({ target: "docker", zzz: 1 })).not.toMatch(/did you mean/);
  });

  // Each of these cross-field problems used to appear only once every field error was fixed.
  const crossWithFieldErrors: Array<[string, Record<string, unknown>, string[]]> = [
    [
      "duplicate ports beside a bad restart policy and a fractional timeout",
      { target: "docker", docker: { ports: { grafana: 9090 }, restart: "sometimes", healthTimeoutSeconds: 1.5 } },
      [
        "claude-code-telemetry:docker.ports: every published port must be different: 9090 is given to prometheus and grafana",
        "claude-code-telemetry:docker.restart: must be one of 'no', 'on-failure', 'always', 'unless-stopped' (got \"sometimes\")",
        "claude-code-telemetry:docker.healthTimeoutSeconds: must be a whole number (got 1.5)",
      ],
    ],
    [
      "content capture without acknowledgement beside a bad protocol",
      { target: "docker", client: { logToolDetails: true, protocol: "udp", shutdownTimeoutMs: 0.5 } },
      [
        "claude-code-telemetry:client.protocol: must be 'grpc' or 'http/protobuf' (got \"udp\")",
        "claude-code-telemetry:client.shutdownTimeoutMs: must be a whole number (got 0.5)",
        "claude-code-telemetry:client.logToolDetails: captures content developers type or run: also set client.contentCaptureAcknowledged: true once they were told (got true)",
      ],
    ],
    [
      "maxReplicas below replicas beside a fractional batch size",
      { target: "kubernetes", kubernetes: k8s, collector: { replicas: 5, maxReplicas: 3, batchSize: 1.5 } },
      [
        "claude-code-telemetry:collector.batchSize: must be a whole number (got 1.5)",
        "claude-code-telemetry:collector.maxReplicas: must be at least collector.replicas (5) (got 3)",
      ],
    ],
    [
      "kubernetes section missing beside a bad field elsewhere",
      { target: "kubernetes", loki: { retentionPeriod: "forever" } },
      [
        'claude-code-telemetry:loki.retentionPeriod: must be a retention period such as 15d, 12h, 1w or 90s (units y, w, d, h, m, s, ms, largest first) (got "forever")',
        "claude-code-telemetry:kubernetes: is required when target is 'kubernetes' (otlpHost, clusterIssuer, …)",
      ],
    ],
  ];
  it.each(crossWithFieldErrors)("reports %s in one pass", (_name, raw, expected) => {
    expect(problems(raw)).toEqual(expected);
  });

  it("words every message itself: no schema library phrasing, every line naming its key", () => {
    // Every field of a full kubernetes stack plus the optional ones, each given values of the wrong kind.
    const full = parseSettings({ target: "kubernetes", kubernetes: k8s }, "x") as unknown as Record<string, unknown>;
    const leaves: string[][] = [];
    const walk = (v: unknown, path: string[]) => {
      if (v && typeof v === "object" && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
      else leaves.push(path);
    };
    walk(full, []);
    const optional = [
      "prometheus.retentionSize",
      "prometheus.remoteWrite.url",
      "prometheus.remoteWrite.username",
      "grafana.rootUrl",
      "docker.advertisedHost",
      "kubernetes.grafanaHost",
      "kubernetes.context",
      "kubernetes.storageClass",
      "kubernetes.clientCaPem",
      "privacy.hashKey",
      "client.tls.certFile",
      "collector.labelAttributes",
    ];
    leaves.push(...optional.map((p) => p.split(".")));
    const targets = leaves.filter((p) => p[0] !== "stack" && p.length > 0);
    expect(targets.length).toBeGreaterThan(60);
    const zodWords = /Invalid input|Invalid option|Invalid string|Invalid key|Too (small|big)|expected|received|Required/;
    const seen: string[] = [];
    for (const path of targets) {
      for (const bad of ["∆ not valid ∆", 0.5, -7, 1e12, true, {}, [], ""]) {
        const raw: Record<string, unknown> = { target: "kubernetes", kubernetes: { ...k8s } };
        let o = raw;
        path.slice(0, -1).forEach((k) => (o = (o[k] = { ...((o[k] as object) ?? {}) }) as Record<string, unknown>));
        o[path.at(-1)!] = bad;
        let found: string[] = [];
        try {
          parseSettings(raw, "x");
        } catch (e) {
          found = (e as SettingsError).problems;
        }
        for (const line of found) {
          expect(line, `${path.join(".")} = ${JSON.stringify(bad)}`).toMatch(/^claude-code-telemetry:[\w.[\]-]* ?[\w.[\] -]*: /);
          expect(line, `${path.join(".")} = ${JSON.stringify(bad)}`).not.toMatch(zodWords);
          seen.push(line);
        }
      }
    }
    // The range is told: a number below its minimum says the minimum.
    expect(seen).toContain("claude-code-telemetry:collector.memoryLimitMiB: must be at least 64 (got -7)");
    expect(seen).toContain("claude-code-telemetry:docker.restart: must be one of 'no', 'on-failure', 'always', 'unless-stopped' (got true)");
    expect(seen.length).toBeGreaterThan(300);
  });

  it("never repeats a secret's value, even a wrong one", () => {
    const secrets = { password: "hunter2-secret", bearerToken: "tok-secret-value", headers: { Authorization: 12345 } };
    const found = text({
      target: "docker",
      prometheus: { remoteWrite: { url: "https://mimir.example.com/api/v1/push", ...secrets } },
      privacy: { identity: "hash", hashKey: "short-secret-key" },
    });
    expect(found).toMatch(/:prometheus\.remoteWrite: set either password \(basic auth\) or bearerToken, not both/);
    expect(found).toMatch(/:prometheus\.remoteWrite\.headers\.Authorization: must be text \(value not shown: it is a secret\)/);
    expect(found).toMatch(/:privacy\.hashKey: must be 24 to 128 letters and digits \(value not shown: it is a secret\)/);
    for (const v of ["hunter2-secret", "tok-secret-value", "12345", "short-secret-key"]) expect(found).not.toContain(v);
  });
});

describe("publishing the local stack beyond loopback", () => {
  it("needs an explicit acknowledgement", () => {
    expect(problems({ target: "docker", docker: { bindAddress: "0.0.0.0" } })).toEqual([
      "claude-code-telemetry:docker.bindAddress: 0.0.0.0 publishes the OTLP receivers and Grafana beyond this machine: set docker.networkExposureAcknowledged: true to confirm " +
        '(OTLP then requires a bearer token; Prometheus, Loki and Alertmanager stay on 127.0.0.1), or keep 127.0.0.1 (got "0.0.0.0")',
    ]);
    expect(problems({ target: "docker", docker: { bindAddress: "10.0.0.5" } })[0]).toMatch(/^claude-code-telemetry:docker\.bindAddress: 10\.0\.0\.5 publishes/);
  });

  it("with 0.0.0.0, needs the name other machines use", () => {
    expect(problems({ target: "docker", docker: { bindAddress: "0.0.0.0", networkExposureAcknowledged: true } })).toEqual([
      "claude-code-telemetry:docker.advertisedHost: is required with bindAddress 0.0.0.0: the name other machines reach this one by (the generated Claude Code settings point there)",
    ]);
  });

  it("accepts any loopback address without it, and an acknowledged exposure", () => {
    expect(parseSettings({ target: "docker", docker: { bindAddress: "127.0.0.2" } }, "l").docker.networkExposureAcknowledged).toBe(false);
    const s = parseSettings(
      { target: "docker", docker: { bindAddress: "0.0.0.0", networkExposureAcknowledged: true, advertisedHost: "telemetry.internal" } },
      "l",
    );
    expect(s.docker.advertisedHost).toBe("telemetry.internal");
  });
});
