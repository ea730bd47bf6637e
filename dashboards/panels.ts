// Small builders over the Grafana Foundation SDK: every panel and query gets a fixed datasource UID,
// a stable id and a place on a 24-column grid, so a dashboard file only says what it shows.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import {
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type Panel,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as BarGaugePanel } from "@grafana/grafana-foundation-sdk/bargauge";
import { DataqueryBuilder as LokiQuery } from "@grafana/grafana-foundation-sdk/loki";
import { PanelBuilder as LogsPanel } from "@grafana/grafana-foundation-sdk/logs";
import { PanelBuilder as PiePanel, PieChartLegendOptionsBuilder, PieChartType } from "@grafana/grafana-foundation-sdk/piechart";
import { DataqueryBuilder as PromQuery, PromQueryFormat } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TablePanel } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TextPanel, TextMode } from "@grafana/grafana-foundation-sdk/text";
import { PanelBuilder as TimeSeriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";
import { DATASOURCE_UIDS } from "../components/grafana-provisioning.js";
import { VARIABLES, type VariableName } from "./queries.js";

export const PROMETHEUS = { type: "prometheus", uid: DATASOURCE_UIDS.prometheus } as const;
export const LOKI = { type: "loki", uid: DATASOURCE_UIDS.loki } as const;
/** Tag shared by every dashboard; the dashboards link to each other through it. */
export const DASHBOARD_TAG = "claude-code";
/** Graphs never ask for a step below the clients' default export interval (client.metricExportIntervalMs, 60 s). */
const MIN_INTERVAL = "1m";

export interface Query {
  readonly expr: string;
  readonly legend?: string;
  /** Instant (one value for the range) instead of a range query. */
  readonly instant?: boolean;
  /** Table panels want one frame per query in table format. */
  readonly table?: boolean;
}

type AnyPanel = StatPanel | TimeSeriesPanel | TablePanel | BarGaugePanel | PiePanel | TextPanel | LogsPanel;

function promTargets(panel: { withTarget(t: cog.Builder<cog.Dataquery>): unknown }, queries: readonly Query[]): void {
  queries.forEach((q, i) => {
    const t = new PromQuery()
      .datasource(PROMETHEUS)
      .refId(String.fromCharCode(65 + i))
      .expr(q.expr);
    if (q.legend) t.legendFormat(q.legend);
    if (q.instant) t.instant();
    else t.range();
    if (q.table) t.format(PromQueryFormat.Table);
    panel.withTarget(t);
  });
}

function lokiTargets(panel: { withTarget(t: cog.Builder<cog.Dataquery>): unknown }, queries: readonly Query[]): void {
  queries.forEach((q, i) => {
    const t = new LokiQuery()
      .datasource(LOKI)
      .refId(String.fromCharCode(65 + i))
      .expr(q.expr);
    if (q.legend) t.legendFormat(q.legend);
    if (q.instant) t.instant(true).range(false);
    else t.range(true).instant(false);
    panel.withTarget(t);
  });
}

export interface PanelSpec {
  readonly title: string;
  readonly description?: string;
  readonly unit?: string;
  readonly queries: readonly Query[];
  /** Loki instead of Prometheus. */
  readonly logs?: boolean;
  readonly decimals?: number;
}

function base<P extends AnyPanel>(panel: P, spec: PanelSpec): P {
  panel.title(spec.title).datasource(spec.logs ? LOKI : PROMETHEUS);
  if (spec.description) panel.description(spec.description);
  if (spec.unit) panel.unit(spec.unit);
  if (spec.decimals !== undefined) panel.decimals(spec.decimals);
  if (spec.logs) lokiTargets(panel, spec.queries);
  else promTargets(panel, spec.queries);
  return panel;
}

const lastValue = () => new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false);

export function stat(spec: PanelSpec): StatPanel {
  return base(new StatPanel(), { ...spec, queries: spec.queries.map((q) => ({ instant: true, ...q })) })
    .reduceOptions(lastValue())
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.None)
    .noValue("0");
}

export function timeSeries(spec: PanelSpec & { stacked?: boolean; bars?: boolean }): TimeSeriesPanel {
  const panel = base(new TimeSeriesPanel(), spec)
    .interval(MIN_INTERVAL)
    .legend(
      new common.VizLegendOptionsBuilder()
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Right)
        .showLegend(true)
        .calcs(["sum", "max"]),
    )
    .fillOpacity(spec.stacked ? 60 : 10);
  if (spec.bars) panel.drawStyle(common.GraphDrawStyle.Bars);
  if (spec.stacked) panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  return panel;
}

