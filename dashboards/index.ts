// Every dashboard the stack provisions, as Grafana dashboard JSON keyed by file name.
export function dashboardFiles(): Record<string, string> {
  return {};
}
