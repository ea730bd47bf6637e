// Developer (personal): one person's usage, code output, edit decisions and recent API errors.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { USAGE_COUNTERS as C } from "../components/usage-series.js";
import { COST_NOTE, Layout, barGauge, dashboard, logs, stat, text, timeSeries } from "./panels.js";
import { COLLECTED_PANEL_TITLE, collectedPanelMarkdown, type DashboardPolicy } from "./privacy.js";
import { lokiEvents, perInterval, total, type VariableName } from "./queries.js";
import { costByModelOverTime, tokensByTypeOverTime } from "./usage-panels.js";
import { filterVariables, singleUserVariable } from "./variables.js";

export const DEVELOPER_UID = "claude-code-developer";

const VARS: readonly VariableName[] = ["user", "model"];

export function developerDashboard(policy: DashboardPolicy): Dashboard {
  const d = dashboard({
    uid: DEVELOPER_UID,
    title: "Claude Code / Developer",
    description: "One person's estimated cost, tokens, sessions, active time, code output, edit decisions and API errors.",
  }).variables([singleUserVariable(), ...filterVariables(["model"])]);
  const l = new Layout(d);
  const q = { vars: VARS };

  l.row("Selected range");
  l.add(stat({ title: "Estimated cost", description: COST_NOTE, unit: "currencyUSD", queries: [{ expr: total(C.cost, q) }] }), 4, 4);
  l.add(stat({ title: "Tokens", unit: "short", queries: [{ expr: total(C.tokens, q) }] }), 4, 4);
  l.add(stat({ title: "Sessions", queries: [{ expr: total(C.sessions, q) }] }), 4, 4);
  l.add(stat({ title: "Active time", unit: "s", queries: [{ expr: total(C.activeTime, { ...q, by: ["type"] }), legend: "{{type}}" }] }), 6, 4);
  l.add(stat({ title: "Lines of code", queries: [{ expr: total(C.linesOfCode, { ...q, by: ["type"] }), legend: "{{type}}" }] }), 6, 4);
  l.add(stat({ title: "Commits", queries: [{ expr: total(C.commits, q) }] }), 4, 4);
  l.add(stat({ title: "Pull requests", queries: [{ expr: total(C.pullRequests, q) }] }), 4, 4);
  l.add(
    stat({
      title: "Edits accepted",
      description: "Share of Edit / Write / NotebookEdit proposals accepted.",
      unit: "percentunit",
      queries: [{ expr: `${total(C.editDecisions, { ...q, where: ['decision="accept"'] })} / ${total(C.editDecisions, q)}` }],
    }),
    4,
    4,
  );
  l.add(
    barGauge({
      title: "Edit decisions by language",
      queries: [{ expr: total(C.editDecisions, { ...q, by: ["language", "decision"] }), legend: "{{language}} {{decision}}" }],
    }),
    12,
    4,
  );

  l.row("Over time");
  l.add(costByModelOverTime(q), 12, 8);
  l.add(tokensByTypeOverTime(q), 12, 8);
  l.add(
    timeSeries({
      title: "Active time",
      unit: "s",
      stacked: true,
      bars: true,
      queries: [{ expr: perInterval(C.activeTime, { ...q, by: ["type"] }), legend: "{{type}}" }],
    }),
    12,
    8,
  );
  l.add(
    timeSeries({
      title: "Lines of code",
      stacked: true,
      bars: true,
      queries: [{ expr: perInterval(C.linesOfCode, { ...q, by: ["type"] }), legend: "{{type}}" }],
    }),
    12,
    8,
  );

  l.row("Errors");
  l.add(
    logs({
      title: "Recent API errors",
      description: "api_error events (after retries) of this person, newest first.",
      queries: [{ expr: lokiEvents("apiError", { org: false, user: true, model: true }) }],
    }),
    24,
    10,
  );

  l.row("Privacy");
  l.add(text(COLLECTED_PANEL_TITLE, collectedPanelMarkdown(policy)), 24, 7);
  return d.build();
}
