// Pipeline health: is telemetry arriving, is the collector accepting, dropping or failing to deliver
// it, and are the backends up. Reads the collector's own metrics (its Prometheus endpoint, scraped
// as job "otel-collector"), under the names of components/collector-telemetry.ts.
import * as common from "@grafana/grafana-foundation-sdk/common";
import { MappingType, type Dashboard, type ValueMapping } from "@grafana/grafana-foundation-sdk/dashboard";
import { COLLECTOR_METRICS as M } from "../components/collector-telemetry.js";
import { RECORDED_LAST_SAMPLE } from "../components/prometheus-rules.js";
import { Layout, dashboard, stat, thresholds, timeSeries } from "./panels.js";

export const PIPELINE_UID = "claude-code-pipeline";

const rate = (metric: string, by: string) => `sum by (${by}) (rate(${metric}[$__rate_interval]))`;
const UP_MAPPINGS: ValueMapping[] = [{ type: MappingType.ValueToText, options: { "0": { text: "down", color: "red" }, "1": { text: "up", color: "green" } } }];

function up(title: string, job: string) {
  return stat({ title, queries: [{ expr: `max(up{job="${job}"})` }] })
    .mappings(UP_MAPPINGS)
    .thresholds(thresholds([null, "red"], [1, "green"]))
    .colorMode(common.BigValueColorMode.Background)
    .noValue("not scraped");
}

export function pipelineDashboard(): Dashboard {
  const d = dashboard({
    uid: PIPELINE_UID,
    title: "Claude Code / Pipeline health",
    description: "Collector intake, drops and delivery failures, backend availability and the age of the newest Claude Code data.",
    time: "now-6h",
  });
  const l = new Layout(d);

  l.row("Status");
  l.add(
    stat({
      title: "Time since the last Claude Code data",
      description: "Age of the newest Claude Code sample in Prometheus (up to 7 days back).",
      unit: "s",
      queries: [{ expr: `time() - max(max_over_time(${RECORDED_LAST_SAMPLE}[7d]))` }],
    })
      .thresholds(thresholds([null, "green"], [3600, "orange"], [21600, "red"]))
      .colorMode(common.BigValueColorMode.Background)
      .noValue("no data in 7 days"),
    8,
    4,
  );
  l.add(up("Collector", "otel-collector"), 4, 4);
  l.add(up("Prometheus", "prometheus"), 4, 4);
  l.add(up("Loki", "loki"), 4, 4);
  l.add(up("Grafana", "grafana"), 4, 4);

  l.row("Collector intake");
  l.add(
    timeSeries({
      title: "Accepted",
      unit: "short",
      description: "Metric points and log records per second the OTLP receivers pushed into the pipelines.",
      queries: [
        { expr: rate(M.acceptedMetricPoints, "receiver, transport"), legend: "metric points {{receiver}}/{{transport}}" },
        { expr: rate(M.acceptedLogRecords, "receiver, transport"), legend: "log records {{receiver}}/{{transport}}" },
      ],
    }),
    12,
    8,
  );
  l.add(
    timeSeries({
      title: "Refused and failed",
      unit: "short",
      description: "Refused: rejected before the pipeline (memory_limiter back-pressure, bad requests). Failed: internal errors.",
      queries: [
        { expr: rate(M.refusedMetricPoints, "receiver"), legend: "refused metric points {{receiver}}" },
        { expr: rate(M.refusedLogRecords, "receiver"), legend: "refused log records {{receiver}}" },
        { expr: rate(M.failedMetricPoints, "receiver"), legend: "failed metric points {{receiver}}" },
        { expr: rate(M.failedLogRecords, "receiver"), legend: "failed log records {{receiver}}" },
      ],
    }),
    12,
    8,
  );

  l.row("Delivery");
  l.add(
    timeSeries({
      title: "Sent",
      unit: "short",
      queries: [
        { expr: rate(M.sentMetricPoints, "exporter"), legend: "metric points {{exporter}}" },
        { expr: rate(M.sentLogRecords, "exporter"), legend: "log records {{exporter}}" },
      ],
    }),
    8,
    8,
  );
  l.add(
    timeSeries({
      title: "Send failures and drops",
      unit: "short",
      description:
        "Send failed: attempts the backend refused or that timed out (retried, then dropped). Enqueue failed: dropped because the sending queue was full.",
      queries: [
        { expr: rate(M.sendFailedMetricPoints, "exporter"), legend: "send failed, metric points {{exporter}}" },
        { expr: rate(M.sendFailedLogRecords, "exporter"), legend: "send failed, log records {{exporter}}" },
        { expr: rate(M.enqueueFailedMetricPoints, "exporter"), legend: "dropped (queue full), metric points {{exporter}}" },
        { expr: rate(M.enqueueFailedLogRecords, "exporter"), legend: "dropped (queue full), log records {{exporter}}" },
      ],
    }),
    8,
    8,
  );
  l.add(
    timeSeries({
      title: "Sending queue",
      unit: "short",
      description: "Batches waiting in each exporter's queue against its capacity; a full queue drops data.",
      queries: [
        { expr: `max by (exporter) (${M.queueSize})`, legend: "size {{exporter}}" },
        { expr: `max by (exporter) (${M.queueCapacity})`, legend: "capacity {{exporter}}" },
      ],
    }),
    8,
    8,
  );
  return d.build();
}
