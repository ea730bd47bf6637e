// The dashboard UIDs a default stack provisions, written out here (not read from dashboards/) so a
// test that compares what Grafana lists with them fails when a dashboard goes missing or appears.
export const EXPECTED_DASHBOARD_UIDS = [
  "claude-code-adoption",
  "claude-code-attribution",
  "claude-code-cost",
  "claude-code-developer",
  "claude-code-overview",
  "claude-code-pipeline",
  "claude-code-quality",
] as const;
