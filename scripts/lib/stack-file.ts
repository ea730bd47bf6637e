// Reads a Pulumi.<stack>.yaml without the Pulumi CLI: the settings of a stack as the program sees them.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { CONFIG_NAMESPACE } from "../../components/settings.js";

/** Placeholder standing for a value encrypted in the stack file (`secure:`), which only Pulumi can read. */
export const ENCRYPTED_PLACEHOLDER = "<encrypted-in-stack-config>";

function replaceSecure(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(replaceSecure);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (Object.keys(o).length === 1 && typeof o.secure === "string") return ENCRYPTED_PLACEHOLDER;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, replaceSecure(x)]));
  }
  return v;
}

/** Raw settings (keys without the namespace) from a stack file; other namespaces are left out. */
export function readStackSettings(file: string): Record<string, unknown> {
  const doc = (parse(readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    if (!key.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
    raw[key.slice(CONFIG_NAMESPACE.length + 1)] = replaceSecure(value);
  }
  return raw;
}
