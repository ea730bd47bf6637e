// Dashboards as code: JSON snapshots, datasource UIDs, layout, variables, the names every query
// reads, and every LogQL query parsed with Grafana's own LogQL grammar.
import { parser as logqlParser } from "@grafana/lezer-logql";
import { describe, expect, it } from "vitest";
import { SERVICE_NAMES } from "../components/claude/telemetry.js";
import { DATASOURCE_UIDS } from "../components/grafana-provisioning.js";
import { recordingGroups } from "../components/prometheus-rules.js";
import { API_EVENT_COUNTERS, USAGE_SERIES } from "../components/usage-series.js";
import { allDashboards, dashboardFiles } from "../dashboards/index.js";
import { allPanels, panelQueries, substitute, usedVariables, variableNames } from "../dashboards/panel-queries.js";

const dashboards = allDashboards();
const queries = panelQueries(dashboards);
/** What usage panels may read: the collector's usage series and event counts, and the rules' few recorded ones. */
const recorded = new Set([
  ...USAGE_SERIES,
  ...Object.values(API_EVENT_COUNTERS).map((c) => c.series),
  ...recordingGroups().flatMap((g) => g.rules.map((r) => r.record)),
]);
const KNOWN_TYPES: Record<string, string> = { [DATASOURCE_UIDS.prometheus]: "prometheus", [DATASOURCE_UIDS.loki]: "loki" };

describe("dashboard files", () => {
  const files = dashboardFiles();

  it("has one file per dashboard, named after its stable UID, with the overview as home", () => {
    expect(Object.keys(files).sort()).toEqual(
      ["adoption", "attribution", "cost", "developer", "overview", "pipeline", "quality"].map((n) => `claude-code-${n}.json`).sort(),
    );
    for (const [name, json] of Object.entries(files)) {
      const d = JSON.parse(json) as { uid: string; title: string; tags: string[] };
      expect(name).toBe(`${d.uid}.json`);
      expect(d.tags).toContain("claude-code");
    }
  });

  it("is deterministic", () => {
    expect(dashboardFiles()).toEqual(files);
  });

  for (const d of dashboards) {
    it(`matches the snapshot of ${d.uid}`, () => {
      expect(JSON.parse(files[`${d.uid}.json`] as string)).toMatchSnapshot();
    });
  }
});

describe("datasources", () => {
  it("every panel with queries and every query uses a provisioned datasource UID of the right type", () => {
    expect(queries.length).toBeGreaterThan(60);
    for (const q of queries) {
      const where = `${q.dashboard} / ${q.panel} / ${q.refId}`;
      for (const ds of [q.datasource, q.panelDatasource]) {
        expect(ds?.uid, where).toBeDefined();
        expect(Object.values(DATASOURCE_UIDS), where).toContain(ds?.uid);
        expect(ds?.type, where).toBe(KNOWN_TYPES[ds?.uid as string]);
      }
      expect(q.datasource?.uid, where).toBe(q.panelDatasource?.uid);
    }
  });

  it("every variable reads Prometheus by its UID", () => {
    for (const d of dashboards) {
      for (const v of d.templating.list ?? []) expect(v.datasource, `${d.uid} $${v.name}`).toEqual({ type: "prometheus", uid: DATASOURCE_UIDS.prometheus });
    }
  });
});

describe("layout", () => {
  for (const d of dashboards) {
    it(`${d.uid}: unique panel ids, inside the grid, no overlaps`, () => {
      const panels = allPanels(d) as { id?: number; gridPos?: { x: number; y: number; w: number; h: number }; title?: string }[];
      const ids = panels.map((p) => p.id);
      expect(ids.every((id) => typeof id === "number")).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      const cells = new Set<string>();
      for (const p of panels) {
        const g = p.gridPos;
        expect(g, p.title).toBeDefined();
        if (!g) continue;
        expect(g.x + g.w, p.title).toBeLessThanOrEqual(24);
        for (let x = g.x; x < g.x + g.w; x++) {
          for (let y = g.y; y < g.y + g.h; y++) {
            const cell = `${x},${y}`;
            expect(cells.has(cell), `${p.title} overlaps at ${cell}`).toBe(false);
            cells.add(cell);
          }
        }
      }
    });
  }
});

