// The README's samples are what the program prints and writes: each block marked
// `<!-- checked by test/readme.test.ts: … -->` is compared with a real run of `npm run render`,
// or with the code it describes.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { filesUnder, runRender } from "./support/render-cli.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const README = readFileSync(path.join(ROOT, "README.md"), "utf8");

/** The fenced block right after the marker whose text starts with `what`; fails the test when there is none. */
function checkedBlock(what: string): string {
  const marker = `<!-- checked by test/readme.test.ts: ${what}`;
  const at = README.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no block marked "${marker}"`);
  const m = /-->\s*\n```[a-z]*\n([\s\S]*?)\n```/.exec(README.slice(at));
  if (!m) throw new Error(`README.md: no fenced block after "${marker}"`);
  return m[1] as string;
}

/** The markdown table right after the marker whose text starts with `what`. */
function checkedBlockAfter(what: string): string {
  const marker = `<!-- checked by test/readme.test.ts: ${what}`;
  const at = README.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no table marked "${marker}"`);
  const m = /-->\s*\n((?:\|.*\|\n)+)/.exec(README.slice(at));
  if (!m) throw new Error(`README.md: no table after "${marker}"`);
  return (m[1] as string).trimEnd();
}

describe("the README's samples", () => {
  it("the sample settings error is exactly what npm run render prints for the sample stack file", () => {
    const cwd = mkdtempSync(path.join(tmpdir(), "readme-sample-"));
    writeFileSync(path.join(cwd, "Pulumi.local.yaml"), checkedBlock("the input of the sample below"));
    const r = runRender(cwd, "local");
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(checkedBlock("what npm run render prints for the input above"));
  });

  it.each(["local", "enterprise"])("the render file list is exactly what npm run render writes for the %s stack", (stack) => {
    const cwd = mkdtempSync(path.join(tmpdir(), "readme-render-"));
    writeFileSync(path.join(cwd, `Pulumi.${stack}.yaml`), readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`)));
    const r = runRender(cwd, stack);
    expect(r.status, r.stderr).toBe(0);
    expect(filesUnder(r.out).join("\n")).toBe(checkedBlock("the files npm run render writes"));
  });
});

describe("the README's settings table", () => {
  it("is what npm run settings-table prints (run it and paste the table when this fails)", async () => {
    const { settingsTable } = await import("../components/settings-doc.js");
    expect(checkedBlockAfter("the table npm run settings-table prints")).toBe(settingsTable());
  });
});

describe("the README's policy table", () => {
  it("lists exactly the pack's rules, with their concern and default level", async () => {
    const { RULES, STACK_RULES } = await import("../policies/rules.js");
    const { defaultEnforcementLevel } = await import("../policies/resources.js");
    const table = checkedBlockAfter("the policy pack's rules and their default levels");
    const rows = table
      .split("\n")
      .slice(2)
      .map((l) =>
        l
          .split("|")
          .slice(1, -1)
          .map((c) => c.trim().replace(/`/g, "")),
      );
    expect(rows).toEqual([...RULES, ...STACK_RULES].map((r) => [r.name, r.concern, defaultEnforcementLevel(r.concern)]));
  });
});

describe("the README's versions", () => {
  it("name exactly the pinned images and the built tools' releases", async () => {
    const { IMAGES, imageVersion } = await import("../components/images.js");
    const { ACTIONLINT_VERSION } = await import("../lib/tools.js");
    for (const image of Object.values(IMAGES)) {
      const repo = image.slice(0, image.lastIndexOf(":"));
      const named = [...README.matchAll(new RegExp(`${repo.replace(/[/.]/g, "\\$&")}:([\\w.-]+)`, "g"))].map((m) => m[0]);
      expect(named.length, repo).toBeGreaterThan(0);
      for (const n of named) expect(n).toBe(image);
    }
    const intro =
      /OpenTelemetry Collector contrib (\S+), Prometheus (\S+) \(the long-term-support line\), Loki (\S+),\nGrafana (\S+), Alertmanager (\S+)\):/.exec(README);
    expect(intro?.slice(1)).toEqual([IMAGES.collector, IMAGES.prometheus, IMAGES.loki, IMAGES.grafana, IMAGES.alertmanager].map(imageVersion));
    expect([...README.matchAll(/`actionlint` (\d+\.\d+\.\d+)/g)].map((m) => m[1])).toEqual([ACTIONLINT_VERSION]);
  });
});
