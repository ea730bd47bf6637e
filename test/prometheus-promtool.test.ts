// The rendered Prometheus config and rules, checked by the real promtool of the pinned minor version.
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect, it } from "vitest";
import { describeWithTools, checkConfig, checkRules, runTool } from "./support/tools.js";
import { parseSettings, type Settings } from "../components/settings.js";
import { placeholderSpecs } from "../components/render-files.js";
import { imageVersion } from "../components/images.js";

/** Writes Prometheus' files under a temp root, with the config's absolute paths moved there too. */
function materialize(settings: Settings): string {
  const root = mkdtempSync(join(tmpdir(), "prom-config-"));
  const spec = placeholderSpecs(settings).prometheus;
  for (const f of spec.files) {
    const content = String(f.content).replaceAll("/etc/prometheus/", `${root}/etc/prometheus/`);
    mkdirSync(dirname(join(root, f.path)), { recursive: true });
    writeFileSync(join(root, f.path), content);
  }
  return join(root, "etc/prometheus/prometheus.yml");
}

const k8s = { otlpHost: "otel.example.com", clusterIssuer: "letsencrypt" };
const variants: Array<[string, Settings]> = [
  ["local", parseSettings({ target: "docker" }, "local")],
  ["enterprise", parseSettings({ target: "kubernetes", kubernetes: k8s }, "enterprise")],
  [
    "enterprise with basic-auth remote write",
    parseSettings(
      {
        target: "kubernetes",
        kubernetes: k8s,
        prometheus: { remoteWrite: { url: "https://mimir.example.com/api/v1/push", username: "u", password: "p", headers: { "X-Scope-OrgID": "claude" } } },
      },
      "enterprise",
    ),
  ],
  [
    "bearer remote write",
    parseSettings({ target: "docker", prometheus: { remoteWrite: { url: "https://prom.example.com/api/v1/write", bearerToken: "t" } } }, "local"),
  ],
];

describeWithTools(["promtool"], "promtool", () => {
  it("is the Prometheus release the image pins", async () => {
    const pinned = imageVersion(parseSettings({ target: "docker" }, "x").images.prometheus);
    const r = await runTool("promtool", ["--version"]);
    expect(r.stdout + r.stderr).toContain(`promtool, version ${pinned} `);
  });

  it.each(variants)("accepts the rendered config: %s", async (_name, settings) => {
    const file = materialize(settings);
    const r = await checkConfig(file);
    expect(r.stdout + r.stderr).toContain("SUCCESS");
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it("accepts the rules file", async () => {
    const file = materialize(variants[0]![1]);
    const r = await checkRules(join(dirname(file), "rules/claude-code.rules.yml"));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("rejects a config it should reject (the check can fail)", async () => {
    const file = materialize(variants[0]![1]);
    writeFileSync(file, "global:\n  scrape_interval: 15x\n");
    const r = await checkConfig(file);
    expect(r.code).not.toBe(0);
  });
});
