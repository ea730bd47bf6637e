// Reads this stack's Pulumi config and validates it; the only place that touches Pulumi config.
import * as pulumi from "@pulumi/pulumi";
import { parseSettings, rawFromPulumiConfig, SettingsError, type Settings } from "./settings.js";

export function loadSettings(): Settings {
  try {
    return parseSettings(rawFromPulumiConfig(pulumi.runtime.allConfig()), pulumi.getStack());
  } catch (err) {
    if (err instanceof SettingsError) {
      // A RunError prints the message alone, without a stack trace, and stops before any resource.
      throw new pulumi.RunError(err.message);
    }
    throw err;
  }
}
