// What the dashboards say about the stack's privacy policy: a "What this stack keeps" panel on the
// overview and the personal dashboard, and, where the stack drops person identity, a note on every
// person panel instead of an empty one.
import type { Dashboard, Panel } from "@grafana/grafana-foundation-sdk/dashboard";
import { RECORDED_USERS, USER_LABEL } from "../components/prometheus-rules.js";
import { USER_ACTIVITY } from "../components/usage-series.js";
import { collectedMarkdown, type IdentityMode, type PrivacyInput } from "../components/privacy.js";
import { privacySettingsSchema } from "../components/privacy.js";
import { ORG_ATTRIBUTES } from "../components/claude/telemetry.js";

export interface DashboardPolicy {
  identity: IdentityMode;
  /** The "what this stack keeps" table (markdown). */
  collected: string;
}

export function dashboardPolicy(input: PrivacyInput): DashboardPolicy {
  return { identity: input.privacy.identity, collected: collectedMarkdown(input) };
}

/** The policy of a stack with the default settings (what the tests and snapshots render). */
export const DEFAULT_DASHBOARD_POLICY: DashboardPolicy = dashboardPolicy({
  privacy: privacySettingsSchema.parse({}),
  contentCaptureAcknowledged: false,
  labelAttributes: [...ORG_ATTRIBUTES],
});

export const COLLECTED_PANEL_TITLE = "What this stack keeps";

export function collectedPanelMarkdown(policy: DashboardPolicy): string {
  return `${policy.collected}\n\nSet by the stack's \`privacy\` and \`client\` settings; the collector applies them to everything it receives.`;
}

export const DROPPED_IDENTITY_NOTE = "No person identity: this stack drops it (privacy.identity: drop)";

/**
 * Whether a query is about people: it reads the presence series, needs a person (`user!=""`) or
 * groups by person. A `user=~"$user"` filter alone is not: with "All" it keeps everyone's usage.
 */
export function readsPeople(expr: string): boolean {
  const groupsByUser = [...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].some((m) =>
    (m[1] as string)
      .split(",")
      .map((l) => l.trim())
      .includes(USER_LABEL),
  );
  return expr.includes(USER_ACTIVITY.series) || expr.includes(RECORDED_USERS.perHour) || expr.includes(`${USER_LABEL}!=""`) || groupsByUser;
}

/** In `drop` mode every person panel says why it is empty; a `personal` dashboard is all person panels. */
export function withPersonNotes(d: Dashboard, policy: DashboardPolicy, personal = false): Dashboard {
  if (policy.identity !== "drop") return d;
  const panels = (d.panels ?? []).map((p) => {
    const panel = p as Panel;
    const exprs = (panel.targets ?? []).map((t) => (t as { expr?: string }).expr ?? "").filter(Boolean);
    if (exprs.length === 0 || !(personal || exprs.some(readsPeople))) return p;
    return {
      ...panel,
      fieldConfig: {
        ...panel.fieldConfig,
        defaults: { ...panel.fieldConfig?.defaults, noValue: DROPPED_IDENTITY_NOTE },
        overrides: panel.fieldConfig?.overrides ?? [],
      },
    };
  });
  return { ...d, panels };
}
