// The settings table generator (npm run settings-table; test/readme.test.ts holds the README's
// table equal to it): a row for every setting, its default as the stack gets it, secrets marked,
// and no setting without a description.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { settingsRows, settingsTable } from "../components/settings-doc.js";
import { parseSettings } from "../components/settings.js";
import { secret } from "../components/settings-fields.js";

describe("the settings table", () => {
  it("has a row for every setting a full stack holds", () => {
    const keys = new Set(settingsRows().map((r) => r.key));
    const full = parseSettings(
      {
        target: "kubernetes",
        kubernetes: { otlpHost: "otel.example.com", clusterIssuer: "le" },
        client: { tls: { caFile: "/ca.pem" } },
        prometheus: { remoteWrite: { url: "https://mimir.example.com/api/v1/push" }, retentionTime: "35d" },
        alerting: {
          dailyBudgetUsd: 100,
          teamDailyBudgetsUsd: { platform: 40 },
          monthlyBudgetUsd: 2000,
          runawayFactor: 8,
          runawayMinHourlyUsd: 25,
          apiErrorRatio: 0.1,
          apiErrorMinRequests: 30,
          rateLimitedPer10m: 25,
          serverErrorsPer10m: 12,
          silenceAfter: "45m",
          workingHours: { days: ["monday", "tuesday"], start: 8, end: 17, utcOffset: 1 },
          minWeeklyActivePeople: 5,
          receivers: {
            slack: { webhookUrl: "https://hooks.example.invalid/x", channel: "#claude-code-alerts", severities: ["critical", "warning"] },
            pagerduty: { routingKey: "0123456789abcdefABCDEF0123456789", severities: ["critical"] },
            email: {
              to: "finance@example.invalid",
              from: "alerts@example.invalid",
              smarthost: "smtp.example.invalid:587",
              username: "alerts",
              password: "smtp-password",
              requireTls: true,
              severities: ["critical", "warning"],
            },
            webhook: { url: "https://hooks.example.invalid/y", severities: ["warning"] },
          },
        },
      },
      "x",
    );
    const leaves: string[] = [];
    const walk = (v: unknown, at: string[]) => {
      // Maps of free keys (headers, resource attributes) are one setting each.
      if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length && !keys.has(at.join("."))) {
        for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
      } else leaves.push(at.join("."));
    };
    walk(full, []);
    expect(leaves.filter((k) => k !== "stack" && !keys.has(k))).toEqual([]);
  });

  it("shows defaults as values, per target, the required and the unset", () => {
    const row = (key: string) => settingsRows().find((r) => r.key === key)?.default;
    expect(row("collector.labelAttributes")).toBe("`team, department, cost_center, environment`");
    expect(row("collector.replicas")).toBe("`2` on Kubernetes");
    expect(row("target")).toBe("– (required)");
    expect(row("prometheus.retentionSize")).toBe("none");
    expect(row("environment")).toBe("the stack name");
  });

  it("tells how to set a secret, and refuses a setting without a description", () => {
    const rows = settingsRows(z.object({ token: secret(z.string()).optional().describe("a token"), plain: z.string().describe("text | more") }));
    expect(rows).toEqual([
      { key: "token", default: "none", meaning: "a token; secret: set with `pulumi config set --secret --path`" },
      { key: "plain", default: "– (required)", meaning: "text | more" },
    ]);
    expect(settingsTable(rows).split("\n").at(-1)).toBe("| `plain` | – (required) | text \\| more |");
    expect(() => settingsRows(z.object({ section: z.object({ bare: z.number() }) }))).toThrow(/setting section\.bare has no description/);
  });
});