export function barGauge(spec: PanelSpec): BarGaugePanel {
  return base(new BarGaugePanel(), { ...spec, queries: spec.queries.map((q) => ({ instant: true, ...q })) })
    .reduceOptions(lastValue())
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Gradient);
}

export function pie(spec: PanelSpec): PiePanel {
  return base(new PiePanel(), { ...spec, queries: spec.queries.map((q) => ({ instant: true, ...q })) })
    .reduceOptions(lastValue())
    .pieType(PieChartType.Donut)
    .legend(new PieChartLegendOptionsBuilder().displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Right).showLegend(true));
}

/** A table of instant values, one column per query, rows joined on the labels. */
export function table(spec: PanelSpec & { sortBy?: string }): TablePanel {
  const panel = base(new TablePanel(), { ...spec, queries: spec.queries.map((q) => ({ instant: true, table: true, ...q })) })
    .withTransformation({ id: "merge", options: {} })
    .withTransformation({ id: "organize", options: { excludeByName: { Time: true } } });
  if (spec.sortBy) panel.sortBy([new common.TableSortByFieldStateBuilder().displayName(spec.sortBy).desc(true)]);
  return panel;
}

export function text(title: string, markdown: string): TextPanel {
  return new TextPanel().title(title).mode(TextMode.Markdown).content(markdown);
}

export function logs(spec: PanelSpec): LogsPanel {
  return base(new LogsPanel(), { ...spec, logs: true })
    .showTime(true)
    .wrapLogMessage(true)
    .enableLogDetails(true)
    .sortOrder(common.LogsSortOrder.Descending);
}

export function thresholds(...steps: [number | null, string][]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps.map(([value, color]) => ({ value, color })));
}

/** A multi-select variable (with "All" = `.*`) listing a label's values from a usage series. */
export function variable(
  name: VariableName,
  label: string,
  fromSeries: string,
  filters: readonly VariableName[] = [],
  opts: { single?: boolean } = {},
): QueryVariableBuilder {
  const sel = filters.map((f) => `${VARIABLES[f]}=~"$${f}"`).join(", ");
  const query = `label_values(${fromSeries}${sel ? `{${sel}}` : ""}, ${VARIABLES[name]})`;
  const v = new QueryVariableBuilder(name)
    .label(label)
    .datasource(PROMETHEUS)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalCaseInsensitiveAsc)
    .multi(!opts.single)
    .includeAll(!opts.single);
  if (!opts.single) v.allValue(".*").current({ selected: true, text: "All", value: "$__all" });
  return v;
}

/** Places panels left to right on Grafana's 24-column grid, wrapping into new lines. */
export class Layout {
  private x = 0;
  private y = 0;
  private lineHeight = 0;
  private nextId = 1;

  constructor(private readonly dashboard: DashboardBuilder) {}

  row(title: string): this {
    this.newLine();
    this.dashboard.withRow(new RowBuilder(title).id(this.nextId++).gridPos({ x: 0, y: this.y, w: 24, h: 1 }));
    this.y += 1;
    return this;
  }

  add(
    panel: { id(id: number): unknown; gridPos(p: { x: number; y: number; w: number; h: number }): unknown } & cog.Builder<Panel>,
    w: number,
    h: number,
  ): this {
    if (this.x + w > 24) this.newLine();
    panel.id(this.nextId++);
    panel.gridPos({ x: this.x, y: this.y, w, h });
    this.dashboard.withPanel(panel);
    this.x += w;
    this.lineHeight = Math.max(this.lineHeight, h);
    return this;
  }

  private newLine(): void {
    if (this.x > 0) this.y += this.lineHeight;
    this.x = 0;
    this.lineHeight = 0;
  }
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly time?: string;
}

/** A dashboard with the project's conventions: stable UID, shared tag, links to its siblings. */
export function dashboard(spec: DashboardSpec): DashboardBuilder {
  return new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([DASHBOARD_TAG])
    .readonly()
    .timezone("browser")
    .time({ from: spec.time ?? "now-7d", to: "now" })
    .refresh("5m")
    .tooltip(DashboardCursorSync.Crosshair)
    .link(new DashboardLinkBuilder("Claude Code").type(DashboardLinkType.Dashboards).tags([DASHBOARD_TAG]).asDropdown(true).includeVars(true).keepTime(true));
}

/** Shown wherever cost appears: the figure is Claude Code's own estimate. */
export const COST_NOTE =
  "Cost is a **client-side estimate** computed by Claude Code from token counts and list prices. " +
  "It is not billing data: use it to compare teams and trends, and take invoices from your Anthropic, Bedrock or Vertex account.";
