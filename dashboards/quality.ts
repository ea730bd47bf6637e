// Quality and tools: tool success and duration, edit decisions, API latency and errors. Tool and API
// figures come from the events in Loki (structured metadata); edit decisions from the metric.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { USAGE_COUNTERS as C } from "../components/usage-series.js";
import { Layout, barGauge, dashboard, logs, table, thresholds, timeSeries } from "./panels.js";
import { ALL_FILTERS, LOKI_USER_FILTER, lokiCount, lokiEvents, lokiQuantile, lokiSelector, total } from "./queries.js";
import { filterVariables } from "./variables.js";

export const QUALITY_UID = "claude-code-quality";

export function qualityDashboard(): Dashboard {
  const d = dashboard({
    uid: QUALITY_UID,
    title: "Claude Code / Quality and tools",
    description: "Tool success rates and durations, edit accept/reject rates, API latency and errors.",
    time: "now-24h",
  }).variables(filterVariables(ALL_FILTERS));
  const l = new Layout(d);
  const tools = lokiEvents("toolResult", { user: true });
  const requests = lokiEvents("apiRequest", { user: true, model: true });
  const errors = lokiEvents("apiError", { user: true, model: true });

  l.row("Tools");
  l.add(
    barGauge({
      title: "Tool success rate by tool",
      description: "tool_result events with success=true over all tool_result events. MCP tools all report tool_name=mcp_tool.",
      logs: true,
      unit: "percentunit",
      queries: [
        {
          expr: `${lokiCount(`${tools} | success="true"`, ["tool_name"], "$__range")} / ${lokiCount(tools, ["tool_name"], "$__range")}`,
          legend: "{{tool_name}}",
        },
      ],
    })
      .min(0)
      .max(1)
      .thresholds(thresholds([null, "red"], [0.8, "orange"], [0.95, "green"])),
    8,
    9,
  );
  l.add(
    timeSeries({
      title: "Tool duration by tool",
      logs: true,
      unit: "ms",
      queries: [
        { expr: lokiQuantile(0.5, tools, "duration_ms", ["tool_name"]), legend: "{{tool_name}} p50" },
        { expr: lokiQuantile(0.95, tools, "duration_ms", ["tool_name"]), legend: "{{tool_name}} p95" },
      ],
    }),
    16,
    9,
  );
  l.add(
    timeSeries({
      title: "Tool calls by tool",
      logs: true,
      stacked: true,
      bars: true,
      queries: [{ expr: lokiCount(tools, ["tool_name"]), legend: "{{tool_name}}" }],
    }),
    24,
    8,
  );

  l.row("Edits");
  l.add(
    barGauge({
      title: "Edit accept rate by language",
      description: "claude_code.code_edit_tool.decision: accepted over all decisions, per language.",
      unit: "percentunit",
      queries: [
        {
          expr: `${total(C.editDecisions, { by: ["language"], where: ['decision="accept"'] })} / ${total(C.editDecisions, { by: ["language"] })}`,
          legend: "{{language}}",
        },
      ],
    })
      .min(0)
      .max(1),
    12,
    8,
  );
  l.add(table({ title: "Edit decisions by language", queries: [{ expr: total(C.editDecisions, { by: ["language", "decision"] }) }], sortBy: "Value" }), 12, 8);

  l.row("API");
  l.add(
    timeSeries({
      title: "API request latency by model",
      logs: true,
      unit: "ms",
      queries: [
        { expr: lokiQuantile(0.5, requests, "duration_ms", ["model"]), legend: "{{model}} p50" },
        { expr: lokiQuantile(0.95, requests, "duration_ms", ["model"]), legend: "{{model}} p95" },
      ],
    }),
    12,
    8,
  );
  l.add(
    timeSeries({
      title: "API errors by status code",
      logs: true,
      stacked: true,
      bars: true,
      queries: [{ expr: lokiCount(errors, ["status_code"]), legend: "{{status_code}}" }],
    }),
    12,
    8,
  );
  l.add(
    logs({
      title: "Errors",
      description: "API errors (after retries) and failed tool calls, newest first.",
      queries: [{ expr: `${lokiSelector()} | event_name="api_error" or success="false" ${LOKI_USER_FILTER}` }],
    }),
    24,
    10,
  );
  return d.build();
}
