// Every dashboard the stack provisions, as Grafana dashboard JSON keyed by file name. The Grafana
// component writes each file into the provisioned folder; the overview is the home dashboard.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { adoptionDashboard } from "./adoption.js";
import { attributionDashboard } from "./attribution.js";
import { costDashboard } from "./cost.js";
import { DEVELOPER_UID, developerDashboard } from "./developer.js";
import { overviewDashboard } from "./overview.js";
import { pipelineDashboard } from "./pipeline.js";
import { qualityDashboard } from "./quality.js";
import { DEFAULT_DASHBOARD_POLICY, withPersonNotes, type DashboardPolicy } from "./privacy.js";

/** Every dashboard, home dashboard first, saying what the stack's privacy policy keeps. */
export function allDashboards(policy: DashboardPolicy = DEFAULT_DASHBOARD_POLICY): Dashboard[] {
  return [
    overviewDashboard(policy),
    costDashboard(),
    adoptionDashboard(),
    attributionDashboard(),
    developerDashboard(policy),
    qualityDashboard(),
    pipelineDashboard(),
  ].map((d) => withPersonNotes(d, policy, d.uid === DEVELOPER_UID));
}

/** File name of a dashboard: its stable UID (the overview is `claude-code-overview.json`). */
export function dashboardFileName(d: Dashboard): string {
  if (!d.uid) throw new Error(`dashboard "${d.title}" has no uid`);
  return `${d.uid}.json`;
}

export function dashboardFiles(policy: DashboardPolicy = DEFAULT_DASHBOARD_POLICY): Record<string, string> {
  return Object.fromEntries(allDashboards(policy).map((d) => [dashboardFileName(d), JSON.stringify(d, null, 2)]));
}
