import { describe, expect, it } from "vitest";
import {
  ClientSettingsError,
  DROP_IN_FILE_NAME,
  MANAGED_SETTINGS_DROP_IN_DIRS,
  MANAGED_SETTINGS_PATHS,
  bearerTokenFromEnv,
  clientAuthFor,
  redactEnv,
  renderClientEnv,
  renderDropIn,
  renderManagedSettings,
  type ClientAuth,
  type ClientTarget,
} from "../components/claude/managed-settings.js";
import {
  REQUIRED_ENV_KEYS,
  TELEMETRY_ENV_KEYS,
  generatedEnvSchema,
  managedSettingsSchema,
  userSettingsSchema,
} from "../components/claude/claude-settings-schema.js";
import { clientSettingsSchema } from "../components/claude/client-settings-schema.js";
import { parseSettings } from "../components/settings.js";

const TOKEN = "tok_" + "Zx81kq0PLm2w7RvA9cYb4Nd3";
const LOCAL = { grpc: "http://127.0.0.1:4317", http: "http://127.0.0.1:4318" };
const ENTERPRISE = { grpc: "https://otel.example.com", http: "https://otel.example.com:4318" };
const GRPC_TLS = ["OTEL_EXPORTER_OTLP_CERTIFICATE", "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "OTEL_EXPORTER_OTLP_CLIENT_KEY"];
const HTTP_TLS = ["CLAUDE_CODE_CLIENT_CERT", "CLAUDE_CODE_CLIENT_KEY", "NODE_EXTRA_CA_CERTS"];

function target(over: Partial<ClientTarget> = {}): ClientTarget {
  return { client: {}, environment: "local", endpoints: LOCAL, auth: { kind: "none" }, ...over };
}

function attributes(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries((env.OTEL_RESOURCE_ATTRIBUTES ?? "").split(",").map((p) => p.split("=") as [string, string]));
}

const mtls: ClientAuth = { kind: "mtls", caFile: "/etc/ssl/otel/ca.pem", certFile: "/etc/ssl/otel/client.pem", keyFile: "/etc/ssl/otel/client.key" };
const variants: { name: string; t: ClientTarget }[] = [];
for (const [where, endpoints, environment] of [
  ["local", LOCAL, "local"],
  ["enterprise", ENTERPRISE, "prod"],
] as const) {
  for (const protocol of ["grpc", "http/protobuf"] as const) {
    const auths: ClientAuth[] = [{ kind: "none" }, { kind: "bearer", token: TOKEN }];
    if (where === "enterprise") auths.push(mtls, { ...mtls, token: TOKEN }, { kind: "mtls", certFile: "C:\\certs\\c.pem", keyFile: "C:\\certs\\c.key" });
    for (const auth of auths) {
      variants.push({
        name: `${where} ${protocol} ${auth.kind}${"token" in auth && auth.kind === "mtls" && auth.token ? "+token" : ""}${auth.kind === "mtls" && !auth.caFile ? " no-ca" : ""}`,
        t: { client: { protocol, resourceAttributes: { team: "platform", cost_center: "eng-123" } }, environment, endpoints, auth },
      });
    }
  }
}

describe("renderClientEnv: every variant", () => {
  it.each(variants)("$name", ({ t }) => {
    const env = renderClientEnv(t);
    const protocol = clientSettingsSchema.parse(t.client).protocol;
    // Valid against the generated-settings schema, and as a managed-settings file.
    expect(generatedEnvSchema.safeParse(env).success).toBe(true);
    expect(managedSettingsSchema.safeParse(renderManagedSettings(t)).success).toBe(true);
    for (const v of Object.values(env)) expect(typeof v).toBe("string");
    for (const k of REQUIRED_ENV_KEYS) expect(env[k], k).toBeDefined();

    expect(env.CLAUDE_CODE_ENABLE_TELEMETRY).toBe("1");
    expect(env.OTEL_METRICS_EXPORTER).toBe("otlp");
    expect(env.OTEL_LOGS_EXPORTER).toBe("otlp");
    expect(env.OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE).toBe("delta");
    expect(env.OTEL_EXPORTER_OTLP_PROTOCOL).toBe(protocol);
    const chosen = protocol === "grpc" ? t.endpoints.grpc : t.endpoints.http;
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe(chosen);
    expect(attributes(env)).toEqual({ environment: t.environment, team: "platform", cost_center: "eng-123" });

    const token = t.auth.kind === "bearer" ? t.auth.token : t.auth.kind === "mtls" ? t.auth.token : undefined;
    if (token) expect(env.OTEL_EXPORTER_OTLP_HEADERS).toBe(["Authorization", `Bearer ${token}`].join("="));
    else expect(env.OTEL_EXPORTER_OTLP_HEADERS).toBeUndefined();

    const tlsKeys = Object.keys(env).filter((k) => [...GRPC_TLS, ...HTTP_TLS].includes(k));
    if (t.auth.kind !== "mtls") {
      expect(tlsKeys).toEqual([]);
    } else {
      const caKeys = ["OTEL_EXPORTER_OTLP_CERTIFICATE", "NODE_EXTRA_CA_CERTS"];
      const expected = (protocol === "grpc" ? GRPC_TLS : HTTP_TLS).filter((k) => t.auth.kind === "mtls" && (t.auth.caFile || !caKeys.includes(k)));
      expect(tlsKeys.sort()).toEqual([...expected].sort());
      const a = t.auth;
      expect(Object.values(env)).toEqual(expect.arrayContaining([a.certFile, a.keyFile, ...(a.caFile ? [a.caFile] : [])]));
    }
    // Content capture stays off unless switched on.
    expect(Object.keys(env).filter((k) => k.startsWith("OTEL_LOG_"))).toEqual([]);
  });
});

describe("renderClientEnv: details", () => {
  it("takes intervals, shutdown timeout and include switches from the client settings", () => {
    const env = renderClientEnv(
      target({
        client: {
          metricExportIntervalMs: 15000,
          logsExportIntervalMs: 2500,
          shutdownTimeoutMs: 30000,
          includeSessionId: false,
          includeAccountUuid: false,
          includeVersion: true,
        },
      }),
    );
    expect(env.OTEL_METRIC_EXPORT_INTERVAL).toBe("15000");
    expect(env.OTEL_LOGS_EXPORT_INTERVAL).toBe("2500");
    expect(env.CLAUDE_CODE_OTEL_SHUTDOWN_TIMEOUT_MS).toBe("30000");
    expect(env.OTEL_METRICS_INCLUDE_SESSION_ID).toBe("false");
    expect(env.OTEL_METRICS_INCLUDE_ACCOUNT_UUID).toBe("false");
    expect(env.OTEL_METRICS_INCLUDE_VERSION).toBe("true");
  });

  it("switches content capture on only with the acknowledgement", () => {
    const on = renderClientEnv(target({ client: { logUserPrompts: true, logToolDetails: true, contentCaptureAcknowledged: true } }));
    expect(on.OTEL_LOG_USER_PROMPTS).toBe("1");
    expect(on.OTEL_LOG_TOOL_DETAILS).toBe("1");
    const prompts = renderClientEnv(target({ client: { logUserPrompts: true, contentCaptureAcknowledged: true } }));
    expect(prompts.OTEL_LOG_USER_PROMPTS).toBe("1");
    expect(prompts.OTEL_LOG_TOOL_DETAILS).toBeUndefined();

    for (const flag of ["logUserPrompts", "logToolDetails"] as const) {
      expect(() => renderClientEnv(target({ client: { [flag]: true } }))).toThrow(new RegExp(`client\\.${flag}: .*contentCaptureAcknowledged`));
      const r = clientSettingsSchema.safeParse({ [flag]: true });
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.path).toEqual([flag]);
    }
  });

  it("refuses bad resource attributes with a message naming the key", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ team: "two words" }, /client\.resourceAttributes\.team: must not contain spaces, commas or '='/],
      [{ cost_center: "a,b" }, /client\.resourceAttributes\.cost_center: must not contain/],
      [{ dept: "a=b" }, /client\.resourceAttributes\.dept: must not contain/],
      [{ team: "" }, /client\.resourceAttributes\.team: must not be empty/],
      [{ "bad key": "x" }, /client\.resourceAttributes\.bad key: must be an attribute key/],
    ];
    for (const [attrs, message] of cases) {
      expect(() => renderClientEnv(target({ client: { resourceAttributes: attrs } }))).toThrow(message);
      expect(() => parseSettings({ target: "docker", client: { resourceAttributes: attrs } }, "local")).toThrow(message);
    }
  });

  it("puts the stack environment into the resource attributes and refuses a conflicting one", () => {
    expect(attributes(renderClientEnv(target({ environment: "staging" }))).environment).toBe("staging");
    expect(attributes(renderClientEnv(target({ environment: "staging", client: { resourceAttributes: { environment: "staging" } } })))).toEqual({
      environment: "staging",
    });
    expect(() => renderClientEnv(target({ environment: "staging", client: { resourceAttributes: { environment: "prod" } } }))).toThrow(
      /client\.resourceAttributes\.environment: conflicts with the stack environment 'staging'/,
    );
    expect(() => renderClientEnv(target({ environment: "has space" }))).toThrow(/environment: must not contain spaces/);
  });

  it("normalises a trailing slash and refuses endpoints with a path", () => {
    expect(renderClientEnv(target({ endpoints: { grpc: "http://127.0.0.1:4317/", http: LOCAL.http } })).OTEL_EXPORTER_OTLP_ENDPOINT).toBe(
      "http://127.0.0.1:4317",
    );
    expect(() => renderClientEnv(target({ endpoints: { grpc: "http://127.0.0.1:4317/v1/metrics", http: LOCAL.http } }))).toThrow(
      /endpoints\.grpc: must be a base URL/,
    );
    expect(() => renderClientEnv(target({ client: { protocol: "http/protobuf" }, endpoints: { grpc: LOCAL.grpc, http: "ftp://x" } }))).toThrow(
      /endpoints\.http/,
    );
  });

  it("points gRPC and HTTP at a private CA the way each exporter reads it", () => {
    const grpc = renderClientEnv(target({ endpoints: ENTERPRISE, auth: { kind: "bearer", token: TOKEN, caFile: "/etc/ca.pem" } }));
    expect(grpc.OTEL_EXPORTER_OTLP_CERTIFICATE).toBe("/etc/ca.pem");
    expect(grpc.NODE_EXTRA_CA_CERTS).toBeUndefined();
    const viaClient = renderClientEnv(
      target({ client: { protocol: "http/protobuf", tls: { caFile: "/etc/ca.pem" } }, endpoints: ENTERPRISE, auth: { kind: "none" } }),
    );
    expect(viaClient.NODE_EXTRA_CA_CERTS).toBe("/etc/ca.pem");
    expect(viaClient.OTEL_EXPORTER_OTLP_CERTIFICATE).toBeUndefined();
    expect(generatedEnvSchema.safeParse(viaClient).success).toBe(true);
    expect(() => renderClientEnv(target({ auth: { kind: "none", caFile: "/etc/ca.pem" } }))).toThrow(/must be https for a CA file/);
  });

  it("builds the client auth from the stack's token and client.tls", () => {
    const client = clientSettingsSchema.parse({ tls: { caFile: "/ca.pem", certFile: "/c.pem", keyFile: "/k.pem" } });
    expect(clientAuthFor(client, { token: TOKEN })).toEqual({ kind: "bearer", token: TOKEN, caFile: "/ca.pem" });
    expect(clientAuthFor(client, { token: TOKEN, clientCertificates: true })).toEqual({
      kind: "mtls",
      token: TOKEN,
      caFile: "/ca.pem",
      certFile: "/c.pem",
      keyFile: "/k.pem",
    });
    expect(clientAuthFor(clientSettingsSchema.parse({}), {})).toEqual({ kind: "none" });
    expect(() => clientAuthFor(clientSettingsSchema.parse({}), { clientCertificates: true })).toThrow(/client\.tls: certFile and keyFile/);
    expect(() => parseSettings({ target: "docker", client: { tls: { certFile: "/c.pem" } } }, "local")).toThrow(
      /client\.tls\.keyFile: certFile and keyFile go together/,
    );
  });

  it("requires https for mTLS", () => {
    expect(() => renderClientEnv(target({ auth: mtls }))).toThrow(/endpoints\.grpc: must be https for mTLS/);
  });

  it("refuses tokens that would break the header list, without printing them", () => {
    for (const bad of ["short", "has,comma-0123456789abcdef", "has space 0123456789abcdef", "percent%20-0123456789abcdef"]) {
      let message = "";
      try {
        renderClientEnv(target({ auth: { kind: "bearer", token: bad } }));
      } catch (e) {
        expect(e).toBeInstanceOf(ClientSettingsError);
        message = (e as Error).message;
      }
      expect(message).toMatch(/auth\.token/);
      expect(message).not.toContain(bad);
    }
  });
});

