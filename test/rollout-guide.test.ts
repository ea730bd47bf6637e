import { describe, expect, it } from "vitest";
import { renderRolloutGuide, type RolloutGuideInput } from "../components/claude/rollout-guide.js";
import { renderStackRolloutGuide } from "../components/claude/client-bundle.js";
import { parseSettings } from "../components/settings.js";
import { buildServiceSpecs } from "../components/services.js";
import { SERVICES_WITH_DATA } from "../components/platform/docker-names.js";
import { TOKEN_PLACEHOLDER, redactEnv, renderClientEnv } from "../components/claude/managed-settings.js";
import { METRICS, EVENTS } from "../components/claude/telemetry.js";
import { generatedEnvSchema } from "../components/claude/claude-settings-schema.js";

const TOKEN = "tok_" + "Qm7Lw2ZkP0aX9vRt5sNb";
const endpoints = { grpc: "http://127.0.0.1:4317", http: "http://127.0.0.1:4318" };

function input(over: Partial<RolloutGuideInput> = {}): RolloutGuideInput {
  return {
    stackName: "local",
    target: "docker",
    endpoints,
    grafanaUrl: "http://127.0.0.1:3000/",
    client: { resourceAttributes: { team: "platform" } },
    authKind: "bearer",
    ...over,
  };
}

/** The settings block shown in the guide. */
function shownEnv(md: string): Record<string, string> {
  const m = /```json\n([\s\S]*?)\n```/.exec(md);
  if (!m) throw new Error("no json block");
  return (JSON.parse(m[1]!) as { env: Record<string, string> }).env;
}

/** One `## ` section of the guide, up to the next. */
function sectionOf(md: string, title: string): string {
  const start = md.indexOf(`## ${title}\n`);
  if (start < 0) throw new Error(`no section ${title}`);
  const end = md.indexOf("\n## ", start + 3);
  return md.slice(start, end < 0 ? undefined : end);
}

