// What the schema knows about each component type: its config schema and the signals it handles.

import type { Check } from "./shape.js";

export type Signal = "traces" | "metrics" | "logs";
export const SIGNALS: readonly Signal[] = ["traces", "metrics", "logs"];

export interface ComponentSpec {
  schema: Check;
  /** Pipeline signals the component supports (empty for extensions). */
  signals: readonly Signal[];
  /** Extensions only: usable as `auth.authenticator`. */
  authenticator?: boolean;
}

export type Registry = Readonly<Record<string, ComponentSpec>>;
