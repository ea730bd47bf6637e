// The stack's short name, written once.

/**
 * Name of the TelemetryStack component (fixed: renaming it would replace the stack's generated
 * secrets), and the default prefix of object names and the default Kubernetes namespace.
 */
export const STACK_NAME = "claude-telemetry";
