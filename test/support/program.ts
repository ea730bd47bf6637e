// Runs the whole Pulumi program (index.ts) under mocks with a committed stack file's settings.
// Call once per test file (mocks are process-global; vitest runs each file in its own process).
import { setupPulumiMocks, outputValue, type MockHarness, type MockOptions } from "./pulumi-mocks.js";
import { readStackSettings } from "../../lib/stack-file.js";
import { CONFIG_NAMESPACE } from "../../components/settings.js";

export interface LoadedProgram {
  mocks: MockHarness;
  /** The program's exports (stack outputs). */
  outputs: Record<string, any>;
  /** The raw settings the program ran with. */
  raw: Record<string, unknown>;
}

/**
 * Settings overrides merged over the stack file's, section by section; `providers` stand in for
 * real providers (see setupPulumiMocks).
 */
export async function loadProgram(
  stack: string,
  overrides: Record<string, Record<string, unknown> | string> = {},
  providers?: MockOptions["providers"],
): Promise<LoadedProgram> {
  const raw: Record<string, unknown> = { ...readStackSettings(`Pulumi.${stack}.yaml`).raw };
  for (const [k, v] of Object.entries(overrides)) {
    raw[k] = typeof v === "object" ? { ...((raw[k] as object) ?? {}), ...v } : v;
  }
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) config[`${CONFIG_NAMESPACE}:${k}`] = v;
  const mocks = await setupPulumiMocks({ project: CONFIG_NAMESPACE, stack, config, providers });
  const outputs: Record<string, any> = await import("../../index.js");
  await Promise.all(Object.values(outputs).map((o) => outputValue(o)));
  await mocks.settle();
  return { mocks, outputs, raw };
}