describe("per-user identity settings", () => {
  const refused = (client: Record<string, unknown>) => {
    const r = clientSettingsSchema.safeParse(client);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };
  const stackProblems = (client: Record<string, unknown>): string[] => {
    try {
      parseSettings({ target: "docker", client }, "local");
    } catch (e) {
      return (e as { problems: string[] }).problems;
    }
    return [];
  };

  it("defaults to enduser.id, %USERNAME% on Windows and Jamf Pro's $EMAIL on macOS, and is off unless set", () => {
    expect(clientSettingsSchema.parse({}).perUserIdentity).toBeUndefined();
    expect(clientSettingsSchema.parse({ perUserIdentity: {} }).perUserIdentity).toEqual({ attribute: "enduser.id", windows: "%USERNAME%", macos: "$EMAIL" });
    for (const macos of ["$EMAIL", "$USERNAME", "{{mail}}", "{EmailAddress}", "%Email%", "${user.mail}", "$USERNAME@example.com"]) {
      expect(refused({ perUserIdentity: { macos } }), macos).toEqual([]);
    }
    for (const windows of ["%USERNAME%", "%USERDOMAIN%.%USERNAME%", "%USERNAME%@example.com"]) {
      expect(refused({ perUserIdentity: { windows } }), windows).toEqual([]);
    }
  });

  it("adds the template to OTEL_RESOURCE_ATTRIBUTES only for the MDM file asked for", () => {
    const client = { resourceAttributes: { team: "platform" }, perUserIdentity: {} };
    expect(attributes(renderClientEnv(target({ client })))).toEqual({ environment: "local", team: "platform" });
    expect(renderClientEnv(target({ client, perUser: "windows" })).OTEL_RESOURCE_ATTRIBUTES).toBe("environment=local,team=platform,enduser.id=%USERNAME%");
    expect(renderClientEnv(target({ client, perUser: "macos" })).OTEL_RESOURCE_ATTRIBUTES).toBe("environment=local,team=platform,enduser.id=$EMAIL");
    // Without the setting, asking for an MDM file changes nothing.
    expect(renderClientEnv(target({ perUser: "windows" }))).toEqual(renderClientEnv(target()));
  });

  it("refuses Claude Code's own attributes, saying why user.email cannot be set this way", () => {
    for (const attribute of ["user.email", "user.id", "user.account_uuid", "session.id", "service.name"]) {
      expect(refused({ perUserIdentity: { attribute } }), attribute).toEqual([
        "perUserIdentity.attribute: is one of Claude Code's own attributes: Claude Code keeps its built-in value when OTEL_RESOURCE_ATTRIBUTES sets the same key; use e.g. enduser.id",
      ]);
    }
    expect(refused({ perUserIdentity: { attribute: "environment" } })).toEqual([
      "perUserIdentity.attribute: is set by the stack's environment setting; use e.g. enduser.id",
    ]);
    expect(refused({ perUserIdentity: { attribute: "end user" } })[0]).toMatch(/^perUserIdentity\.attribute: must be an attribute key/);
    expect(stackProblems({ perUserIdentity: { attribute: "user.email" } })).toEqual([
      expect.stringMatching(
        /^claude-code-telemetry:client\.perUserIdentity\.attribute: is one of Claude Code's own attributes: Claude Code keeps its built-in value/,
      ),
    ]);
  });

  it("refuses an attribute that client.resourceAttributes sets too", () => {
    expect(refused({ resourceAttributes: { "enduser.id": "shared" }, perUserIdentity: {} })).toEqual([
      "perUserIdentity.attribute: is also set in client.resourceAttributes (one value for everyone): remove enduser.id from one of the two",
    ]);
    expect(refused({ resourceAttributes: { "enduser.login": "x" }, perUserIdentity: { attribute: "enduser.login" } })).toHaveLength(1);
    expect(refused({ resourceAttributes: { "enduser.id": "shared" } })).toEqual([]);
    expect(() => renderClientEnv(target({ client: { resourceAttributes: { "enduser.id": "x" }, perUserIdentity: {} } }))).toThrow(
      /client\.perUserIdentity\.attribute: is also set in client\.resourceAttributes/,
    );
  });

  it("refuses a Windows template without a %NAME% variable or with a stray '%'", () => {
    const no = "perUserIdentity.windows: must contain a %NAME% variable such as %USERNAME%: without one every machine sends the same value";
    const stray = "perUserIdentity.windows: may use '%' only in %NAME% variables: Windows expands every %…% of the REG_EXPAND_SZ value";
    expect(refused({ perUserIdentity: { windows: "jdoe" } })).toEqual([no]);
    expect(refused({ perUserIdentity: { windows: "%USERNAME%%" } })).toEqual([stray]);
    expect(refused({ perUserIdentity: { windows: "100%-%USERNAME%" } })).toEqual([stray]);
    expect(refused({ perUserIdentity: { windows: "%USER NAME%" } })).toEqual([stray]);
  });

  it("refuses the rest of the .reg file's JSON holding a '%' that Windows would expand", () => {
    expect(refused({ resourceAttributes: { team: "50%off" }, perUserIdentity: {} })).toEqual([
      "resourceAttributes.team: must not contain '%': the .reg file's value is REG_EXPAND_SZ with client.perUserIdentity, and Windows would expand it",
    ]);
    expect(refused({ tls: { caFile: "%ProgramData%\\ca.pem" }, perUserIdentity: {} })).toEqual([
      "tls.caFile: must not contain '%': the .reg file's value is REG_EXPAND_SZ with client.perUserIdentity, and Windows would expand it",
    ]);
    // Without the setting the value stays REG_SZ, where a '%' is only text.
    expect(refused({ tls: { caFile: "%ProgramData%\\ca.pem" } })).toEqual([]);
  });

  it("refuses spaces, commas, '=' and quotes in either template", () => {
    const message = "must not contain spaces, commas, '=' or '\"' (OTEL_RESOURCE_ATTRIBUTES is key=value,key=value)";
    for (const bad of ["%USERNAME% x", "%USERNAME%,team=x", "a=%USERNAME%", '"%USERNAME%"', "%USERNAME%\t"]) {
      expect(refused({ perUserIdentity: { windows: bad } }), bad).toEqual([`perUserIdentity.windows: ${message}`]);
    }
    for (const bad of ["$EMAIL x", "$EMAIL,team=x", "id=$EMAIL", '"$EMAIL"']) {
      expect(refused({ perUserIdentity: { macos: bad } }), bad).toEqual([`perUserIdentity.macos: ${message}`]);
    }
    expect(refused({ perUserIdentity: { macos: "jdoe@example.com" } })).toEqual([
      "perUserIdentity.macos: must contain an MDM variable such as $EMAIL (Jamf Pro), {{mail}} or {EmailAddress}: without one every Mac sends the same value",
    ]);
    expect(refused({ perUserIdentity: { macos: `$EMAIL${"x".repeat(130)}` } })).toEqual(["perUserIdentity.macos: must be at most 128 characters"]);
    expect(refused({ perUserIdentity: { windows: "%USERNAME%", other: 1 } })).toHaveLength(1);
    expect(stackProblems({ perUserIdentity: { windows: "%USERNAME% x", macos: "x" } })).toEqual([
      `claude-code-telemetry:client.perUserIdentity.windows: ${message} (got "%USERNAME% x")`,
      expect.stringMatching(/^claude-code-telemetry:client\.perUserIdentity\.macos: must contain an MDM variable/),
    ]);
  });
});

