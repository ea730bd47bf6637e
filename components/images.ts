// Pinned upstream images. Every generated config is written for exactly these versions; the tests
// check the configs against the same versions (promtool from the same Prometheus minor, the collector
// schema from the same collector release). Bump a version here and the tests tell what broke.

export const IMAGES = {
  collector: "otel/opentelemetry-collector-contrib:0.129.1",
  prometheus: "prom/prometheus:v3.5.0",
  loki: "grafana/loki:3.5.3",
  grafana: "grafana/grafana:12.1.0",
} as const;

export type ServiceName = keyof typeof IMAGES;

/** Version part of an image reference (`repo:tag` → `tag`, without a leading `v`). */
export function imageVersion(image: string): string {
  const tag = image.slice(image.lastIndexOf(":") + 1);
  return tag.replace(/^v/, "");
}
