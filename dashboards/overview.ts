// Overview (the home dashboard): how much Claude Code is used, by whom, at what estimated cost.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { USAGE_COUNTERS as C } from "../components/usage-series.js";
import { COST_NOTE, Layout, dashboard, pie, stat, text, timeSeries } from "./panels.js";
import { COLLECTED_PANEL_TITLE, collectedPanelMarkdown, type DashboardPolicy } from "./privacy.js";
import { ALL_FILTERS, WHO_COUNTS, activePeople, peopleAndInstallations, perInterval, total } from "./queries.js";
import { costByModelOverTime, tokensByTypeOverTime } from "./usage-panels.js";
import { filterVariables } from "./variables.js";

export const OVERVIEW_UID = "claude-code-overview";

export function overviewDashboard(policy: DashboardPolicy): Dashboard {
  const d = dashboard({
    uid: OVERVIEW_UID,
    title: "Claude Code / Overview",
    description: "Active people, sessions, estimated cost, tokens and code output for the selected range.",
  }).variables(filterVariables(ALL_FILTERS));
  const l = new Layout(d);

  l.row("Selected range");
  l.add(stat({ title: "Active people", description: WHO_COUNTS, queries: peopleAndInstallations((who) => activePeople({ who })) }), 4, 4);
  l.add(stat({ title: "Sessions", queries: [{ expr: total(C.sessions) }] }), 4, 4);
  l.add(stat({ title: "Estimated cost", description: COST_NOTE, unit: "currencyUSD", queries: [{ expr: total(C.cost) }] }), 4, 4);
  l.add(stat({ title: "Tokens", unit: "short", queries: [{ expr: total(C.tokens) }] }), 4, 4);
  l.add(stat({ title: "Commits", queries: [{ expr: total(C.commits) }] }), 4, 4);
  l.add(stat({ title: "Pull requests", queries: [{ expr: total(C.pullRequests) }] }), 4, 4);
  l.add(stat({ title: "Lines of code", queries: [{ expr: total(C.linesOfCode, { by: ["type"] }), legend: "{{type}}" }] }), 8, 4);

  l.row("Over time");
  l.add(costByModelOverTime({}, COST_NOTE), 12, 8);
  l.add(tokensByTypeOverTime(), 12, 8);
  l.add(
    pie({
      title: "Estimated cost by model",
      description: COST_NOTE,
      unit: "currencyUSD",
      queries: [{ expr: total(C.cost, { by: ["model"] }), legend: "{{model}}" }],
    }),
    8,
    8,
  );
  l.add(
    timeSeries({ title: "Sessions started", stacked: true, bars: true, queries: [{ expr: perInterval(C.sessions, { by: ["team"] }), legend: "{{team}}" }] }),
    16,
    8,
  );

  l.row("Privacy");
  l.add(text(COLLECTED_PANEL_TITLE, collectedPanelMarkdown(policy)), 24, 7);
  return d.build();
}
