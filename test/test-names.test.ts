// The suite's naming rule, checked on the test sources themselves:
//   1. a test file that starts a stand-in (the Loki double, the Grafana stand-in, the stub backend)
//      says so in a describe or test title ("double", "stand-in", "stub");
//   2. a title that claims a real component ("real collector", "real otelcol", "real Prometheus",
//      "real promtool", "real Alertmanager", "real amtool") is in a file that requires that tool from the built ones, so the component
//      really runs (or, without it, the test is skipped and fails under CI=true).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const DIR = import.meta.dirname;
const files = readdirSync(DIR).filter((f) => f.endsWith(".test.ts"));

/** Quoted strings on the lines that open a describe or a test. */
function titles(source: string): string[] {
  return source
    .split("\n")
    .filter((l) => /^\s*(describe|describeWithTools|it|test)\b/.test(l))
    .flatMap((l) => [...l.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] as string));
}

/** Tools a file asks for with describeWithTools([...]) or requireTools(ctx, ...). */
function requiredTools(source: string): Set<string> {
  const out = new Set<string>();
  for (const m of source.matchAll(/describeWithTools\(\[([^\]]*)\]/g)) for (const t of (m[1] as string).matchAll(/"(\w+)"/g)) out.add(t[1] as string);
  for (const m of source.matchAll(/requireTools\(\w+,([^)]*)\)/g)) for (const t of (m[1] as string).matchAll(/"(\w+)"/g)) out.add(t[1] as string);
  return out;
}

const STAND_INS = ["loki-double", "grafana-stand-in", "stub-backend"];
const CLAIMS: Record<string, string> = {
  "real collector": "otelcol",
  "real otelcol": "otelcol",
  "real prometheus": "prometheus",
  "real promtool": "promtool",
  "real alertmanager": "alertmanager",
  "real amtool": "amtool",
};

/** The stand-ins a file starts (imports and calls `start<Name>`). */
function standInsStarted(source: string): string[] {
  const starter = (s: string) => `start${s.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase())}(`;
  return STAND_INS.filter((s) => source.includes(`./support/${s}.js`) && source.includes(starter(s)));
}

const withStandIns = files.map((f) => [f, readFileSync(path.join(DIR, f), "utf8")] as const).filter(([, src]) => standInsStarted(src).length > 0);

describe("test names", () => {
  it("finds the files that start stand-ins", () => {
    expect(withStandIns.map(([f]) => f)).toEqual(expect.arrayContaining(["verify.test.ts", "collector-run.test.ts"]));
  });

  it.each(withStandIns)("%s names the stand-ins it starts", (file, source) => {
    expect(
      titles(source).some((t) => /double|stand-in|stub/i.test(t)),
      `${file} starts ${standInsStarted(source).join(", ")} without saying so in a title`,
    ).toBe(true);
  });

  it.each(files)("%s claims a real component only where it runs it", (file) => {
    const source = readFileSync(path.join(DIR, file), "utf8");
    const tools = requiredTools(source);
    const wrong = titles(source).flatMap((t) =>
      Object.entries(CLAIMS)
        .filter(([claim, tool]) => t.toLowerCase().includes(claim) && !tools.has(tool))
        .map(([claim]) => `"${t}" says ${claim}`),
    );
    expect(wrong).toEqual([]);
  });

  it("would catch a file that hides a stand-in, or claims a component it does not run", () => {
    const hiding = 'import { startLokiDouble } from "./support/loki-double.js";\ndescribe("Loki stores events", () => { startLokiDouble(); });';
    expect(standInsStarted(hiding)).toEqual(["loki-double"]);
    expect(titles(hiding).some((t) => /double|stand-in|stub/i.test(t))).toBe(false);
    const claiming = 'describe("the real collector refuses a token", () => {});';
    expect(requiredTools(claiming).has("otelcol")).toBe(false);
    expect(requiredTools('describeWithTools(["otelcol", "prometheus"], "x", () => {});')).toEqual(new Set(["otelcol", "prometheus"]));
  });
});
