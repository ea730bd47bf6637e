// Where stack settings come from: Pulumi's config map (the program) or a stack file's `config:`
// (render, verify, tests). Both go through here, so a key under a misspelt namespace is reported
// the same way wherever it is read, instead of silently ignored.
import { CONFIG_NAMESPACE, closest } from "./settings-problems.js";

export interface SettingsSource {
  /** Keys without the namespace. */
  raw: Record<string, unknown>;
  /** Keys that look meant for this stack but are not read (a misspelt namespace). */
  problems: string[];
}

/** Namespaces other programs and providers read (docker:host, kubernetes:context, pulumi:tags, …). */
const OTHER_NAMESPACES = new Set(["pulumi", "docker", "kubernetes", "random", "aws", "azure", "azure-native", "gcp"]);

/** Splits `namespace:key` entries into this project's settings and problems. */
export function settingsFromEntries(entries: Record<string, unknown>): SettingsSource {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const [fullKey, value] of Object.entries(entries)) {
    if (fullKey.startsWith(prefix)) {
      raw[fullKey.slice(prefix.length)] = value;
      continue;
    }
    const colon = fullKey.indexOf(":");
    const namespace = colon < 0 ? fullKey : fullKey.slice(0, colon);
    if (OTHER_NAMESPACES.has(namespace) || !closest(namespace, [CONFIG_NAMESPACE])) continue;
    problems.push(`${fullKey}: not read: the namespace '${namespace}' is not this project's (did you mean ${prefix}${fullKey.slice(colon + 1)}?)`);
  }
  return { raw, problems };
}

/** Pulumi's flat config map (`namespace:key` → string, objects JSON-encoded). */
export function settingsFromPulumiConfig(all: Record<string, string>): SettingsSource {
  return settingsFromEntries(Object.fromEntries(Object.entries(all).map(([k, v]) => [k, parseConfigValue(v)])));
}

function parseConfigValue(value: string): unknown {
  const trimmed = value.trim();
  if (/^[[{]/.test(trimmed) || /^(true|false|-?\d+(\.\d+)?)$/.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return value;
    }
  }
  return value;
}
