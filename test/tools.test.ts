// The real tools the other tests rely on: built from the pinned releases, they report those
// versions, the collector holds exactly the builder manifest's components, and promtool both
// accepts and rejects (amtool's checks are in alertmanager-tool.test.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { parse } from "yaml";
import { IMAGES, imageVersion, prometheusModuleVersion } from "../components/images.js";
import { BUILDER_MANIFEST, TOOL_VERSIONS, toolBuildDir } from "../lib/tools.js";
import { checkConfig, checkRules, describeWithTools, runTool, testRules } from "./support/tools.js";

it("maps Prometheus releases to their Go module versions", () => {
  expect(prometheusModuleVersion("3.13.5")).toBe("v0.313.5");
  expect(prometheusModuleVersion("3.7.0")).toBe("v0.307.0");
  expect(() => prometheusModuleVersion("2.53.1")).toThrow(/not a Prometheus 3/);
});

it("pins Alertmanager and amtool to the Alertmanager image's release, built into one folder", () => {
  expect(TOOL_VERSIONS.alertmanager).toBe(imageVersion(IMAGES.alertmanager));
  expect(TOOL_VERSIONS.amtool).toBe(TOOL_VERSIONS.alertmanager);
  expect(toolBuildDir("amtool")).toBe(toolBuildDir("alertmanager"));
  expect(path.basename(toolBuildDir("alertmanager"))).toBe(`alertmanager-${TOOL_VERSIONS.alertmanager}`);
});

describeWithTools(["alertmanager", "amtool"], "provisioned Alertmanager tools", () => {
  it("are the release the image pins", async () => {
    for (const tool of ["alertmanager", "amtool"] as const) {
      const r = await runTool(tool, ["--version"]);
      expect(r.code).toBe(0);
      expect(r.stdout + r.stderr).toContain(`${tool}, version ${imageVersion(IMAGES.alertmanager)} `);
    }
  });
});

describeWithTools(["otelcol", "prometheus", "promtool"], "provisioned tools", () => {
  it("are the releases the images pin", async () => {
    const otelcol = await runTool("otelcol", ["--version"]);
    expect(otelcol.stdout.trim()).toBe(`otelcol version ${imageVersion(IMAGES.collector)}`);
    for (const tool of ["prometheus", "promtool"] as const) {
      const r = await runTool(tool, ["--version"]);
      expect(r.code).toBe(0);
      expect(r.stdout + r.stderr).toContain(`${tool}, version ${imageVersion(IMAGES.prometheus)} `);
    }
  });

  it("otelcol holds exactly the builder manifest's components, at its versions", async () => {
    const r = await runTool("otelcol", ["components"]);
    expect(r.code, r.stderr).toBe(0);
    const built = parse(r.stdout) as Record<string, { name: string; module: string }[]>;
    const manifest = parse(readFileSync(BUILDER_MANIFEST, "utf8")) as Record<string, { gomod: string }[]>;
    for (const kind of ["receivers", "processors", "exporters", "connectors", "extensions"]) {
      expect(built[kind]?.map((c) => c.module).sort(), kind).toEqual(manifest[kind]?.map((c) => c.gomod).sort());
    }
  });

  it("promtool accepts good files and rejects bad ones", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "promtool-"));
    try {
      const write = (name: string, body: string) => {
        const file = path.join(dir, name);
        writeFileSync(file, body);
        return file;
      };
      const rules = write("rules.yml", `groups:\n- name: g\n  rules:\n  - record: job:up:sum\n    expr: sum by (job) (up)\n`);
      const badRules = write("bad.yml", `groups:\n- name: g\n  rules:\n  - record: x\n    expr: sum(rate(up[5m])\n`);
      const config = write("prometheus.yml", `global:\n  scrape_interval: 15s\nrule_files: [rules.yml]\n`);
      const badConfig = write("bad-prometheus.yml", `global:\n  scrape_interval: fifteen\n`);
      const unit = write(
        "test.yml",
        [
          "rule_files: [rules.yml]",
          "evaluation_interval: 1m",
          "tests:",
          "- interval: 1m",
          "  input_series:",
          "  - {series: 'up{job=\"a\"}', values: '1 1 1'}",
          "  - {series: 'up{job=\"a\",instance=\"2\"}', values: '1 1 1'}",
          "  promql_expr_test:",
          "  - {expr: 'job:up:sum', eval_time: 2m, exp_samples: [{labels: 'job:up:sum{job=\"a\"}', value: 2}]}",
          "",
        ].join("\n"),
      );
      expect((await checkRules(rules)).code).toBe(0);
      const bad = await checkRules(badRules);
      expect(bad.code).not.toBe(0);
      expect(bad.stdout + bad.stderr).toMatch(/parse error|unclosed/i);
      expect((await checkConfig(config)).code).toBe(0);
      expect((await checkConfig(badConfig)).code).not.toBe(0);
      const tested = await testRules(unit);
      expect(tested.stdout + tested.stderr).toContain("SUCCESS");
      expect(tested.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