describe("managed settings files", () => {
  it("holds the env block and nothing else; the drop-in carries the same settings", () => {
    const t = target({ auth: { kind: "bearer", token: TOKEN } });
    const managed = renderManagedSettings(t);
    expect(Object.keys(managed)).toEqual(["env"]);
    expect(managed.env).toEqual(renderClientEnv(t));
    const drop = renderDropIn(t);
    expect(drop.fileName).toBe(DROP_IN_FILE_NAME);
    expect(JSON.parse(drop.content)).toEqual(managed);
    expect(drop.content.endsWith("\n")).toBe(true);
  });

  it("names the managed-settings files and drop-in folders per OS", () => {
    expect(MANAGED_SETTINGS_PATHS.windows).toMatch(/^C:\\Program Files\\ClaudeCode\\managed-settings\.json$/);
    expect(MANAGED_SETTINGS_PATHS.windows).not.toMatch(/ProgramData/);
    for (const os of ["macos", "linux", "windows"] as const) {
      const file = MANAGED_SETTINGS_PATHS[os];
      expect(MANAGED_SETTINGS_DROP_IN_DIRS[os]).toBe(file.replace(/managed-settings\.json$/, "managed-settings.d"));
    }
  });

  it("renders with the token placeholder for reviewable files", () => {
    const env = renderClientEnv(target({ auth: { kind: "bearer", token: "<ingest-token>" } }));
    expect(env.OTEL_EXPORTER_OTLP_HEADERS).toBe("Authorization=Bearer <ingest-token>");
  });

  it("redacts the token and reads it back", () => {
    const env = renderClientEnv(target({ auth: { kind: "bearer", token: TOKEN } }));
    expect(bearerTokenFromEnv(env)).toBe(TOKEN);
    const red = redactEnv(env);
    expect(JSON.stringify(red)).not.toContain(TOKEN);
    expect(red.OTEL_EXPORTER_OTLP_HEADERS).toBe("Authorization=Bearer <ingest-token>");
    expect(bearerTokenFromEnv(renderClientEnv(target()))).toBeUndefined();
  });
});