describe("rollout guide", () => {
  it("shows the real settings with the token replaced by a placeholder, and never the token", () => {
    const md = renderRolloutGuide(input());
    const real = renderClientEnv({ client: input().client, environment: "local", endpoints, auth: { kind: "bearer", token: TOKEN } });
    expect(shownEnv(md)).toEqual(redactEnv(real));
    expect(shownEnv(md).OTEL_EXPORTER_OTLP_HEADERS).toBe(`Authorization=Bearer ${TOKEN_PLACEHOLDER}`);
    expect(md).not.toContain(TOKEN);
    // Nor the stand-in the renderer uses internally.
    expect(md).not.toMatch(/Bearer (?!<ingest-token>)/);
    // Apart from the token the block is valid generated settings.
    expect(generatedEnvSchema.safeParse({ ...shownEnv(md), OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer ${TOKEN}` }).success).toBe(true);
  });

  it("says what is collected, from the catalog", () => {
    const md = renderRolloutGuide(input());
    for (const m of Object.values(METRICS)) expect(md).toContain(m.name);
    for (const e of Object.values(EVENTS)) expect(md).toContain(e.name);
    expect(md).toMatch(/user\.email.*OAuth/);
    expect(md).toMatch(/not billing data/);
    expect(md).toContain("`team=platform`");
    expect(md).toContain("`environment=local`");
  });

  it("says prompts and tool details are not collected unless switched on", () => {
    const off = renderRolloutGuide(input());
    expect(off).toMatch(/Prompt text: not collected/);
    expect(off).not.toMatch(/OTEL_LOG_USER_PROMPTS/);
    const on = renderRolloutGuide(input({ client: { logUserPrompts: true, logToolDetails: true, contentCaptureAcknowledged: true } }));
    expect(on).toMatch(/Prompt text IS collected/);
    expect(on).toMatch(/Tool parameters and inputs ARE collected/);
    expect(shownEnv(on).OTEL_LOG_USER_PROMPTS).toBe("1");
    expect(() => renderRolloutGuide(input({ client: { logUserPrompts: true } }))).toThrow(/contentCaptureAcknowledged/);
  });

  it("explains how to apply, verify and roll back, for this stack", () => {
    const md = renderRolloutGuide(input({ stackName: "team-a", environment: "team-a" }));
    expect(md).toContain("npm run install-settings -- --stack team-a");
    expect(md).toContain("npm run check-endpoint -- --stack team-a");
    expect(md).toContain("--rollback");
    expect(md).toContain("/etc/claude-code/managed-settings.d/10-telemetry.json");
    expect(md).toContain("com.anthropic.claudecode");
    expect(md).toMatch(/restart/i);
  });

  it("links Grafana and the dashboards", () => {
    const md = renderRolloutGuide(input({ dashboards: [{ title: "Claude Code overview", path: "/d/claude-code-overview" }] }));
    expect(md).toContain("Grafana: http://127.0.0.1:3000");
    expect(md).toContain("[Claude Code overview](http://127.0.0.1:3000/d/claude-code-overview)");
  });

  it("shows mTLS file settings for the enterprise protocol, with no token line when there is none", () => {
    const md = renderRolloutGuide(
      input({
        stackName: "enterprise",
        target: "kubernetes",
        endpoints: { grpc: "https://otel.example.com", http: "https://otel.example.com" },
        client: { protocol: "http/protobuf" },
        authKind: "mtls",
        mtlsFiles: { certFile: "/etc/otel/client.pem", keyFile: "/etc/otel/client.key" },
      }),
    );
    const env = shownEnv(md);
    expect(env.CLAUDE_CODE_CLIENT_CERT).toBe("/etc/otel/client.pem");
    expect(env.CLAUDE_CODE_CLIENT_KEY).toBe("/etc/otel/client.key");
    expect(env.OTEL_EXPORTER_OTLP_HEADERS).toBeUndefined();
    expect(md).not.toContain(TOKEN_PLACEHOLDER);
    expect(md).not.toMatch(/only Claude Code on the machine running the stack/);
  });

  it("says how to retire the stack: client settings first, then destroy, then the data, with the stack's own names", () => {
    const local = renderStackRolloutGuide(parseSettings({ target: "docker", namePrefix: "pilot" }, "team-a"));
    const retire = local.slice(local.indexOf("## Retiring this stack"));
    const steps = retire.split("\n").filter((l) => /^\d\. /.test(l));
    expect(steps[0]).toMatch(/^1\. Remove the client settings from every machine/);
    expect(steps[1]).toBe("2. `pulumi destroy --stack team-a`.");
    expect(steps[2]).toContain("`docker volume rm pilot-prometheus-data pilot-loki-data pilot-grafana-data pilot-alertmanager-data`");
    const k8s = renderStackRolloutGuide(
      parseSettings({ target: "kubernetes", kubernetes: { otlpHost: "otel.example.com", clusterIssuer: "x", namespace: "telemetry" } }, "prod"),
    );
    expect(k8s).toMatch(/3\. `pulumi destroy` deletes the namespace `telemetry` and with it the PersistentVolumeClaims/);
  });

  it("says sessions without an e-mail have no per-user identity, and how to add one, when it is not set up", () => {
    const md = renderRolloutGuide(input());
    const section = sectionOf(md, "Per-user identity");
    expect(section).toMatch(/API key, Amazon Bedrock or Google Vertex send no `user\.email`/);
    expect(section).toMatch(/Not set up for this stack: with `client\.perUserIdentity`/);
    expect(md).toContain("Every machine gets the same `env` block");
    expect(md).not.toContain("REG_EXPAND_SZ)");
  });

  it("has a Per-user identity section with the files that carry the templates and the caveats", () => {
    const client = { resourceAttributes: { team: "platform" }, perUserIdentity: {} };
    const md = renderRolloutGuide(input({ client }));
    const section = sectionOf(md, "Per-user identity");
    const rows = section.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| file"));
    expect(rows).toEqual([
      expect.stringMatching(/^\| Windows \.reg file \(`Settings` as REG_EXPAND_SZ\) \| `enduser\.id=%USERNAME%` \| Windows, when the user's Claude Code reads/),
      expect.stringMatching(/^\| macOS configuration profile \| `enduser\.id=\$EMAIL` \| the MDM, when it installs the profile/),
      expect.stringMatching(/^\| managed-settings\.json, the drop-in, `~\/\.claude\/settings\.json` \| nothing per person/),
    ]);
    // Windows: expanded in the user's context; values that break the list; macOS: at install time, per device.
    expect(section).toMatch(/expanded by the process that reads it, Claude Code, in the environment of the user running it/);
    expect(section).toMatch(/A user name with a space \(Windows allows them\), or a value with a comma, `=` or `%`, breaks the `key=value,key=value` list/);
    expect(section).toMatch(/nothing can percent-encode a value that Windows or the MDM fills in/);
    expect(section).toMatch(/fills in its variables when it installs the profile.*on a shared Mac everyone sends the assigned user's value/);
    expect(section).toMatch(/`\$EMAIL` is Jamf Pro's variable/);
    // Files: honest about what cannot work.
    expect(section).toMatch(/a shell export, a launch wrapper or `~\/\.claude\/settings\.json` cannot add to the managed `OTEL_RESOURCE_ATTRIBUTES`/);
    // The collector's chain: e-mail first.
    expect(section).toContain("(`user.email`, `enduser.id`, `user.account_uuid`, `user.id`): `enduser.id` names the sessions without `user.email`");
    expect(section).toMatch(/E-mail sign-ins still count by e-mail, as `user\.email` comes first/);
    // The block shown to everyone has no template, and the MDM bullet names the registry type.
    expect(shownEnv(md).OTEL_RESOURCE_ATTRIBUTES).toBe("environment=local,team=platform");
    expect(md).toContain("expandable string value (REG_EXPAND_SZ) `Settings`");
    expect(md).toMatch(/the MDM files add `enduser\.id` per person/);
  });

  it("names the templates and attribute that are set, and what the identity chain makes of it", () => {
    const client = { perUserIdentity: { attribute: "enduser.login", windows: "%USERNAME%@example.com", macos: "{{mail}}" } };
    const chained = sectionOf(renderRolloutGuide(input({ client, identityChain: ["user.email", "enduser.login", "user.id"] })), "Per-user identity");
    expect(chained).toContain("`enduser.login=%USERNAME%@example.com`");
    expect(chained).toContain("`enduser.login={{mail}}`");
    expect(chained).not.toMatch(/Jamf Pro's variable/);
    expect(chained).toContain("`enduser.login` names the sessions without `user.email`");
    const first = sectionOf(renderRolloutGuide(input({ client, identityChain: ["enduser.login", "user.email"] })), "Per-user identity");
    expect(first).toContain("`enduser.login` names every session that carries it");
    expect(first).not.toMatch(/E-mail sign-ins still count by e-mail/);
  });

  it("takes the stack's identity chain and never shows the token", () => {
    const settings = parseSettings(
      { target: "docker", client: { perUserIdentity: {} }, privacy: { identityChain: ["user.email", "enduser.id", "user.id"] } },
      "local",
    );
    const section = sectionOf(renderStackRolloutGuide(settings), "Per-user identity");
    expect(section).toContain("(`user.email`, `enduser.id`, `user.id`): `enduser.id` names the sessions without `user.email`");
    const md = renderRolloutGuide(input({ client: { perUserIdentity: {} } }));
    expect(md).not.toContain(TOKEN);
    expect(md).not.toMatch(/Bearer (?!<ingest-token>)/);
  });

  it("names exactly the volumes the Docker platform keeps", () => {
    const specs = buildServiceSpecs(parseSettings({ target: "docker" }, "l"), (s) => s, { grafanaAdminPassword: "p" });
    expect(
      Object.values(specs)
        .filter((s) => s.volume)
        .map((s) => s.name)
        .sort(),
    ).toEqual([...SERVICES_WITH_DATA].sort());
  });
});
