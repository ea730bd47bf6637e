// Reads a Pulumi.<stack>.yaml without the Pulumi CLI: the settings of a stack as the program sees them.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { isRecord } from "../components/settings-fields.js";
import { settingsFromEntries, type SettingsSource } from "../components/settings-source.js";

/** Placeholder standing for a value encrypted in the stack file (`secure:`), which only Pulumi can read. */
export const ENCRYPTED_PLACEHOLDER = "<encrypted-in-stack-config>";

/** A stack file that cannot be read as one: the message is one line, with file and position. */
export class StackFileError extends Error {
  override name = "StackFileError";
}

function replaceSecure(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(replaceSecure);
  if (isRecord(v)) {
    if (Object.keys(v).length === 1 && typeof v.secure === "string") return ENCRYPTED_PLACEHOLDER;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replaceSecure(x)]));
  }
  return v;
}

/** The `config:` map of a stack file, or a StackFileError saying where the file is broken. */
export function readStackConfig(file: string): Record<string, unknown> {
  const relative = path.relative(process.cwd(), file);
  const name = relative && !relative.startsWith("..") ? relative : file;
  const doc = parseDocument(readFileSync(file, "utf8"));
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    // The parser's message ends with "at line L, column C" and a code excerpt: keep the reason only.
    const reason = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    throw new StackFileError(`${name}${at ? `:${at.line}:${at.col}` : ""}: not valid YAML: ${reason}`);
  }
  const content: unknown = doc.toJS() ?? {};
  if (!isRecord(content)) throw new StackFileError(`${name}: must be a YAML map with a config: section`);
  const config = content.config ?? {};
  if (!isRecord(config)) throw new StackFileError(`${name}: config: must be a map of namespace:key settings`);
  return replaceSecure(config) as Record<string, unknown>;
}

/** This project's settings from a stack file (keys without the namespace), and keys meant for it that are not read. */
export function readStackSettings(file: string): SettingsSource {
  return settingsFromEntries(readStackConfig(file));
}
