// The committed stack files say which values are defaults and which are examples to replace, and
// they tell the truth: a line ending in "# default" changes nothing when uncommented, a line marked
// EXAMPLE is a value someone chose, and every key written out (set or commented) carries one mark.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseSettings } from "../components/settings.js";
import { readStackSettings } from "../lib/stack-file.js";

const DEFAULT = /#\s*default\s*$/;
const EXAMPLE = /#.*\bEXAMPLE\b/;
/** A commented-out key (`# key:` or `#   key: value`), as opposed to a comment in prose. */
const COMMENTED_KEY = /^\s*#\s+[\w.-]+(:[\w.-]+)?:(\s|$)/;
const ACTIVE_KEY = /^\s+[\w.-]+(:[\w.-]+)?:(\s|$)/;

function settingsOf(stack: string, text: string) {
  const dir = mkdtempSync(path.join(tmpdir(), "stack-file-"));
  try {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    writeFileSync(file, text);
    const { raw, problems } = readStackSettings(file);
    return parseSettings(raw, stack, problems);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The file with the chosen commented-out lines uncommented (the first "# " after the indent removed). */
const uncomment = (text: string, which: (line: string) => boolean) =>
  text
    .split("\n")
    .map((l) => (COMMENTED_KEY.test(l) && which(l) ? l.replace(/^(\s*)# /, "$1") : l))
    .join("\n");

describe.each(["local", "enterprise"])("Pulumi.%s.yaml", (stack) => {
  const text = readFileSync(`Pulumi.${stack}.yaml`, "utf8");
  const config = text.slice(text.indexOf("\nconfig:"));
  const asIs = settingsOf(stack, text);

  it("marks every key it writes out, set or commented, as a default or an EXAMPLE (target excepted)", () => {
    const lines = config.split("\n").filter((l) => COMMENTED_KEY.test(l) || ACTIVE_KEY.test(l));
    expect(lines.length).toBeGreaterThan(5);
    const unmarked = lines.filter((l) => !/:target:/.test(l) && !DEFAULT.test(l) && !EXAMPLE.test(l) && !/:\s*(#.*)?$/.test(l.replace(/^\s*#\s*/, "")));
    expect(unmarked).toEqual([]);
    // A default is shown commented out: set, it would only hide the real default.
    expect(lines.filter((l) => DEFAULT.test(l) && !COMMENTED_KEY.test(l))).toEqual([]);
  });

  it("changes nothing when every line marked default is uncommented", () => {
    const withDefaults = uncomment(text, (l) => DEFAULT.test(l));
    expect(withDefaults).not.toBe(text);
    expect(settingsOf(stack, withDefaults)).toEqual(asIs);
  });

  it("holds examples that are valid settings and are not the defaults", () => {
    const all = uncomment(text, (l) => DEFAULT.test(l) || EXAMPLE.test(l));
    const withExamples = settingsOf(stack, all);
    expect(withExamples).not.toEqual(asIs);
  });
});

describe("the local stack file", () => {
  it("sets nothing but the target: no example value reaches developers' settings", () => {
    const { raw, problems } = readStackSettings("Pulumi.local.yaml");
    expect(problems).toEqual([]);
    expect(raw).toEqual({ target: "docker" });
  });
});

describe("a stack file that is not valid YAML", () => {
  it("is reported in one line with the file, the line and the column", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "stack-file-"));
    const file = path.join(dir, "Pulumi.broken.yaml");
    writeFileSync(file, "config:\n  claude-code-telemetry:target: docker\n  claude-code-telemetry:docker:\n    ports: { grafana: 3001\n");
    try {
      let message = "";
      try {
        readStackSettings(file);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message.startsWith(`${file}:5:1: not valid YAML: `), message).toBe(true);
      expect(message.split("\n")).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
