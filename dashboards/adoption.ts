// Adoption: how many people use Claude Code, how often and how long, and who is new.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { USAGE_COUNTERS as C } from "../components/usage-series.js";
import { Layout, barGauge, dashboard, stat, table, timeSeries } from "./panels.js";
import { PEOPLE_FILTERS, WHO_COUNTS, activePeople, newPeople, peopleAndInstallations, perInterval, total } from "./queries.js";
import { filterVariables } from "./variables.js";

export const ADOPTION_UID = "claude-code-adoption";

export function adoptionDashboard(): Dashboard {
  const d = dashboard({
    uid: ADOPTION_UID,
    title: "Claude Code / Adoption",
    description: "Daily and weekly active people, sessions per person, active time and new people, by team.",
    time: "now-30d",
  }).variables(filterVariables(PEOPLE_FILTERS));
  const l = new Layout(d);
  const vars = PEOPLE_FILTERS;

  l.row("Selected range");
  l.add(stat({ title: "Active people", description: WHO_COUNTS, queries: peopleAndInstallations((who) => activePeople({ who })) }), 4, 4);
  l.add(
    stat({
      title: "New people",
      description: `Active in the range and not in the 30 days before it. ${WHO_COUNTS}`,
      queries: peopleAndInstallations((who) => newPeople("30d", who)),
    }),
    4,
    4,
  );
  l.add(stat({ title: "Sessions", queries: [{ expr: total(C.sessions, { vars }) }] }), 4, 4);
  l.add(
    stat({
      title: "Sessions per person",
      description: `Per person or installation. ${WHO_COUNTS}`,
      decimals: 1,
      queries: [{ expr: `${total(C.sessions, { vars })} / ${activePeople()}` }],
    }),
    4,
    4,
  );
  l.add(
    stat({
      title: "Active time",
      description: "user: time people spent interacting; cli: time Claude Code spent working.",
      unit: "s",
      queries: [{ expr: total(C.activeTime, { vars, by: ["type"] }), legend: "{{type}}" }],
    }),
    8,
    4,
  );

  l.row("Active people over time");
  l.add(
    timeSeries({
      title: "Daily and weekly active people",
      description: `Rolling windows ending at each point: people and installations seen in the previous 24 hours and 7 days. ${WHO_COUNTS}`,
      queries: [
        { expr: activePeople({ range: "1d", hourly: true }), legend: "daily (24h)" },
        { expr: activePeople({ range: "7d", hourly: true }), legend: "weekly (7d)" },
        { expr: activePeople({ range: "1d", hourly: true, who: "installations" }), legend: "daily, of them installations" },
      ],
    }).interval("1h"),
    12,
    8,
  );
  l.add(
    timeSeries({
      title: "Daily active people by team",
      description: `People and installations. ${WHO_COUNTS}`,
      queries: [{ expr: activePeople({ range: "1d", hourly: true, by: ["team"] }), legend: "{{team}}" }],
    }).interval("1h"),
    12,
    8,
  );

  l.row("Usage per person");
  l.add(
    barGauge({
      title: "Sessions per person by team",
      description: `Per person or installation. ${WHO_COUNTS}`,
      decimals: 1,
      queries: [{ expr: `${total(C.sessions, { vars, by: ["team"] })} / ${activePeople({ by: ["team"] })}`, legend: "{{team}}" }],
    }),
    8,
    8,
  );
  l.add(
    timeSeries({
      title: "Active time, people vs Claude Code",
      unit: "s",
      stacked: true,
      bars: true,
      queries: [{ expr: perInterval(C.activeTime, { vars, by: ["type"] }), legend: "{{type}}" }],
    }),
    16,
    8,
  );
  l.add(
    table({
      title: "Adoption by team",
      description: WHO_COUNTS,
      queries: [
        { expr: activePeople({ by: ["team"], who: "people" }) },
        { expr: activePeople({ by: ["team"], who: "installations" }) },
        { expr: total(C.sessions, { vars, by: ["team"] }) },
        { expr: total(C.activeTime, { vars, by: ["team"], where: ['type="user"'] }) },
      ],
    })
      .overrideByName("Value #A", [{ id: "displayName", value: "Active people" }])
      .overrideByName("Value #B", [{ id: "displayName", value: "Installations (no person identity)" }])
      .overrideByName("Value #C", [{ id: "displayName", value: "Sessions" }])
      .overrideByName("Value #D", [
        { id: "displayName", value: "Active time (user)" },
        { id: "unit", value: "s" },
      ]),
    24,
    8,
  );
  return d.build();
}
