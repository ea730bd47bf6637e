// How a bad stack setting is told to a person: one line per problem, naming the full config key, in
// the project's words with what is allowed, the value received (never a secret's), and the fix for
// the common slips (a flat dotted key without --path, a misspelt key).
import { z } from "zod";
import { crossCheckOf, isRecord, valueAt } from "./settings-fields.js";

/** Config namespace: the project name in Pulumi.yaml. */
export const CONFIG_NAMESPACE = "claude-code-telemetry";

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid stack settings (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` + problems.map((p) => `  - ${p}`).join("\n"));
    this.name = "SettingsError";
  }
}

type Path = readonly PropertyKey[];

/** `claude-code-telemetry:collector.labelAttributes[0]`, as `pulumi config set --path` spells it. */
export function keyName(path: Path): string {
  if (path.length === 0) return CONFIG_NAMESPACE;
  const [top, ...rest] = path;
  return `${CONFIG_NAMESPACE}:${String(top)}${rest.map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`)).join("")}`;
}

const quoted = (values: readonly unknown[]) => values.map((v) => `'${String(v)}'`).join(", ");

/**
 * The message of an issue zod raises with its own wording (a field without a message of its own):
 * passed as the parse's error map, so every field's message is in the project's words.
 */
export function projectWording(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case "invalid_type": {
      const expected: Record<string, string> = {
        number: "must be a number",
        int: "must be a whole number",
        boolean: "must be true or false",
        string: "must be text",
        object: "must be a group of settings (a map of keys)",
        record: "must be a map of keys to values",
        array: "must be a list",
      };
      return expected[issue.expected] ?? `must be of type ${issue.expected}`;
    }
    case "too_small":
    case "too_big": {
      const small = issue.code === "too_small";
      const bound = Number(small ? issue.minimum : issue.maximum);
      const inclusive = issue.inclusive !== false;
      if (issue.origin === "string") {
        if (small && bound === 1) return "must not be empty";
        return `must be ${small ? "at least" : "at most"} ${bound} characters long`;
      }
      if (issue.origin === "array" || issue.origin === "set") return `must list ${small ? "at least" : "at most"} ${bound} entries`;
      return `must be ${small ? (inclusive ? "at least" : "more than") : inclusive ? "at most" : "less than"} ${bound}`;
    }
    case "invalid_value":
      return issue.values.length === 1 ? `must be ${quoted(issue.values)}` : `must be one of ${quoted(issue.values)}`;
    case "invalid_format":
      return issue.format === "regex" && "pattern" in issue
        ? `must match the pattern ${String(issue.pattern)}`
        : `must be ${issue.format === "regex" ? "in the expected form" : `a valid ${issue.format}`}`;
    case "not_multiple_of":
      return `must be a multiple of ${String(issue.divisor)}`;
    case "invalid_key":
      return `is not an allowed key: ${issue.issues[0]?.message ?? "not in the expected form"}`;
    case "unrecognized_keys":
      return "unknown setting";
    default:
      return "is not valid here";
  }
}

type Schema = z.core.$ZodType;
const isSecret = (s: Schema): boolean => z.globalRegistry.get(s)?.secret === true;

/** The schema a wrapper (a default, an optional, a transform's input, …) wraps, if `s` is one. */
function wrapped(s: Schema): Schema | undefined {
  if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable) return s.unwrap();
  if (s instanceof z.ZodNonOptional || s instanceof z.ZodReadonly || s instanceof z.ZodCatch) return s.unwrap();
  if (s instanceof z.ZodPipe) return s.in;
  return undefined;
}

const shapeOf = (s: Schema | undefined): Record<string, Schema> => (s instanceof z.ZodObject ? s.shape : {});

/** The schema of `key` inside an object, record or list. */
function childOf(s: Schema, key: PropertyKey): Schema | undefined {
  if (s instanceof z.ZodRecord) return s.valueType;
  if (s instanceof z.ZodArray) return s.element;
  return shapeOf(s)[String(key)];
}

