// `npm run render`: every generated file of both committed stacks, secrets as placeholders.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { managedSettingsSchema } from "../components/claude/claude-settings-schema.js";

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
}

function render(stack: string): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), `render-${stack}-`));
  execFileSync("npx", ["tsx", "scripts/render.ts", stack, dir], { stdio: "pipe" });
  return { dir, files: walk(dir).map((f) => relative(dir, f)).sort() };
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
    expect(() => execFileSync("npx", ["tsx", "scripts/render.ts", "nope", mkdtempSync(join(tmpdir(), "r-"))], { stdio: "pipe" })).toThrow(/No stack file/);
  });
});
