// Every query of every dashboard panel, with its datasource, and Grafana's template variables replaced
// by concrete values so the real query engines (promtool, Prometheus, the LogQL grammar) can take them.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";

export interface DatasourceRef {
  type?: string;
  uid?: string;
}

export interface PanelQuery {
  /** Dashboard UID. */
  dashboard: string;
  panel: string;
  panelType: string;
  refId: string;
  datasource: DatasourceRef | undefined;
  /** Datasource set on the panel itself (targets may override it). */
  panelDatasource: DatasourceRef | undefined;
  /** The expression as written in the dashboard, variables included. */
  expr: string;
  instant: boolean;
}

interface RawPanel {
  type?: string;
  title?: string;
  datasource?: DatasourceRef;
  targets?: { refId?: string; expr?: string; datasource?: DatasourceRef; instant?: boolean }[];
  panels?: RawPanel[];
}

/** Panels including those nested in collapsed rows. */
export function allPanels(d: Dashboard): RawPanel[] {
  const out: RawPanel[] = [];
  const walk = (ps: RawPanel[] | undefined) => {
    for (const p of ps ?? []) {
      out.push(p);
      walk(p.panels);
    }
  };
  walk(d.panels as RawPanel[] | undefined);
  return out;
}

export function panelQueries(dashboards: readonly Dashboard[]): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const d of dashboards) {
    for (const p of allPanels(d)) {
      for (const t of p.targets ?? []) {
        out.push({
          dashboard: d.uid ?? "",
          panel: p.title ?? "",
          panelType: p.type ?? "",
          refId: t.refId ?? "",
          datasource: t.datasource ?? p.datasource,
          panelDatasource: p.datasource,
          expr: t.expr ?? "",
          instant: t.instant === true,
        });
      }
    }
  }
  return out;
}

/** Values for Grafana's built-in interval variables. */
export const BUILTIN_VALUES: Readonly<Record<string, string>> = {
  __range: "1h",
  __rate_interval: "2m",
  __interval: "1m",
  __auto: "1m",
};

/** "All" for every dashboard variable: the `allValue` the dashboards use. */
export const ALL = ".*";

/**
 * Replaces `$name` and `${name}` (optionally `${name:format}`): built-ins from BUILTIN_VALUES,
 * dashboard variables from `values`, any other dashboard variable with `fallback` (default "All").
 * Unknown `$__…` built-ins throw, so a new one is never passed through unnoticed.
 */
export function substitute(expr: string, values: Readonly<Record<string, string>> = {}, fallback = ALL): string {
  return expr.replace(/\$(?:\{([A-Za-z_]\w*)(?::\w+)?\}|([A-Za-z_]\w*))/g, (_m, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    if (name in values) return values[name] as string;
    if (name.startsWith("__")) {
      const builtin = BUILTIN_VALUES[name];
      if (builtin === undefined) throw new Error(`unknown Grafana built-in variable $${name} in: ${expr}`);
      return builtin;
    }
    return fallback;
  });
}

/** Dashboard variable names a dashboard defines. */
export function variableNames(d: Dashboard): string[] {
  return (d.templating.list ?? []).map((v) => v.name);
}

/** Variables an expression uses (without built-ins). */
export function usedVariables(expr: string): string[] {
  return [...expr.matchAll(/\$(?:\{([A-Za-z_]\w*)(?::\w+)?\}|([A-Za-z_]\w*))/g)].map((m) => (m[1] ?? m[2]) as string).filter((n) => !n.startsWith("__"));
}
