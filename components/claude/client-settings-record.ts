// The generated Claude Code settings as the policy pack sees them: the inputs of a component of
// the stack (a policy reads resources, never stack outputs). The env block holds the placeholder
// <ingest-token>, never the token. No dependencies, so the pack loads it without the program.

export const CLIENT_SETTINGS_TYPE = "claude-code-telemetry:client:ManagedSettings";

export interface ClientSettingsRecordInputs {
  /** The env block the managed settings carry, the token replaced by its placeholder. */
  readonly env: Record<string, string>;
  /** client.contentCaptureAcknowledged: developers were told that content is collected. */
  readonly contentCaptureAcknowledged: boolean;
}
