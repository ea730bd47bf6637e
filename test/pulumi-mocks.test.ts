// The test harness's Pulumi mocks: an invoke they were not told about fails, one they were told
// about answers what the test gave (mocks are process-global: this file sets up its own).
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { setupPulumiMocks, type MockHarness } from "./support/pulumi-mocks.js";

let mocks: MockHarness;

beforeAll(async () => {
  mocks = await setupPulumiMocks({ calls: { "test:index:getKnown": (inputs) => ({ echoed: inputs.value }) } });
});

describe("the Pulumi mocks", () => {
  it("answer a known invoke with what the test gave, and record it", async () => {
    const result = await pulumi.runtime.invoke("test:index:getKnown", { value: "x" });
    expect(result).toEqual({ echoed: "x" });
    expect(mocks.calls).toContainEqual({ token: "test:index:getKnown", inputs: { value: "x" } });
  });

  it("fail an invoke they do not know, naming it on stderr", async () => {
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      await expect(pulumi.runtime.invoke("kubernetes:helm:template", { chart: "x" })).rejects.toThrow();
    } finally {
      process.stderr.write = write;
    }
    expect(written.join("")).toContain("the Pulumi mocks know no invoke kubernetes:helm:template");
  });
});
