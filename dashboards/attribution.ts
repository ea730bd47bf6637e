// Attribution: what the money buys. Cost and tokens by query source and by subagent, skill, plugin,
// MCP server and tool (top N, the rest grouped), their trend, and how those parts fail: API errors
// and refusals where they happened, MCP servers that did not connect, compactions per session.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { promLabel } from "../components/claude/telemetry.js";
import { API_EVENT_COUNTERS as E, ATTRIBUTED_COUNTERS as A, ATTRIBUTION_LABELS as L, USAGE_COUNTERS as C } from "../components/usage-series.js";
import { COST_NOTE, Layout, barGauge, dashboard, pie, table, text, timeSeries } from "./panels.js";
import { ALL_FILTERS, ORG_FILTERS, eventTotal, perInterval, topWithRest, total } from "./queries.js";
import { filterVariables } from "./variables.js";

export const ATTRIBUTION_UID = "claude-code-attribution";

/** Names shown one by one before the rest is grouped. */
export const TOP_N = 10;
const USD = "currencyUSD";
const QUERY_SOURCE = promLabel("query_source");

/** The parts cost is attributed to, as the panels title them. */
export const ATTRIBUTION_KINDS: readonly { readonly label: string; readonly title: string }[] = [
  { label: L.agent, title: "subagent" },
  { label: L.skill, title: "skill" },
  { label: L.plugin, title: "plugin" },
  { label: L.mcpServer, title: "MCP server" },
  { label: L.mcpTool, title: "MCP tool" },
];

const ABOUT = `${COST_NOTE} Claude Code names built-in and official marketplace agents, skills, plugins and MCP servers as they are; user-defined agents and MCP servers arrive as "custom", third-party skills and plugins as "third-party". Requests without a subagent, skill, plugin or MCP tool are counted under the query source only. Error, refusal and event panels are per team and model, not per person.`;

