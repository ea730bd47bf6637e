// The rendered collector configs against the strict schema of the pinned collector release.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { validateCollectorConfig, COLLECTOR_SCHEMA_VERSION } from "./support/collector-schema/index.js";
import { parseSettings } from "../components/settings.js";
import { placeholderSpecs } from "../components/render-files.js";
import { COLLECTOR_CONFIG_PATH } from "../components/collector.js";
import { IMAGES, imageVersion } from "../components/images.js";

const k8s = { otlpHost: "otel.example.com", clusterIssuer: "letsencrypt" };
const variants: Array<[string, Record<string, unknown>]> = [
  ["local", { target: "docker" }],
  ["local with debug exporter", { target: "docker", collector: { debugExporter: true } }],
  ["local with custom label attributes", { target: "docker", collector: { labelAttributes: ["team", "org.unit"] } }],
  ["enterprise (token on both receivers)", { target: "kubernetes", kubernetes: k8s }],
];

function rendered(raw: Record<string, unknown>): unknown {
  const spec = placeholderSpecs(parseSettings(raw, "t")).collector;
  return parse(String(spec.files.find((f) => f.path === COLLECTOR_CONFIG_PATH)?.content));
}

describe("rendered collector config", () => {
  it("is checked against the schema of the pinned image's release", () => {
    expect(COLLECTOR_SCHEMA_VERSION).toBe(imageVersion(IMAGES.collector));
  });

  it.each(variants)("passes the strict schema and wiring checks: %s", (_name, raw) => {
    expect(validateCollectorConfig(rendered(raw))).toEqual([]);
  });

  it("would be caught if it drifted (the check can fail)", () => {
    const config = rendered({ target: "docker" }) as Record<string, any>;
    config.exporters.prometheusremotewrite.namespace_typo = "x";
    config.service.pipelines.logs.exporters.push("otlphttp/missing");
    const problems = validateCollectorConfig(config);
    expect(problems.join("\n")).toMatch(/namespace_typo/);
    expect(problems.join("\n")).toMatch(/otlphttp\/missing/);
  });
});
