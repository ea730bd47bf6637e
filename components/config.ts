// Reads this stack's Pulumi config and validates it; the only place that touches Pulumi config.
import * as pulumi from "@pulumi/pulumi";
import { parseSettings, SettingsError, type Settings } from "./settings.js";
import { settingsFromPulumiConfig } from "./settings-source.js";

export function loadSettings(): Settings {
  try {
    const { raw, problems } = settingsFromPulumiConfig(pulumi.runtime.allConfig());
    return parseSettings(raw, pulumi.getStack(), problems);
  } catch (err) {
    if (err instanceof SettingsError) {
      // A RunError prints the message alone, without a stack trace, and stops before any resource.
      throw new pulumi.RunError(err.message);
    }
    throw err;
  }
}
