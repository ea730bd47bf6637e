// Replays simulated sessions through the OpenTelemetry SDK the way Claude Code sends them: one
// MeterProvider and LoggerProvider per session (each session is its own process with its own
// resource), counters on the `com.anthropic.claude_code` meter, events as log records.
import type { Counter } from "@opentelemetry/api";
import type { Logger } from "@opentelemetry/api-logs";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { METER_NAME, METRICS, type MetricKey } from "../components/claude/telemetry.js";
import { countingLogExporter, countingMetricExporter, emptySendStats, type ExporterFactory, type SendStats } from "./exporters.js";
import type { SimSession, SimulationModel } from "./model.js";
import { resourceAttributes, sessionRecords, type SignalRecord } from "./records.js";

/** Claude Code's event logger is named after its meter. */
export const EVENT_LOGGER_NAME = `${METER_NAME}.events`;

export interface EmitStats extends SendStats {
  readonly sessionsTotal: number;
  sessionsStarted: number;
  sessionsFinished: number;
}

interface Intervals {
  readonly metricIntervalMs: number;
  readonly logIntervalMs: number;
}

/** A running session: its providers, instruments and the records still to send. */
class SessionPipeline {
  private readonly meterProvider: MeterProvider;
  private readonly loggerProvider: LoggerProvider;
  private readonly counters: Record<MetricKey, Counter>;
  private readonly logger: Logger;
  private readonly records: SignalRecord[];
  private next = 0;

  constructor(session: SimSession, marker: string | undefined, factory: ExporterFactory, stats: SendStats, intervals: Intervals) {
    const resource = resourceFromAttributes(resourceAttributes(session, marker));
    const exporters = factory(session);
    const reader = new PeriodicExportingMetricReader({
      exporter: countingMetricExporter(exporters.metrics, stats),
      exportIntervalMillis: intervals.metricIntervalMs,
      exportTimeoutMillis: Math.min(intervals.metricIntervalMs, 30_000),
    });
    this.meterProvider = new MeterProvider({ resource, readers: [reader] });
    this.loggerProvider = new LoggerProvider({
      resource,
      processors: [
        new BatchLogRecordProcessor({
          exporter: countingLogExporter(exporters.logs, stats),
          scheduledDelayMillis: intervals.logIntervalMs,
          maxQueueSize: 100_000,
          maxExportBatchSize: 512,
        }),
      ],
    });
    const version = session.installation.serviceVersion;
    const meter = this.meterProvider.getMeter(METER_NAME, version);
    this.counters = Object.fromEntries(
      Object.entries(METRICS).map(([key, def]) => [
        key,
        meter.createCounter(def.name, { description: def.description, ...(def.unit ? { unit: def.unit } : {}) }),
      ]),
    ) as Record<MetricKey, Counter>;
    this.logger = this.loggerProvider.getLogger(EVENT_LOGGER_NAME, version);
    this.records = sessionRecords(session, marker);
  }

  /** Sends every record due at `nowMs` (all of them when omitted); true when none are left. */
  sendUntil(nowMs = Number.POSITIVE_INFINITY): boolean {
    while (this.next < this.records.length) {
      const r = this.records[this.next] as SignalRecord;
      if (r.atMs > nowMs) return false;
      if (r.kind === "metric") this.counters[r.metric].add(r.value, r.attributes);
      else this.logger.emit({ body: r.body, attributes: r.attributes, timestamp: r.atMs });
      this.next++;
    }
    return true;
  }

  /** Final flush, as at process exit. Export failures are counted by the wrappers, not thrown. */
  async close(): Promise<void> {
    await Promise.allSettled([this.meterProvider.shutdown(), this.loggerProvider.shutdown()]);
  }
}

export interface BurstOptions {
  /** Sessions open at once. Default 16. */
  readonly concurrency?: number;
  readonly onProgress?: (stats: EmitStats) => void;
}

/**
 * Sends every session of the model as fast as possible: each session records everything, then
 * shuts its providers down, which exports its metrics once and its events in batches.
 */
export async function emitBurst(model: SimulationModel, factory: ExporterFactory, options: BurstOptions = {}): Promise<EmitStats> {
  const stats: EmitStats = { ...emptySendStats(), sessionsTotal: model.sessions.length, sessionsStarted: 0, sessionsFinished: 0 };
  // Periodic exports never fire in a burst: the shutdown flush is the only metric export.
  const intervals = { metricIntervalMs: 3_600_000, logIntervalMs: 3_600_000 };
  let cursor = 0;
  const worker = async () => {
    while (cursor < model.sessions.length) {
      const session = model.sessions[cursor++] as SimSession;
      stats.sessionsStarted++;
      const pipeline = new SessionPipeline(session, model.options.marker, factory, stats, intervals);
      pipeline.sendUntil();
      await pipeline.close();
      stats.sessionsFinished++;
      options.onProgress?.(stats);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 16) }, worker));
  return stats;
}

export interface LiveOptions {
  /** Metric export interval per session (OTEL_METRIC_EXPORT_INTERVAL). Default 5000. */
  readonly metricIntervalMs?: number;
  /** Log batch delay per session (OTEL_LOGS_EXPORT_INTERVAL). Default 1000. */
  readonly logIntervalMs?: number;
  /** How often due records are sent. Default 250 ms. */
  readonly tickMs?: number;
  /** Stops early: open sessions are flushed and closed. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (stats: EmitStats) => void;
  /** Clock, for tests. Default Date.now. */
  readonly now?: () => number;
}

/**
 * Plays the model in real time: a session opens at its start time, sends each record when the
 * wall clock reaches it (build the model with startTimeMs = now), exports on its intervals, and
 * flushes when it ends.
 */
export async function emitLive(model: SimulationModel, factory: ExporterFactory, options: LiveOptions = {}): Promise<EmitStats> {
  const now = options.now ?? Date.now;
  const intervals = { metricIntervalMs: options.metricIntervalMs ?? 5_000, logIntervalMs: options.logIntervalMs ?? 1_000 };
  const stats: EmitStats = { ...emptySendStats(), sessionsTotal: model.sessions.length, sessionsStarted: 0, sessionsFinished: 0 };
  const pending = [...model.sessions]; // sorted by start time
  const open = new Map<SimSession, SessionPipeline>();
  const closing: Promise<void>[] = [];
  const finish = (session: SimSession, pipeline: SessionPipeline) => {
    open.delete(session);
    closing.push(pipeline.close().then(() => void stats.sessionsFinished++));
  };

  while ((pending.length > 0 || open.size > 0) && !options.signal?.aborted) {
    const t = now();
    while (pending.length > 0 && (pending[0] as SimSession).startMs <= t) {
      const session = pending.shift() as SimSession;
      stats.sessionsStarted++;
      open.set(session, new SessionPipeline(session, model.options.marker, factory, stats, intervals));
    }
    for (const [session, pipeline] of open) {
      if (pipeline.sendUntil(t) && session.endMs <= t) finish(session, pipeline);
    }
    options.onProgress?.(stats);
    await new Promise((resolve) => setTimeout(resolve, options.tickMs ?? 250));
  }
  for (const [session, pipeline] of open) finish(session, pipeline);
  await Promise.all(closing);
  options.onProgress?.(stats);
  return stats;
}
