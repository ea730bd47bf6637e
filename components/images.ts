// Pinned upstream releases: the one place their versions are written. The images the stacks deploy
// use these tags, and the test tools are built from the same releases (scripts/provision-tools.ts
// builds the collector from tools/otelcol-builder.yaml, whose versions a test holds equal to the
// collector tag here, and Prometheus and promtool from the Go module of the Prometheus tag here).
//
// Why these:
// - collector-contrib 0.161.0: the newest release whose components, as the stack uses them, are all
//   served as Go modules here (the transform processor holds it back), so the tests run the same
//   components at the same version as the image.
// - Prometheus 3.13: the supported long-term-support line (to 2027-07-31).
// - Loki 3.7 and Grafana 13.2: the current minor lines; no build of either runs here (stand-ins).
// - Alertmanager 0.35: the current release (Alertmanager supports its newest release only); the tests
//   run amtool and Alertmanager built from its Go module at this version.

export const IMAGES = {
  collector: "otel/opentelemetry-collector-contrib:0.161.0",
  prometheus: "prom/prometheus:v3.13.5",
  loki: "grafana/loki:3.7.8",
  grafana: "grafana/grafana:13.2.2",
  alertmanager: "prom/alertmanager:v0.35.0",
} as const;

export type ServiceName = keyof typeof IMAGES;

/** Version part of an image reference (`repo:tag` → `tag`, without a leading `v`). */
export function imageVersion(image: string): string {
  const tag = image.slice(image.lastIndexOf(":") + 1);
  return tag.replace(/^v/, "");
}

/** Go module version of a Prometheus release: Prometheus 3.MM.P is published as v0.3MM.P. */
export function prometheusModuleVersion(version: string): string {
  const m = /^3\.(\d+)\.(\d+)$/.exec(version);
  if (!m) throw new Error(`not a Prometheus 3.x release: ${version}`);
  return `v0.3${(m[1] as string).padStart(2, "0")}.${m[2]}`;
}
