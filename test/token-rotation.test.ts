// Rotating the ingest token without dropping clients: generation 2 is issued while generation 1
// stays accepted until the new managed settings have reached every machine.
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { outputValue, type MockHarness } from "./support/pulumi-mocks.js";
import { loadProgram } from "./support/program.js";
import { validateCollectorConfig } from "./support/collector.js";
import { requireTools } from "./support/tools.js";
import { INGEST_TOKEN_ENV, PREVIOUS_INGEST_TOKEN_ENV } from "../components/collector.js";

let mocks: MockHarness;
let program: Record<string, any>;

beforeAll(async () => {
  ({ mocks, outputs: program } = await loadProgram("enterprise", { kubernetes: { ingestTokenGeneration: 2, acceptPreviousToken: true } }));
});

describe("ingest token rotation", () => {
  it("keeps generation 1 and adds generation 2; the output is the new one", async () => {
    const passwords = mocks
      .ofType("random:index/randomPassword:RandomPassword")
      .map((p) => p.name)
      .sort();
    expect(passwords).toEqual(["claude-telemetry-grafana-admin", "claude-telemetry-ingest-token", "claude-telemetry-ingest-token-g2"]);
    const secret = mocks.ofType("kubernetes:core/v1:Secret").find((s) => s.inputs.metadata.name.includes("collector"))!;
    const current = await outputValue<string>(program.ingestToken);
    expect(secret.inputs.stringData[INGEST_TOKEN_ENV]).toBe(current);
    expect(secret.inputs.stringData[PREVIOUS_INGEST_TOKEN_ENV]).toHaveLength(48);
    expect(secret.inputs.stringData[PREVIOUS_INGEST_TOKEN_ENV]).not.toBe(current);
  });

  it("accepts both tokens on the receivers while the rotation rolls out, in a config the real collector accepts", async (ctx) => {
    requireTools(ctx, "otelcol");
    const cm = mocks.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.inputs.metadata.name.includes("collector"))!;
    const text = Object.values(cm.inputs.data as Record<string, string>)[0]!;
    const config = parse(text);
    expect(config.extensions.bearertokenauth.tokens).toEqual([`\${env:${INGEST_TOKEN_ENV}}`, `\${env:${PREVIOUS_INGEST_TOKEN_ENV}}`]);
    const r = await validateCollectorConfig(text, { [INGEST_TOKEN_ENV]: "a", [PREVIOUS_INGEST_TOKEN_ENV]: "b" });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});
