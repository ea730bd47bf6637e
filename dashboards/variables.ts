// The filter variables dashboards share. Values come from the activity series (one per person), so
// the drop-downs stay fast with thousands of users.
import type { QueryVariableBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { USAGE_COUNTERS, USER_ACTIVITY } from "../components/usage-series.js";
import { variable } from "./panels.js";
import type { VariableName } from "./queries.js";

const PEOPLE = USER_ACTIVITY.series;

const BUILDERS: Record<VariableName, () => QueryVariableBuilder> = {
  department: () => variable("department", "Department", PEOPLE),
  team: () => variable("team", "Team", PEOPLE, ["department"]),
  cost_center: () => variable("cost_center", "Cost centre", PEOPLE, ["department", "team"]),
  user: () => variable("user", "User", PEOPLE, ["department", "team", "cost_center"]),
  model: () => variable("model", "Model", USAGE_COUNTERS.cost.series),
};

/** The variables for the given filters, in the order Grafana should show them. */
export function filterVariables(names: readonly VariableName[]): QueryVariableBuilder[] {
  return names.map((n) => BUILDERS[n]());
}

/** One person to look at (the personal dashboard): a single choice, no "All". */
export function singleUserVariable(): QueryVariableBuilder {
  return variable("user", "User", PEOPLE, [], { single: true });
}