describe("claude settings schema", () => {
  const good = renderClientEnv(target({ auth: { kind: "bearer", token: TOKEN } }));

  it("refuses unknown env keys and missing selectors in generated settings", () => {
    expect(generatedEnvSchema.safeParse({ ...good, OTEL_SOMETHING_ELSE: "1" }).success).toBe(false);
    for (const k of REQUIRED_ENV_KEYS) {
      const { [k]: _, ...rest } = good;
      const r = generatedEnvSchema.safeParse(rest);
      expect(r.success, k).toBe(false);
      expect(r.error?.issues.some((i) => i.path[0] === k)).toBe(true);
    }
    expect(managedSettingsSchema.safeParse({ env: good, permissions: {} }).success).toBe(false);
  });

  it("refuses values Claude Code would not accept or that break the project's rules", () => {
    const bad: Record<string, string>[] = [
      { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "cumulative" },
      { OTEL_EXPORTER_OTLP_PROTOCOL: "http" },
      { OTEL_EXPORTER_OTLP_HEADERS: "Authorization = Bearer x" },
      { OTEL_METRIC_EXPORT_INTERVAL: "60s" },
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4317/v1/metrics" },
      { CLAUDE_CODE_CLIENT_CERT: "/c.pem", CLAUDE_CODE_CLIENT_KEY: "/k.pem" }, // HTTP keys with gRPC
      { OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: "/c.pem" }, // without its key
      { OTEL_RESOURCE_ATTRIBUTES: "team platform" },
    ];
    for (const b of bad) expect(generatedEnvSchema.safeParse({ ...good, ...b }).success, JSON.stringify(b)).toBe(false);
  });

  it("allows a user's other settings and env keys after merging, but checks telemetry values", () => {
    const user = { model: "opus", permissions: { allow: ["Bash(npm test)"] }, env: { ...good, MY_VAR: "x" }, otelHeadersHelper: "/usr/local/bin/otel-headers" };
    expect(userSettingsSchema.safeParse(user).success).toBe(true);
    expect(userSettingsSchema.safeParse({ ...user, env: { ...user.env, OTEL_LOGS_EXPORTER: "loki" } }).success).toBe(false);
    expect(userSettingsSchema.safeParse({ ...user, env: { ...user.env, MY_NUMBER: 3 } }).success).toBe(false);
  });

  it("knows every variable the renderer can write", () => {
    const all = renderClientEnv({
      ...variants.find((v) => v.name.startsWith("enterprise grpc mtls+token"))!.t,
      client: { logUserPrompts: true, logToolDetails: true, contentCaptureAcknowledged: true },
    });
    for (const k of Object.keys(all)) expect(TELEMETRY_ENV_KEYS).toContain(k);
  });
});
