// Every rendered collector config against the real collector of the pinned release: `otelcol
// validate` unmarshals each component's config strictly (unknown keys fail), runs its own checks
// (OTTL statements are parsed by OTTL) and checks the pipelines' wiring. What validate cannot know
// is checked here as project rules: the processor order, that no secret is written into the file,
// and that the builder manifest holds exactly the components the configs use.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseSettings } from "../components/settings.js";
import { placeholderSpecs } from "../components/render-files.js";
import { COLLECTOR_CONFIG_PATH, INGEST_TOKEN_ENV, PREVIOUS_INGEST_TOKEN_ENV } from "../components/collector.js";
import { IMAGES, imageVersion } from "../components/images.js";
import { IDENTITY_HASH_KEY_ENV } from "../components/privacy.js";
import { BUILDER_MANIFEST } from "../lib/tools.js";
import { validateCollectorConfig } from "./support/collector.js";
import { describeWithTools } from "./support/tools.js";

const k8s = { otlpHost: "otel.example.com", clusterIssuer: "letsencrypt" };
const VARIANTS: Array<[string, Record<string, unknown>]> = [
  ["local", { target: "docker" }],
  ["local with the debug exporter", { target: "docker", collector: { debugExporter: true } }],
  ["local with custom label attributes", { target: "docker", collector: { labelAttributes: ["team", "org.unit"] } }],
  ["local with remote write", { target: "docker", prometheus: { remoteWrite: { url: "https://mimir.example.com/api/v1/push", bearerToken: "t" } } }],
  [
    "local published on the network (token on both receivers)",
    { target: "docker", docker: { bindAddress: "0.0.0.0", networkExposureAcknowledged: true, advertisedHost: "telemetry.internal" } },
  ],
  ["enterprise (token on both receivers)", { target: "kubernetes", kubernetes: k8s }],
  ["enterprise during a token rotation (two tokens)", { target: "kubernetes", kubernetes: { ...k8s, ingestTokenGeneration: 2, acceptPreviousToken: true } }],
  ["identities hashed", { target: "docker", privacy: { identity: "hash" } }],
  ["identities dropped", { target: "docker", privacy: { identity: "drop" } }],
  ["content capture acknowledged", { target: "docker", client: { logUserPrompts: true, contentCaptureAcknowledged: true } }],
];

/** Values of the secret variables, as the platforms inject them (validate resolves ${env:…}). */
const TOKEN_ENV = { [INGEST_TOKEN_ENV]: "token-current", [PREVIOUS_INGEST_TOKEN_ENV]: "token-previous", [IDENTITY_HASH_KEY_ENV]: "key0123456789abcdef012345" };

/**
 * Feature gates at which the pinned release removes what it deprecates: a config that still
 * validates with them on is ready for the releases that turn them on by default.
 */
const REMOVAL_GATES = [
  "+exporter.prometheusremotewrite.DisableResourceToTelemetryConversion",
  "+exporter.prometheusremotewritexporter.removeTopLevelHTTPSettings",
];

function rendered(raw: Record<string, unknown>): string {
  const spec = placeholderSpecs(parseSettings(raw, "t")).collector;
  return String(spec.files.find((f) => f.path === COLLECTOR_CONFIG_PATH)?.content);
}

type Config = Record<string, any>;

/** Paths of every scalar (and list) a config section sets. */
function leaves(node: unknown, at: string[]): string[][] {
  if (node === null || typeof node !== "object" || Array.isArray(node)) return [at];
  return Object.entries(node as Record<string, unknown>).flatMap(([k, v]) => leaves(v, [...at, k]));
}

function setAt(config: Config, at: readonly string[], value: unknown): void {
  let node = config;
  for (const k of at.slice(0, -1)) node = node[k];
  node[at.at(-1) as string] = value;
}

