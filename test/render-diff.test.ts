// `npm run render-diff`: two real renders of the local stack that differ (a retention and a team
// label changed), compared as the GitOps pipeline compares the base branch with a pull request.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { compareTrees, fileText, renderDiffMarkdown } from "../lib/render-diff.js";
import { runRender } from "./support/render-cli.js";

const ROOT = path.resolve(import.meta.dirname, "..");

function renderDiff(args: string[]) {
  const r = spawnSync(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(ROOT, "scripts", "render-diff.ts"), ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

/** `npm run render -- local <out>` of the committed stack file, changed by `edit`. */
function renderLocal(edit: (config: ReturnType<typeof parseDocument>) => void, out: string): void {
  const cwd = mkdtempSync(path.join(tmpdir(), "render-diff-cwd-"));
  const doc = parseDocument(readFileSync(path.join(ROOT, "Pulumi.local.yaml"), "utf8"));
  edit(doc);
  writeFileSync(path.join(cwd, "Pulumi.local.yaml"), doc.toString());
  const r = runRender(cwd, "local", out);
  if (r.status !== 0) throw new Error(r.stderr);
}

describe("npm run render-diff", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "render-diff-"));
    renderLocal(() => {}, path.join(dir, "base", "local"));
    renderLocal(() => {}, path.join(dir, "same", "local"));
    renderLocal(
      (d) => {
        d.setIn(["config", "claude-code-telemetry:prometheus", "retentionTime"], "30d");
        d.setIn(["config", "claude-code-telemetry:client", "resourceAttributes", "team"], "payments");
      },
      path.join(dir, "head", "local"),
    );
  });

  it("lists exactly the files the change touches, with the changed lines, as markdown", () => {
    const r = renderDiff([path.join(dir, "base"), path.join(dir, "head")]);
    expect(r.status, r.stderr).toBe(0);
    const rows = [...r.stdout.matchAll(/^\| `([^`]+)` \| (\w+) \| ([^|]+) \|$/gm)].map((m) => [m[1], m[2]]);
    // The team label reaches every client file; the retention only Prometheus' arguments.
    expect(rows).toEqual([
      ["local/client/claude-code-telemetry.mobileconfig", "changed"],
      ["local/client/claude-code-telemetry.reg", "changed"],
      ["local/client/managed-settings.d/10-telemetry.json", "changed"],
      ["local/client/managed-settings.json", "changed"],
      ["local/client/rollout-guide.md", "changed"],
      ["local/prometheus/service.json", "changed"],
    ]);
    expect(r.stdout).toMatch(/^### Generated files\n\n6 files differ/);
    expect(r.stdout).toContain('-    "OTEL_RESOURCE_ATTRIBUTES": "environment=local"');
    expect(r.stdout).toContain('+    "OTEL_RESOURCE_ATTRIBUTES": "environment=local,team=payments"');
    expect(r.stdout).toContain('+    "--storage.tsdb.retention.time=30d",');
    // The .reg file is UTF-16: its diff is readable text, not bytes.
    expect(r.stdout).toMatch(/<summary><code>local\/client\/claude-code-telemetry\.reg<\/code>[^]*?team=payments/);
  });

  it("says so when nothing changed, and writes to --output when asked", () => {
    const out = path.join(dir, "comment.md");
    const r = renderDiff([path.join(dir, "base"), path.join(dir, "same"), "--title", "Generated files: local", "--output", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
    expect(readFileSync(out, "utf8")).toBe("### Generated files: local\n\nNo change in the generated files.\n");
  });

  it("refuses a missing folder and a bad limit in one line each, with usage", () => {
    const missing = renderDiff([path.join(dir, "base"), path.join(dir, "nope")]);
    expect(missing.status).toBe(2);
    expect(missing.stderr.split("\n")[0]).toMatch(/^render-diff: .*nope is not a folder \(write it with npm run render -- <stack> .*nope\)$/);
    const limit = renderDiff([path.join(dir, "base"), path.join(dir, "head"), "--max-lines-per-file", "0"]);
    expect(limit.status).toBe(2);
    expect(limit.stderr).toBe("render-diff: --max-lines-per-file must be a whole number above 0, not 0");
    expect(renderDiff([path.join(dir, "base")]).status).toBe(2);
  });
});

describe("the render diff", () => {
  const tree = (files: Record<string, string | Buffer>) => new Map(Object.entries(files).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)]));

  it("tells added, removed, changed and binary files apart", () => {
    const changes = compareTrees(
      tree({ "a.txt": "1\n2\n", "gone.txt": "x\n", "same.txt": "s\n", bin: Buffer.from([0, 1]) }),
      tree({ "a.txt": "1\n3\n", "new.txt": "n\n", "same.txt": "s\n", bin: Buffer.from([0, 2]) }),
    );
    expect(changes.map((c) => [c.path, c.change, c.added, c.removed, c.hunks === undefined])).toEqual([
      ["a.txt", "changed", 1, 1, false],
      ["bin", "changed", 0, 0, true],
      ["gone.txt", "removed", 0, 1, false],
      ["new.txt", "added", 1, 0, false],
    ]);
    expect(renderDiffMarkdown(changes)).toContain("| `bin` | changed | binary |");
  });

  it("cuts a long file diff and stops before the comment grows too long, saying what it left out", () => {
    const long = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} ${i}\n`).join("");
    const changes = compareTrees(tree({ "x.txt": long(50, "a"), "y.txt": long(50, "a") }), tree({ "x.txt": long(50, "b"), "y.txt": long(50, "b") }));
    const cut = renderDiffMarkdown(changes, { maxLinesPerFile: 10 });
    expect(cut).toContain("… 91 more diff lines not shown");
    const short = renderDiffMarkdown(changes, { maxChars: 1500 });
    expect(short.length).toBeLessThanOrEqual(1500 + 200);
    expect(short).toContain("the diffs of 1 more file are not shown here");
  });

  it("keeps a file's backticks from closing the diff's fence", () => {
    const md = renderDiffMarkdown(compareTrees(tree({ "r.md": "a\n" }), tree({ "r.md": "```bash\nb\n```\n" })));
    expect(md).toContain("````diff\n");
  });

  it("reads UTF-16 with a byte-order mark and UTF-8 as text, anything with a NUL byte as binary", () => {
    expect(fileText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("Windows", "utf16le")]))).toBe("Windows");
    expect(fileText(Buffer.from("é"))).toBe("é");
    expect(fileText(Buffer.from([0x61, 0, 0x62]))).toBeUndefined();
  });
});
