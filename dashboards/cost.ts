// Cost and chargeback: estimated cost split by the org attributes, models and people.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { USAGE_COUNTERS as C } from "../components/usage-series.js";
import { COST_NOTE, Layout, barGauge, dashboard, stat, table, text, timeSeries } from "./panels.js";
import { ALL_FILTERS, WHO_COUNTS, activePeople, peopleAndInstallations, perInterval, total } from "./queries.js";
import { filterVariables } from "./variables.js";

export const COST_UID = "claude-code-cost";

const USD = "currencyUSD";
const INPUT_TYPES = 'type=~"input|cacheRead|cacheCreation"';

/** Cache reads over everything sent as input: the share billed at the (much lower) cache-read price. */
function cacheReadShare(range?: string): string {
  const q = (where: string) => (range ? total(C.tokens, { where: [where], range }) : total(C.tokens, { where: [where] }));
  return `${q('type="cacheRead"')} / ${q(INPUT_TYPES)}`;
}

export function costDashboard(): Dashboard {
  const d = dashboard({
    uid: COST_UID,
    title: "Claude Code / Cost and chargeback",
    description: "Estimated cost by team, department, cost centre, model and person, for chargeback and budgeting.",
    time: "now-30d",
  }).variables(filterVariables(ALL_FILTERS));
  const l = new Layout(d);

  l.add(text("About these figures", COST_NOTE), 24, 3);
  l.row("Selected range");
  l.add(stat({ title: "Estimated cost", unit: USD, queries: [{ expr: total(C.cost) }] }), 6, 4);
  l.add(stat({ title: "Active people", description: WHO_COUNTS, queries: peopleAndInstallations((who) => activePeople({ who })) }), 6, 4);
  l.add(
    stat({
      title: "Cost per active person",
      description: `Per person or installation. ${WHO_COUNTS}`,
      unit: USD,
      queries: [{ expr: `${total(C.cost)} / ${activePeople()}` }],
    }),
    6,
    4,
  );
  l.add(
    stat({
      title: "Cache-read share of input tokens",
      description: "Input tokens served from the prompt cache. Cache reads cost a fraction of fresh input, so a higher share means savings.",
      unit: "percentunit",
      queries: [{ expr: cacheReadShare() }],
    }),
    6,
    4,
  );

  l.row("Breakdown");
  const by = (label: string, title: string) =>
    barGauge({ title: `Estimated cost by ${title}`, unit: USD, queries: [{ expr: `sort_desc(${total(C.cost, { by: [label] })})`, legend: `{{${label}}}` }] });
  l.add(by("team", "team"), 8, 8);
  l.add(by("department", "department"), 8, 8);
  l.add(by("cost_center", "cost centre"), 8, 8);
  l.add(by("model", "model"), 8, 8);
  l.add(
    barGauge({
      title: "Cost per active person by team",
      description: `Per person or installation. ${WHO_COUNTS}`,
      unit: USD,
      queries: [{ expr: `${total(C.cost, { by: ["team"] })} / ${activePeople({ by: ["team"] })}`, legend: "{{team}}" }],
    }),
    8,
    8,
  );
  l.add(
    table({
      title: "Chargeback by cost centre",
      unit: USD,
      sortBy: "Value",
      queries: [{ expr: total(C.cost, { by: ["cost_center", "department", "team"] }) }],
    }),
    8,
    8,
  );

  l.row("People");
  l.add(
    table({
      title: "Top spenders",
      description: `People with the highest estimated cost in the range; an installation shows as installation:<user.id>. ${WHO_COUNTS}`,
      unit: USD,
      sortBy: "Value",
      queries: [{ expr: `topk(20, ${total(C.cost, { by: ["user", "team"] })})` }],
    }),
    12,
    10,
  );
  l.add(
    table({
      title: "Cost and tokens by person",
      description: `An installation shows as installation:<user.id>. ${WHO_COUNTS}`,
      queries: [
        { expr: total(C.cost, { by: ["user", "team", "cost_center"] }), legend: "cost" },
        { expr: total(C.tokens, { by: ["user", "team", "cost_center"] }), legend: "tokens" },
      ],
    })
      .overrideByName("Value #A", [
        { id: "unit", value: USD },
        { id: "displayName", value: "Estimated cost" },
      ])
      .overrideByName("Value #B", [
        { id: "unit", value: "short" },
        { id: "displayName", value: "Tokens" },
      ]),
    12,
    10,
  );

  l.row("Over time");
  l.add(
    timeSeries({
      title: "Estimated cost by team",
      unit: USD,
      stacked: true,
      bars: true,
      queries: [{ expr: perInterval(C.cost, { by: ["team"] }), legend: "{{team}}" }],
    }),
    12,
    8,
  );
  l.add(
    timeSeries({ title: "Cache-read share of input tokens", unit: "percentunit", queries: [{ expr: cacheReadShare("$__interval"), legend: "cache reads" }] })
      .min(0)
      .max(1),
    12,
    8,
  );
  return d.build();
}
