// Where a session's signals go: OTLP (gRPC or HTTP/protobuf, optional bearer token) or an
// in-memory sink for tests. Each session gets its own exporters, as each Claude Code process does.
import { Metadata } from "@grpc/grpc-js";
import { OTLPLogExporter as GrpcLogExporter } from "@opentelemetry/exporter-logs-otlp-grpc";
import { OTLPLogExporter as ProtoLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPMetricExporter as GrpcMetricExporter } from "@opentelemetry/exporter-metrics-otlp-grpc";
import { OTLPMetricExporter as ProtoMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { InMemoryLogRecordExporter, type LogRecordExporter, type ReadableLogRecord } from "@opentelemetry/sdk-logs";
import { AggregationTemporality, InMemoryMetricExporter, type PushMetricExporter, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import type { SimSession } from "./model.js";

export type Protocol = "grpc" | "http/protobuf";
export type Temporality = "delta" | "cumulative";

export interface SessionExporters {
  readonly metrics: PushMetricExporter;
  readonly logs: LogRecordExporter;
}
/** Called once per session: every session exports through its own exporters. */
export type ExporterFactory = (session: SimSession) => SessionExporters;

export interface OtlpTarget {
  /** Base URL, e.g. http://127.0.0.1:4318 (HTTP) or http://127.0.0.1:4317 (gRPC). */
  readonly endpoint: string;
  readonly protocol: Protocol;
  /** Sent as `Authorization: Bearer <token>` (gRPC: the same key as metadata). */
  readonly token?: string;
  readonly temporality: Temporality;
  readonly timeoutMs?: number;
}

export function aggregationTemporality(t: Temporality): AggregationTemporality {
  return t === "delta" ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
}

/** Per-signal URLs: HTTP appends /v1/metrics and /v1/logs to the base; gRPC uses the base itself. */
export function otlpUrls(endpoint: string, protocol: Protocol): { metrics: string; logs: string } {
  const base = endpoint.replace(/\/+$/, "");
  return protocol === "grpc" ? { metrics: base, logs: base } : { metrics: `${base}/v1/metrics`, logs: `${base}/v1/logs` };
}

/** Every session through its own pair of OTLP exporters, as each Claude Code process has. */
export function otlpExporters(target: OtlpTarget): ExporterFactory {
  return () => otlpSignalExporters(target);
}

/** One pair of OTLP exporters (metrics and logs) for a target. */
export function otlpSignalExporters(target: OtlpTarget): SessionExporters {
  const urls = otlpUrls(target.endpoint, target.protocol);
  const temporalityPreference = aggregationTemporality(target.temporality);
  const timeoutMillis = target.timeoutMs ?? 10_000;
  const auth = target.token ? `Bearer ${target.token}` : undefined;
  if (target.protocol === "grpc") {
    const metadata = () => {
      const m = new Metadata();
      if (auth) m.set("authorization", auth);
      return m;
    };
    return {
      metrics: new GrpcMetricExporter({ url: urls.metrics, metadata: metadata(), temporalityPreference, timeoutMillis }),
      logs: new GrpcLogExporter({ url: urls.logs, metadata: metadata(), timeoutMillis }),
    };
  }
  const headers: Record<string, string> = auth ? { Authorization: auth } : {};
  return {
    metrics: new ProtoMetricExporter({ url: urls.metrics, headers, temporalityPreference, timeoutMillis }),
    logs: new ProtoLogExporter({ url: urls.logs, headers, timeoutMillis }),
  };
}

/** Running counts of what was exported; updated by the wrappers below. */
export interface SendStats {
  metricPoints: number;
  metricExports: number;
  events: number;
  logExports: number;
  exportErrors: number;
  lastError?: string;
}

export function emptySendStats(): SendStats {
  return { metricPoints: 0, metricExports: 0, events: 0, logExports: 0, exportErrors: 0 };
}

type ExportCallback = Parameters<PushMetricExporter["export"]>[1];
type ExportResult = Parameters<ExportCallback>[0];
const SUCCESS = 0; // ExportResultCode.SUCCESS

function countResult(stats: SendStats, result: ExportResult, onSuccess: () => void): void {
  if (result.code === SUCCESS) onSuccess();
  else {
    stats.exportErrors++;
    stats.lastError = result.error?.message ?? "export failed";
  }
}

export function dataPointCount(metrics: ResourceMetrics): number {
  return metrics.scopeMetrics.reduce((n, s) => n + s.metrics.reduce((m, d) => m + d.dataPoints.length, 0), 0);
}

/** Counts points and failures; `ownsInner: false` keeps a shared exporter open when a session ends. */
export function countingMetricExporter(inner: PushMetricExporter, stats: SendStats, ownsInner = true): PushMetricExporter {
  return {
    export: (metrics, done) =>
      inner.export(metrics, (result) => {
        countResult(stats, result, () => {
          stats.metricExports++;
          stats.metricPoints += dataPointCount(metrics);
        });
        done(result);
      }),
    forceFlush: () => inner.forceFlush(),
    shutdown: () => (ownsInner ? inner.shutdown() : inner.forceFlush()),
    selectAggregationTemporality: inner.selectAggregationTemporality?.bind(inner),
  };
}

export function countingLogExporter(inner: LogRecordExporter, stats: SendStats, ownsInner = true): LogRecordExporter {
  return {
    export: (logs, done) =>
      inner.export(logs, (result) => {
        countResult(stats, result, () => {
          stats.logExports++;
          stats.events += logs.length;
        });
        done(result);
      }),
    forceFlush: () => (inner.forceFlush ? inner.forceFlush() : Promise.resolve()),
    shutdown: () => (ownsInner ? inner.shutdown() : Promise.resolve()),
  };
}

export interface MemorySink {
  readonly exporters: ExporterFactory;
  /** One entry per metric export (a session's final flush in burst mode). */
  resourceMetrics(): ResourceMetrics[];
  logRecords(): ReadableLogRecord[];
}

/** Captures everything in memory, through the SDK's own in-memory exporters (tests, dry runs). */
export function createMemorySink(temporality: Temporality): MemorySink {
  const metrics = new InMemoryMetricExporter(aggregationTemporality(temporality));
  const logs = new InMemoryLogRecordExporter();
  const ignore = emptySendStats();
  return {
    exporters: () => ({ metrics: countingMetricExporter(metrics, ignore, false), logs: countingLogExporter(logs, ignore, false) }),
    resourceMetrics: () => metrics.getMetrics(),
    logRecords: () => logs.getFinishedLogRecords(),
  };
}