describe("variables", () => {
  it("every variable a query uses is defined on its dashboard", () => {
    for (const d of dashboards) {
      const defined = new Set(variableNames(d));
      for (const q of queries.filter((x) => x.dashboard === d.uid)) {
        for (const v of usedVariables(q.expr)) expect(defined.has(v), `${d.uid} / ${q.panel} uses $${v}`).toBe(true);
      }
    }
  });

  it("usage dashboards filter by team, department, cost centre, user and model, multi-select with All", () => {
    for (const uid of ["claude-code-overview", "claude-code-cost", "claude-code-quality"]) {
      const d = dashboards.find((x) => x.uid === uid);
      const vars = d?.templating.list ?? [];
      expect(vars.map((v) => v.name).sort(), uid).toEqual(["cost_center", "department", "model", "team", "user"]);
      for (const v of vars) {
        expect(v.multi && v.includeAll, `${uid} $${v.name}`).toBe(true);
        expect(v.allValue).toBe(".*");
      }
    }
  });

  it("the personal dashboard picks exactly one person", () => {
    const user = dashboards.find((x) => x.uid === "claude-code-developer")?.templating.list?.find((v) => v.name === "user");
    expect(user?.multi).toBe(false);
    expect(user?.includeAll).toBe(false);
  });
});

describe("PromQL sources", () => {
  const prom = queries.filter((q) => q.datasource?.type === "prometheus");

  it("usage panels read only the collector's usage series and the recorded ones, every name defined", () => {
    for (const q of prom) {
      const names = [...q.expr.matchAll(/\bclaude_code[a-zA-Z0-9_:]*/g)].map((m) => m[0]);
      for (const n of names) expect(recorded.has(n), `${q.dashboard} / ${q.panel}: ${n}`).toBe(true);
      if (q.dashboard !== "claude-code-pipeline") expect(names.length, `${q.dashboard} / ${q.panel}`).toBeGreaterThan(0);
    }
  });

  it("variable queries read the usage series", () => {
    for (const d of dashboards) {
      for (const v of d.templating.list ?? []) {
        const metric = /label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(String(v.query))?.[1];
        expect(metric && recorded.has(metric), `${d.uid} $${v.name}: ${String(v.query)}`).toBe(true);
      }
    }
  });

  it("cost panels and the cost dashboard say that cost is a client-side estimate", () => {
    const cost = dashboards.find((x) => x.uid === "claude-code-cost");
    const notes = allPanels(cost as never).filter((p) => p.type === "text") as { options?: { content?: string } }[];
    expect(notes.some((n) => /client-side estimate/.test(n.options?.content ?? "") && /not billing data/.test(n.options?.content ?? ""))).toBe(true);
  });
});

describe("LogQL", () => {
  const loki = queries.filter((q) => q.datasource?.type === "loki");

  it("exists on the quality and developer dashboards", () => {
    expect(new Set(loki.map((q) => q.dashboard))).toEqual(new Set(["claude-code-quality", "claude-code-developer"]));
  });

  it.each(loki.map((q) => [`${q.dashboard} / ${q.panel} / ${q.refId}`, q] as const))("%s parses without error nodes", (_name, q) => {
    const text = substitute(q.expr, { user: "dev@example.com" });
    const errors: string[] = [];
    logqlParser.parse(text).iterate({
      enter: (node) => {
        if (node.type.isError) errors.push(`at ${node.from}: …${text.slice(Math.max(0, node.from - 20), node.to + 20)}…`);
      },
    });
    expect(errors, text).toEqual([]);
    // Structured metadata is read directly: the body is `claude_code.<event>`, not JSON.
    expect(text).not.toMatch(/\|\s*(json|logfmt)\b/);
    for (const s of SERVICE_NAMES) expect(text).toContain(s);
  });

  it("the grammar check can fail", () => {
    let errors = 0;
    logqlParser.parse('sum(count_over_time({service_name="claude-code"} | event_name= [1m]))').iterate({ enter: (n) => void (n.type.isError && errors++) });
    expect(errors).toBeGreaterThan(0);
  });
});
