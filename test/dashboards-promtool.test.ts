// Every PromQL expression of every dashboard panel, with the template variables replaced the way
// Grafana replaces them, must parse in the real Prometheus: each becomes a recording rule in a
// temporary rules file that `promtool check rules` reads.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { stringify } from "yaml";
import { allDashboards } from "../dashboards/index.js";
import { panelQueries, substitute } from "../dashboards/panel-queries.js";
import { checkRules, describeWithTools } from "./support/tools.js";

const prom = panelQueries(allDashboards()).filter((q) => q.datasource?.type === "prometheus");

/** "All", one value, and several values (Grafana joins multi-values as a regex alternation). */
const VARIANTS: Record<string, Record<string, string>> = {
  all: {},
  single: { team: "platform", department: "engineering", cost_center: "cc-1000", user: "dev@example.com", model: "claude-sonnet-4-5" },
  multi: { team: "(platform|payments)", user: "(a@example.com|b@example.com)", model: "(claude-sonnet-4-5|claude-haiku-4-5)" },
};

function rulesFile(variant: Record<string, string>): string {
  return stringify(
    { groups: [{ name: "dashboard_queries", rules: prom.map((q, i) => ({ record: `dashboard:query_${i}:check`, expr: substitute(q.expr, variant) })) }] },
    { lineWidth: 0 },
  );
}

describeWithTools(["promtool"], "dashboard PromQL with promtool", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "dashboard-promql-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("has Prometheus queries on every dashboard", () => {
    expect(new Set(prom.map((q) => q.dashboard)).size).toBe(allDashboards().length);
    expect(allDashboards().length).toBe(7);
  });

  for (const [name, variant] of Object.entries(VARIANTS)) {
    it(`every panel query parses (variables: ${name})`, async () => {
      const file = path.join(dir, `${name}.yml`);
      writeFileSync(file, rulesFile(variant));
      const res = await checkRules(file);
      expect(res.code, res.stdout + res.stderr).toBe(0);
      expect(res.stdout).toContain(`SUCCESS: ${prom.length} rules found`);
    });
  }

  it("a query with a leftover variable fails the check (the check can fail)", async () => {
    const file = path.join(dir, "leftover.yml");
    writeFileSync(
      file,
      stringify({ groups: [{ name: "g", rules: [{ record: "dashboard:leftover", expr: 'sum(sum_over_time(x{team=~"$team"}[$__range]))' }] }] }),
    );
    const res = await checkRules(file);
    expect(res.code).not.toBe(0);
  });
});