export function attributionDashboard(): Dashboard {
  const d = dashboard({
    uid: ATTRIBUTION_UID,
    title: "Claude Code / Attribution",
    description: "Cost and tokens by query source, subagent, skill, plugin, MCP server and tool; their errors, refusals and compactions.",
    time: "now-7d",
  }).variables(filterVariables(ALL_FILTERS));
  const l = new Layout(d);
  l.add(text("About these figures", ABOUT), 24, 3);

  l.row("Where the money goes (selected range)");
  l.add(
    pie({
      title: "Estimated cost by query source",
      description: "main: the conversation; subagent: Task/Agent runs; auxiliary: titles, summaries and other side requests.",
      unit: USD,
      queries: [{ expr: total(A.cost, { by: [QUERY_SOURCE] }), legend: `{{${QUERY_SOURCE}}}` }],
    }),
    8,
    8,
  );
  l.add(
    pie({
      title: "Tokens by query source",
      unit: "short",
      queries: [{ expr: total(A.tokens, { by: [QUERY_SOURCE] }), legend: `{{${QUERY_SOURCE}}}` }],
    }),
    8,
    8,
  );
  l.add(
    timeSeries({
      title: "Estimated cost by query source over time",
      unit: USD,
      stacked: true,
      bars: true,
      queries: [{ expr: perInterval(A.cost, { by: [QUERY_SOURCE] }), legend: `{{${QUERY_SOURCE}}}` }],
    }),
    8,
    8,
  );
  for (const k of ATTRIBUTION_KINDS) {
    const named = [`${k.label}!=""`];
    l.add(
      barGauge({
        title: `Estimated cost by ${k.title}`,
        description: `The ${TOP_N} ${k.title}s with the highest cost, the others summed as (rest).`,
        unit: USD,
        queries: [{ expr: topWithRest(total(A.cost, { by: [k.label], where: named }), k.label, TOP_N), legend: `{{${k.label}}}` }],
      }),
      8,
      8,
    );
    l.add(
      barGauge({
        title: `Tokens by ${k.title}`,
        description: `All token types; the ${TOP_N} ${k.title}s with the most tokens, the others summed as (rest).`,
        unit: "short",
        queries: [{ expr: topWithRest(total(A.tokens, { by: [k.label], where: named }), k.label, TOP_N), legend: `{{${k.label}}}` }],
      }),
      8,
      8,
    );
    l.add(
      timeSeries({
        title: `Estimated cost by ${k.title} over time`,
        description: `The ${TOP_N} highest at each step.`,
        unit: USD,
        queries: [{ expr: `topk(${TOP_N}, ${perInterval(A.cost, { by: [k.label], where: named })})`, legend: `{{${k.label}}}` }],
      }),
      8,
      8,
    );
  }

  l.row("Failures and context");
  const attributed = [L.agent, L.skill, L.plugin, L.mcpServer];
  const columns = (label: string) => [{ id: "displayName", value: label }];
  l.add(
    table({
      title: "API errors and refusals by subagent, skill, plugin and MCP server",
      description:
        "Errors once retries were exhausted, and refusals the developer saw (not those the server's model fallback retried). Empty names: the main conversation.",
      queries: [{ expr: eventTotal(E.errors, { by: attributed }) }, { expr: eventTotal(E.refusals, { by: attributed }) }],
    })
      .overrideByName("Value #A", columns("API errors"))
      .overrideByName("Value #B", columns("Refusals")),
    12,
    8,
  );
  l.add(
    barGauge({
      title: "Refusals by model",
      queries: [{ expr: `sort_desc(${eventTotal(E.refusals, { by: ["model"] })})`, legend: "{{model}}" }],
    }),
    6,
    8,
  );
  l.add(
    barGauge({
      title: "Requests that exhausted their retries",
      queries: [{ expr: `sort_desc(${eventTotal(E.retriesExhausted, { by: ["model", "status_code"] })})`, legend: "{{model}} {{status_code}}" }],
    }),
    6,
    8,
  );
  l.add(
    table({
      title: "MCP server connections",
      description:
        "Connection attempts by outcome. Server names arrive only when clients set OTEL_LOG_TOOL_DETAILS=1; plugin-provided servers name their plugin.",
      queries: [{ expr: eventTotal(E.mcpConnections, { by: ["status", "server_name", "plugin_name", "transport_type", "error_code"] }) }],
    }).overrideByName("Value", columns("Connections")),
    12,
    8,
  );
  l.add(
    barGauge({
      title: "Compactions per session by team",
      description: "Conversation compactions (auto and manual) over sessions started in the range.",
      decimals: 2,
      queries: [
        {
          expr: `${eventTotal(E.compactions, { by: ["team"], vars: ORG_FILTERS })} / ${total(C.sessions, { by: ["team"], vars: ORG_FILTERS })}`,
          legend: "{{team}}",
        },
      ],
    }),
    6,
    8,
  );
  l.add(
    barGauge({
      title: "Compactions by trigger",
      queries: [{ expr: eventTotal(E.compactions, { by: ["trigger", "success"] }), legend: "{{trigger}} (success {{success}})" }],
    }),
    6,
    8,
  );
  l.add(
    barGauge({
      title: "Subagent runs by type",
      queries: [{ expr: topWithRest(eventTotal(E.subagentRuns, { by: ["agent_type"] }), "agent_type", TOP_N), legend: "{{agent_type}}" }],
    }),
    8,
    8,
  );
  l.add(
    barGauge({
      title: "Skill activations by skill",
      queries: [{ expr: topWithRest(eventTotal(E.skillActivations, { by: [L.skill] }), L.skill, TOP_N), legend: `{{${L.skill}}}` }],
    }),
    8,
    8,
  );
  l.add(
    barGauge({
      title: "Plugins loaded (sessions) by plugin",
      description: "Each session reports every enabled plugin once, at its start.",
      queries: [{ expr: topWithRest(eventTotal(E.pluginLoads, { by: [L.plugin] }), L.plugin, TOP_N), legend: `{{${L.plugin}}}` }],
    }),
    8,
    8,
  );
  return d.build();
}
