// The marked burst: a few simulated Claude Code sessions, every data point and event stamped with a
// unique run id (`simulation.run`), sent the way clients send them. Its own org labels keep it out
// of real teams' figures: filter `team="stack-verify"` away in dashboards if it bothers anyone.
import { randomBytes, randomInt } from "node:crypto";
import { buildModel, emitBurst, expectedTotals, otlpExporters, type EmitStats, type ExpectedTotals, type SimulationModel } from "../simulator/index.js";
import { row, type CheckRow } from "./report.js";
import type { Targets } from "./targets.js";

/** Org attribute values of every verify run. */
export const VERIFY_ORG = { team: "stack-verify", department: "stack-verify", costCenter: "stack-verify", environment: "verify" } as const;

export interface BurstSize {
  users: number;
  sessions: number;
}
export const DEFAULT_BURST: BurstSize = { users: 3, sessions: 4 };

export interface MarkedRun {
  readonly marker: string;
  readonly model: SimulationModel;
  readonly expected: ExpectedTotals;
  /** When sending began (the run's metric samples are stamped after it). */
  readonly sentAtMs: number;
  /** Start of the simulated window: the run's events are stamped after it. */
  readonly windowStartMs: number;
  readonly stats: EmitStats;
}

/** A run id that sorts by time and never repeats: verify-20260101t120000-1a2b3c. */
export function newMarker(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "")
    .toLowerCase();
  return `verify-${stamp}-${randomBytes(3).toString("hex")}`;
}

/** The simulated window: one minute that just ended, so every event is recent and in order. */
export function markedModel(marker: string, size: BurstSize, nowMs = Date.now()): SimulationModel {
  const durationMs = 60_000;
  return buildModel({
    // A fresh seed per run: session ids and people differ between runs, like real sessions.
    seed: randomInt(0, 2 ** 31),
    users: size.users,
    sessions: size.sessions,
    teams: [VERIFY_ORG.team],
    departments: [VERIFY_ORG.department],
    costCenters: [VERIFY_ORG.costCenter],
    environment: VERIFY_ORG.environment,
    startTimeMs: nowMs - durationMs,
    durationMs,
    marker,
  });
}

/** Sends the run over the clients' protocol; the row says what was sent, or why it failed. */
export async function sendMarkedBurst(t: Targets, marker: string, size: BurstSize = DEFAULT_BURST): Promise<{ row: CheckRow; run?: MarkedRun }> {
  const name = "Marked burst sent";
  const endpoint = t.protocol === "grpc" ? t.otlpGrpc : t.otlpHttp;
  if (!endpoint) return { row: row(name, "FAIL", `no ${t.protocol} OTLP endpoint to send to`) };
  // The gRPC exporter reads CA and client certificate paths from the same variables Claude Code does.
  for (const [key, file] of [
    ["OTEL_EXPORTER_OTLP_CERTIFICATE", t.tlsFiles.ca],
    ["OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", t.tlsFiles.cert],
    ["OTEL_EXPORTER_OTLP_CLIENT_KEY", t.tlsFiles.key],
  ] as const) {
    if (file && !process.env[key]) process.env[key] = file;
  }
  const sentAtMs = Date.now();
  const model = markedModel(marker, size, sentAtMs);
  const expected = expectedTotals(model);
  const factory = otlpExporters({ endpoint, protocol: t.protocol, token: t.token, temporality: "delta", timeoutMs: 10_000 });
  const stats = await emitBurst(model, factory);
  const what = `${expected.sessions} sessions of ${expected.people} people over ${t.protocol} to ${endpoint} (run ${marker})`;
  if (stats.exportErrors > 0) {
    return { row: row(name, "FAIL", `${stats.exportErrors} exports failed (last: ${stats.lastError ?? "unknown"}); ${what}`) };
  }
  const run: MarkedRun = { marker, model, expected, sentAtMs, windowStartMs: model.options.startTimeMs, stats };
  return { row: row(name, "PASS", `${stats.metricPoints} metric points and ${stats.events} events: ${what}`), run };
}
