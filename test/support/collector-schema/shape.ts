// A small strict validator: each check receives a value and its dotted path and appends problems
// ("<path>: <message>"). Objects reject unknown keys, which is how the collector decodes config
// (mapstructure with ErrorUnused), so a misspelt key is reported instead of silently ignored.

export type Problems = string[];
export type Check = (value: unknown, path: string, out: Problems) => void;
export type Fields = Record<string, Check>;

/** `${env:NAME}` / `${NAME}` / `${env:NAME:-default}`: expanded before decoding, so any scalar may be one. */
const ENV_REF = /^\$\{(?:env:)?[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;
export const isEnvRef = (v: unknown): boolean => typeof v === "string" && ENV_REF.test(v);

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export const at = (path: string, key: string | number): string =>
  typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key;

/** Go's time.ParseDuration syntax: "0" or a sequence of decimal numbers with units. */
const GO_DURATION = /^[-+]?(?:0|(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/;
export const isGoDuration = (v: unknown): boolean => typeof v === "string" && GO_DURATION.test(v);

interface ObjOptions {
  required?: string[];
  /** Extra rules across fields (upstream Validate() logic); runs only on a well-formed mapping. */
  rules?: (value: Record<string, unknown>, path: string, out: Problems) => void;
}

/** A mapping with a fixed key set. YAML `key:` with nothing after it (null) counts as an empty mapping. */
export function obj(fields: Fields, opts: ObjOptions = {}): Check {
  return (value, path, out) => {
    const v = value ?? {};
    if (!isRecord(v)) {
      out.push(`${path}: expected a mapping`);
      return;
    }
    for (const [key, inner] of Object.entries(v)) {
      const check = fields[key];
      if (check) check(inner, at(path, key), out);
      else out.push(`${at(path, key)}: unknown key`);
    }
    for (const key of opts.required ?? []) {
      if (v[key] === undefined || v[key] === null || v[key] === "") out.push(`${at(path, key)}: required`);
    }
    opts.rules?.(v, path, out);
  };
}

/** A mapping with free keys (labels, headers…), every value checked by `valueCheck`. */
export function mapOf(valueCheck: Check): Check {
  return (value, path, out) => {
    if (value === null || value === undefined) return;
    if (!isRecord(value)) {
      out.push(`${path}: expected a mapping`);
      return;
    }
    for (const [key, inner] of Object.entries(value)) valueCheck(inner, at(path, key), out);
  };
}

export function list(item: Check, opts: { minItems?: number } = {}): Check {
  return (value, path, out) => {
    if (value === null || value === undefined) return;
    if (!Array.isArray(value)) {
      out.push(`${path}: expected a list`);
      return;
    }
    if (opts.minItems !== undefined && value.length < opts.minItems) {
      out.push(`${path}: expected at least ${opts.minItems} item(s)`);
    }
    value.forEach((inner, i) => item(inner, at(path, i), out));
  };
}

function scalar(test: (v: unknown) => boolean, what: string): Check {
  return (value, path, out) => {
    if (value === null || value === undefined || isEnvRef(value)) return;
    if (!test(value)) out.push(`${path}: expected ${what}`);
  };
}

export const str = (): Check => scalar((v) => typeof v === "string", "a string");
export const bool = (): Check => scalar((v) => typeof v === "boolean", "a boolean");
export const duration = (): Check =>
  scalar(isGoDuration, "a Go duration string (e.g. 500ms, 30s, 5m)");
export const anything = (): Check => () => undefined;

export function int(range: { min?: number; max?: number } = {}): Check {
  return numberCheck(true, range);
}
export function num(range: { min?: number; max?: number } = {}): Check {
  return numberCheck(false, range);
}

function numberCheck(integer: boolean, { min, max }: { min?: number; max?: number }): Check {
  return (value, path, out) => {
    if (value === null || value === undefined || isEnvRef(value)) return;
    const ok = typeof value === "number" && (integer ? Number.isInteger(value) : Number.isFinite(value));
    if (!ok) {
      out.push(`${path}: expected ${integer ? "an integer" : "a number"}`);
      return;
    }
    const n = value as number;
    if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
      const bounds = max === undefined ? `>= ${min}` : min === undefined ? `<= ${max}` : `between ${min} and ${max}`;
      out.push(`${path}: must be ${bounds}`);
    }
  };
}

export function oneOf(values: readonly string[], opts: { caseInsensitive?: boolean } = {}): Check {
  const norm = (s: string) => (opts.caseInsensitive ? s.toLowerCase() : s);
  const allowed = new Set(values.map(norm));
  return (value, path, out) => {
    if (value === null || value === undefined || isEnvRef(value)) return;
    if (typeof value !== "string" || !allowed.has(norm(value))) {
      out.push(`${path}: expected one of ${values.map((v) => JSON.stringify(v)).join(", ")}`);
    }
  };
}

/** A key the pinned version still decodes but ignores or is about to drop: reported, never silently accepted. */
export function deprecated(advice: string): Check {
  return (value, path, out) => {
    if (value !== undefined) out.push(`${path}: deprecated, ${advice}`);
  };
}

/** `type[/name]` as the collector parses component ids. */
const COMPONENT_TYPE = /^[a-zA-Z][0-9a-zA-Z_]{0,62}$/;
const COMPONENT_NAME = /^[^\s/]{1,1024}$/;

export function parseComponentId(id: string): { type: string; name?: string } | undefined {
  const slash = id.indexOf("/");
  const type = slash < 0 ? id : id.slice(0, slash);
  const name = slash < 0 ? undefined : id.slice(slash + 1);
  if (!COMPONENT_TYPE.test(type)) return undefined;
  if (name !== undefined && !COMPONENT_NAME.test(name)) return undefined;
  return name === undefined ? { type } : { type, name };
}

export const componentId = (): Check =>
  scalar((v) => typeof v === "string" && parseComponentId(v) !== undefined, "a component id (type[/name])");
