// The README's settings table, generated from the settings schema: one row per setting with its key,
// its default and what it means, read from zod's JSON Schema of the stack file's input. A setting
// cannot be added without saying what it means: a field without a description stops the table.
import { z } from "zod";
import { settingsSchema, TARGET_DEFAULTS, type Settings } from "./settings.js";
import { valueAt } from "./settings-fields.js";

export interface SettingsRow {
  /** Path as `pulumi config set --path` spells it, without the namespace. */
  readonly key: string;
  readonly default: string;
  readonly meaning: string;
}

/** The parts of a JSON Schema node the table reads; `secret` and `shownDefault` are the project's metadata. */
interface Node {
  readonly properties?: Readonly<Record<string, Node>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: Node | boolean;
  readonly items?: Node;
  readonly default?: unknown;
  readonly description?: string;
  readonly shownDefault?: string;
  readonly secret?: boolean;
}

const TARGET_NAMES: Readonly<Record<Settings["target"], string>> = { docker: "Docker", kubernetes: "Kubernetes" };
const SECRET_HINT = "; secret: set with `pulumi config set --secret --path`";

function shown(value: unknown): string {
  if (Array.isArray(value)) return value.length ? `\`${value.join(", ")}\`` : "none";
  if (typeof value === "object" && value !== null) return Object.keys(value).length ? `\`${JSON.stringify(value)}\`` : "none";
  return `\`${String(value)}\``;
}

function defaultOf(node: Node, path: readonly string[], required: boolean, targetDefaults: typeof TARGET_DEFAULTS): string {
  if (node.shownDefault !== undefined) return node.shownDefault;
  if ("default" in node) return shown(node.default);
  const perTarget = Object.entries(targetDefaults).flatMap(([target, defaults]) => {
    const v = valueAt(defaults, path);
    return v === undefined ? [] : [`${shown(v)} on ${TARGET_NAMES[target as Settings["target"]]}`];
  });
  if (perTarget.length) return perTarget.join(", ");
  return required ? "– (required)" : "none";
}

const isSecret = (node: Node): boolean =>
  node.secret === true || (typeof node.additionalProperties === "object" && node.additionalProperties.secret === true) || node.items?.secret === true;

function rowsUnder(node: Node, path: readonly string[], required: boolean, targetDefaults: typeof TARGET_DEFAULTS): SettingsRow[] {
  if (node.properties) {
    return Object.entries(node.properties).flatMap(([key, child]) => rowsUnder(child, [...path, key], node.required?.includes(key) ?? false, targetDefaults));
  }
  const key = path.join(".");
  if (!node.description) throw new Error(`setting ${key} has no description: give it one in the schema (.describe or .meta)`);
  return [{ key, default: defaultOf(node, path, required, targetDefaults), meaning: node.description + (isSecret(node) ? SECRET_HINT : "") }];
}

/** Every setting of the stack file, in the schema's order. */
export function settingsRows(schema: z.ZodType = settingsSchema, targetDefaults = TARGET_DEFAULTS): SettingsRow[] {
  // The input side: what a stack file holds (defaults apply, the output's narrowing by target does not).
  return rowsUnder(z.toJSONSchema(schema, { io: "input" }) as Node, [], false, targetDefaults);
}

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** The rows as the README's markdown table. */
export function settingsTable(rows: readonly SettingsRow[] = settingsRows()): string {
  return ["| key | default | meaning |", "|---|---|---|", ...rows.map((r) => `| \`${r.key}\` | ${cell(r.default)} | ${cell(r.meaning)} |`)].join("\n");
}