/** The schemas from the root down `path`, through defaults, optionals, objects, records and lists. */
function schemasAlong(root: Schema, path: Path): Schema[] {
  const out: Schema[] = [];
  let s: Schema | undefined = root;
  const unwrap = () => {
    while (s) {
      const inner = wrapped(s);
      if (!inner) return;
      out.push(s);
      s = inner;
    }
  };
  unwrap();
  for (const key of path) {
    if (!s) break;
    out.push(s);
    s = childOf(s, key);
    unwrap();
  }
  if (s) out.push(s);
  return out;
}

function objectKeys(root: Schema, path: Path): string[] {
  return Object.keys(shapeOf(schemasAlong(root, path).at(-1)));
}

function describeReceived(root: Schema, input: unknown, path: Path): string {
  const v = valueAt(input, path);
  // A group is not repeated (it could hold a secret); its key is named.
  if (v === undefined || isRecord(v) || Array.isArray(v)) return "";
  if (schemasAlong(root, path).some(isSecret)) return " (value not shown: it is a secret)";
  const text = JSON.stringify(v) ?? String(v);
  return ` (got ${text.length > 60 ? text.slice(0, 57) + "..." : text})`;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length]!;
}

/** The candidate `word` is most likely a slip for, if one is close enough. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const best = candidates.map((c) => [c, distance(word, c)] as const).sort((a, b) => a[1] - b[1])[0];
  return best && best[1] <= Math.max(1, Math.floor(Math.max(word.length, best[0].length) / 4)) ? best[0] : undefined;
}

function unknownKey(root: Schema, parent: Path, key: string): string {
  const full = keyName([...parent, key]);
  const allowed = objectKeys(root, parent);
  const [first] = key.split(".");
  if (parent.length === 0 && key.includes(".") && first !== undefined && allowed.includes(first)) {
    return (
      `${full}: not read: this is one flat key with dots in its name, and nested keys are set with --path, ` +
      `e.g. pulumi config set --path '${full}' <value> (remove this one with pulumi config rm '${full}')`
    );
  }
  const guess = closest(key, allowed);
  return `${full}: unknown setting${guess ? ` (did you mean ${keyName([...parent, guess])}?)` : ""} (allowed here: ${allowed.join(", ")})`;
}

/** Every cross-field check in the schema's objects, with the path of the object it checks. */
function crossChecksUnder(schema: Schema, path: Path = []): Array<{ path: Path; check: NonNullable<ReturnType<typeof crossCheckOf>> }> {
  const along = schemasAlong(schema, []);
  const found = along.flatMap((s) => {
    const check = crossCheckOf(s);
    return check ? [{ path, check }] : [];
  });
  return [...found, ...Object.entries(shapeOf(along.at(-1))).flatMap(([k, s]) => crossChecksUnder(s, [...path, k]))];
}

function line(root: Schema, input: unknown, path: Path, message: string): string {
  return `${keyName(path)}: ${message}${describeReceived(root, input, path)}`;
}

/**
 * One line per problem: key, message, what was received. The cross-field checks zod skipped (see
 * crossCheck) are run here on the input, so none waits for the others to be fixed.
 */
export function settingsProblems(issues: readonly z.core.$ZodIssue[], input: unknown, root: Schema): string[] {
  const lines = issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") return issue.keys.map((k) => unknownKey(root, issue.path, k));
    if (issue.code !== "custom" && valueAt(input, issue.path) === undefined) return [`${keyName(issue.path)}: is required (${issue.message})`];
    return [line(root, input, issue.path, issue.message)];
  });
  for (const { path, check } of crossChecksUnder(root)) {
    const value = valueAt(input, path);
    if (!isRecord(value)) continue;
    check(value, (p, message) => {
      const text = line(root, input, [...path, ...p], message);
      if (!lines.includes(text)) lines.push(text);
    });
  }
  return lines;
}
