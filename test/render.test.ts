// `npm run render`: every generated file of both committed stacks, secrets as placeholders.
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { managedSettingsSchema } from "../components/claude/claude-settings-schema.js";
import { filesUnder, runRender } from "./support/render-cli.js";

const ROOT = resolve(import.meta.dirname, "..");

function render(stack: string): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), `render-${stack}-`));
  const r = runRender(ROOT, stack, dir);
  if (r.status !== 0) throw new Error(`npm run render -- ${stack} failed: ${r.stderr}`);
  return { dir, files: filesUnder(dir) };
}

describe.each(["local", "enterprise"])("npm run render -- %s", (stack) => {
  const { dir, files } = render(stack);
  const read = (f: string) => readFileSync(join(dir, f), "utf8");

  it("writes every service config, the rules, Grafana provisioning and the client files", () => {
    for (const f of [
      "collector/etc/otelcol-contrib/config.yaml",
      "prometheus/etc/prometheus/prometheus.yml",
      "prometheus/etc/prometheus/rules/claude-code.rules.yml",
      "loki/etc/loki/config.yaml",
      "grafana/etc/grafana/provisioning/datasources/claude-code.yaml",
      "grafana/etc/grafana/provisioning/dashboards/claude-code.yaml",
      "client/managed-settings.json",
      "client/managed-settings.d/10-telemetry.json",
      "client/claude-code-telemetry.mobileconfig",
      "client/claude-code-telemetry.reg",
      "client/rollout-guide.md",
    ]) {
      expect(files).toContain(f);
    }
  });

  it("replaces secrets with placeholders", () => {
    expect(read("grafana/etc/grafana/secrets/admin-password")).toBe("<grafana-admin-password>");
    const managed = JSON.parse(read("client/managed-settings.json"));
    expect(managedSettingsSchema.safeParse(managed).success).toBe(true);
    if (stack === "enterprise") expect(managed.env.OTEL_EXPORTER_OTLP_HEADERS).toBe("Authorization=Bearer <ingest-token>");
    else expect(managed.env.OTEL_EXPORTER_OTLP_HEADERS).toBeUndefined();
  });

  it("writes the .reg file as UTF-16LE with a byte-order mark", () => {
    const bytes = readFileSync(join(dir, "client/claude-code-telemetry.reg"));
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    expect(bytes.subarray(2).toString("utf16le")).toMatch(/^Windows Registry Editor Version 5\.00/);
  });
});

describe("npm run render with bad input", () => {
  it("refuses an unknown stack with a usage hint", () => {
    const r = runRender(ROOT, "nope", mkdtempSync(join(tmpdir(), "r-")));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^No stack file .*Pulumi\.nope\.yaml: known stacks are the Pulumi\.<stack>\.yaml files in this folder\.$/);
  });
});

describe("npm run render with a broken stack file", () => {
  it("says in one line, with the file, line and column, that the YAML is not valid, and exits 1", () => {
    const cwd = mkdtempSync(join(tmpdir(), "render-yaml-"));
    writeFileSync(join(cwd, "Pulumi.broken.yaml"), "config:\n  claude-code-telemetry:target: docker\n  claude-code-telemetry:docker: { ports: [3000 }\n");
    const r = runRender(cwd, "broken");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Pulumi\.broken\.yaml:3:\d+: not valid YAML: \S.*$/);
    expect(r.stderr).not.toMatch(/\bat \S+ \(|node_modules/);
  });
});
