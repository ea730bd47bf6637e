// Where the real tools the tests and the benchmark run are kept: built by `npm run tools`
// (scripts/provision-tools.ts) into the project's cache, one folder per version, so a version bump
// in components/images.ts or a changed builder manifest builds anew and never reuses a stale binary.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { IMAGES, imageVersion } from "../components/images.js";

export type ToolName = "otelcol" | "prometheus" | "promtool" | "alertmanager" | "amtool" | "actionlint";

/** The oldest Go that builds the tools (Prometheus 3.13's module requires it). */
export const MIN_GO = [1, 26] as const;

/** actionlint checks the GitOps workflow examples (examples/gitops/); no image runs it, so it is pinned here. */
export const ACTIONLINT_VERSION = "1.7.12";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const BUILDER_MANIFEST = path.join(PROJECT_ROOT, "tools", "otelcol-builder.yaml");

/** The cache folder: TOOLS_DIR, or .cache/tools in the project. */
export function toolsDir(): string {
  const fromEnv = process.env.TOOLS_DIR;
  return fromEnv ? path.resolve(fromEnv) : path.join(PROJECT_ROOT, ".cache", "tools");
}

/** The release each tool must report: the pinned image's. */
export const TOOL_VERSIONS: Readonly<Record<ToolName, string>> = {
  otelcol: imageVersion(IMAGES.collector),
  prometheus: imageVersion(IMAGES.prometheus),
  promtool: imageVersion(IMAGES.prometheus),
  alertmanager: imageVersion(IMAGES.alertmanager),
  amtool: imageVersion(IMAGES.alertmanager),
  actionlint: ACTIONLINT_VERSION,
};

/**
 * Go build tags of the test Prometheus (scripts/provision-tools.ts says why): part of its cache key,
 * so a change of tags builds anew.
 */
export const PROMETHEUS_BUILD_TAGS = "netgo,remove_all_sd";

const shortHash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);

/** First 12 hex digits of the manifest's SHA-256: a changed component list gets its own build. */
export function manifestHash(manifestText = readFileSync(BUILDER_MANIFEST, "utf8")): string {
  return shortHash(manifestText);
}

/** Folder of a tool's build, keyed by version and by what the build is made from. */
export function toolBuildDir(name: ToolName): string {
  if (name === "otelcol") return path.join(toolsDir(), `otelcol-${TOOL_VERSIONS.otelcol}-${manifestHash()}`);
  if (name === "actionlint") return path.join(toolsDir(), `actionlint-${ACTIONLINT_VERSION}`);
  if (name === "alertmanager" || name === "amtool") return path.join(toolsDir(), `alertmanager-${TOOL_VERSIONS.alertmanager}`);
  return path.join(toolsDir(), `prometheus-${TOOL_VERSIONS.prometheus}-${shortHash(PROMETHEUS_BUILD_TAGS)}`);
}

export function toolBinary(name: ToolName): string {
  return path.join(toolBuildDir(name), name);
}

/** The binary, when it has been built. */
export function toolPath(name: ToolName): string | undefined {
  const file = toolBinary(name);
  return existsSync(file) ? file : undefined;
}

/** The tools of `names` that have not been built. */
export function missingTools(names: readonly ToolName[]): ToolName[] {
  return names.filter((t) => toolPath(t) === undefined);
}

/** The binary; throws MissingToolError when it has not been built. */
export function requireTool(name: ToolName): string {
  const file = toolPath(name);
  if (file === undefined) throw new MissingToolError([name]);
  return file;
}

/** A tool the command needs has not been built; the message says what to run. */
export class MissingToolError extends Error {
  override name = "MissingToolError";
  constructor(readonly missing: readonly ToolName[]) {
    super(missingToolsMessage(missing));
  }
}

export function missingToolsMessage(missing: readonly ToolName[]): string {
  const what = missing.map((t) => `${t} ${TOOL_VERSIONS[t]}`).join(", ");
  return `${what} not built in ${toolsDir()}: run \`npm run tools\` (needs Go ${MIN_GO.join(".")} or newer)`;
}