describeWithTools(["otelcol"], "rendered collector config, checked by the real otelcol validate", () => {
  it.each(VARIANTS)("is valid: %s", async (_name, raw) => {
    const r = await validateCollectorConfig(rendered(raw), TOKEN_ENV);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it.each(VARIANTS)("is valid with the deprecation-removal feature gates on: %s", async (_name, raw) => {
    const r = await validateCollectorConfig(rendered(raw), TOKEN_ENV, [`--feature-gates=${REMOVAL_GATES.join(",")}`]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it("fails an unknown key where the component decodes strictly, naming it (the check can fail)", async () => {
    const config = parse(rendered({ target: "docker" })) as Config;
    config.processors.batch.send_batch_sise = 100;
    const r = await validateCollectorConfig(JSON.stringify(config));
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/send_batch_sise/);
  });

  // validate does not catch every typo: components that embed the HTTP client settings (otlp_http,
  // prometheus_remote_write in 0.161) decode with unknown keys ignored, so a misspelt key there would
  // silently fall back to its default. Instead every key the configs set is probed: given a value of
  // the wrong type, a key the collector reads fails validation; a key it ignores does not.
  it("reads every key the rendered configs set (each, given a wrong-typed value, fails validation)", async () => {
    const configs = [
      rendered({ target: "docker", collector: { debugExporter: true }, privacy: { identity: "hash" } }),
      rendered(VARIANTS.find(([n]) => n.startsWith("enterprise during a token rotation"))![1]),
      rendered({ target: "docker", privacy: { identity: "drop" }, client: { logUserPrompts: true, contentCaptureAcknowledged: true } }),
    ];
    const ignored: string[] = [];
    let probed = 0;
    for (const text of configs) {
      const base = parse(text) as Config;
      for (const section of KINDS) {
        for (const leaf of leaves(base[section], [section])) {
          const probe = structuredClone(base);
          setAt(probe, leaf, { probe_of_a_wrong_type: 1 });
          const r = await validateCollectorConfig(JSON.stringify(probe), TOKEN_ENV);
          probed++;
          if (r.code === 0) ignored.push(leaf.join("."));
        }
      }
    }
    expect(probed).toBeGreaterThan(30);
    expect(ignored).toEqual([]);
  });

  it("fails an OTTL statement that does not parse, naming it", async () => {
    const config = parse(rendered({ target: "docker" })) as Config;
    config.processors["transform/labels"].metric_statements.push('set(datapoint.attributes["x"], resource.attributes["x"]');
    const r = await validateCollectorConfig(JSON.stringify(config));
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/transform\/labels[\s\S]*invalid syntax/);
  });

  it("fails a pipeline that names an undefined component", async () => {
    const config = parse(rendered({ target: "docker" })) as Config;
    config.service.pipelines.logs.exporters.push("otlp_http/tempo");
    const r = await validateCollectorConfig(JSON.stringify(config));
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/otlp_http\/tempo/);
  });
});

// ---------------------------------------------------------------------------------------------
// What validate cannot check

interface Manifest {
  dist: { version: string };
  [kind: string]: unknown;
}
const manifest = parse(readFileSync(BUILDER_MANIFEST, "utf8")) as Manifest;
const KINDS = ["receivers", "processors", "exporters", "connectors", "extensions"] as const;

/** Component types a config uses: the id before any `/name`. */
function typesUsed(config: Config): Record<(typeof KINDS)[number], Set<string>> {
  const out = Object.fromEntries(KINDS.map((k) => [k, new Set<string>()])) as Record<(typeof KINDS)[number], Set<string>>;
  for (const kind of KINDS) for (const id of Object.keys(config[kind] ?? {})) out[kind].add(id.split("/")[0] as string);
  return out;
}

/** The module a component type is built from: the type, without underscores, is in its module path. */
function moduleOf(kind: (typeof KINDS)[number], type: string): string | undefined {
  const entries = (manifest[kind] as { gomod: string }[] | undefined) ?? [];
  const flat = type.replaceAll("_", "");
  return entries.map((e) => e.gomod).find((m) => (m.split(" ")[0] as string).split("/").at(-1) === `${flat}${kind.slice(0, -1)}`);
}

describe("rendered collector config: project rules", () => {
  it.each(VARIANTS)("limits memory first where OTLP comes in, batches last where data leaves: %s", (_name, raw) => {
    const config = parse(rendered(raw)) as Config;
    const connectors = new Set(Object.keys(config.connectors ?? {}));
    for (const [name, p] of Object.entries(config.service.pipelines as Record<string, { receivers: string[]; processors: string[]; exporters: string[] }>)) {
      if (p.receivers.includes("otlp")) expect(p.processors[0], name).toBe("memory_limiter");
      if (p.exporters.some((e) => !connectors.has(e))) expect(p.processors.at(-1), name).toBe("batch");
    }
  });

  it.each(VARIANTS)("stores nothing that has not passed the privacy statements: %s", (_name, raw) => {
    const config = parse(rendered(raw)) as Config;
    const pipelines = config.service.pipelines as Record<string, { receivers: string[]; processors: string[]; exporters: string[] }>;
    // Every pipeline that writes to Prometheus or Loki reads from a connector, never straight from OTLP.
    for (const [name, p] of Object.entries(pipelines)) {
      const stores = p.exporters.filter((e) => e === "prometheus_remote_write" || e.startsWith("otlp_http"));
      if (stores.length > 0)
        expect(
          p.receivers.every((r) => r !== "otlp"),
          name,
        ).toBe(true);
    }
    // cumulative_to_delta only turns cumulative points into deltas (it stores nothing), before the
    // label bounds could merge two streams of one session.
    expect(pipelines["metrics/store"]?.processors.slice(0, 2)).toEqual(["cumulative_to_delta", "transform/bound_labels"]);
    expect(pipelines["logs/store"]?.processors[0]).toBe("transform/scrub_content");
  });

  it.each(VARIANTS)("writes no token into the file, only ${env:…} references: %s", (_name, raw) => {
    const config = parse(rendered(raw)) as Config;
    const auth = config.extensions.bearertokenauth as { token?: string; tokens?: string[] } | undefined;
    for (const t of [auth?.token, ...(auth?.tokens ?? [])].filter((x) => x !== undefined)) expect(t).toMatch(/^\$\{env:[A-Z_]+\}$/);
    expect(rendered(raw)).not.toContain("<ingest-token>");
  });

  it("builds the collector of the pinned image's release", () => {
    const version = imageVersion(IMAGES.collector);
    expect(manifest.dist.version).toBe(version);
    for (const kind of KINDS) {
      for (const { gomod } of (manifest[kind] as { gomod: string }[] | undefined) ?? [])
        expect(gomod, gomod).toMatch(new RegExp(` v0\\.${version.split(".")[1]}\\.\\d+$`));
    }
  });

  it("lists in the builder manifest exactly the components the rendered configs use", () => {
    const used = Object.fromEntries(KINDS.map((k) => [k, new Set<string>()])) as Record<(typeof KINDS)[number], Set<string>>;
    for (const [, raw] of VARIANTS) {
      const t = typesUsed(parse(rendered(raw)) as Config);
      for (const kind of KINDS) for (const x of t[kind]) used[kind].add(x);
    }
    for (const kind of KINDS) {
      const listed = ((manifest[kind] as { gomod: string }[]) ?? []).map((e) => e.gomod).sort();
      const needed = [...used[kind]].map((type) => moduleOf(kind, type) ?? `(no module for ${kind.slice(0, -1)} ${type})`).sort();
      expect(listed, kind).toEqual(needed);
    }
  });
});
