// The privacy check of `npm run verify`: a client that sends MORE than the stack's policy allows
// (an email, prompt text, tool parameters, a raw API body, an attribute no dashboard knows), then
// what Loki and Prometheus hold of it, compared with the policy the stack exports (output
// `privacyPolicy`). Its data is marked like the burst's, and carries the verify org labels.
import { randomBytes } from "node:crypto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { METER_NAME, METRICS, SERVICE_NAMES, SERVICE_NAME_REGEX } from "../components/claude/telemetry.js";
import { USAGE_COUNTERS, USER_ATTRIBUTE } from "../components/usage-series.js";
import type { IdentityMode } from "../components/privacy.js";
import { otlpSignalExporters } from "../simulator/index.js";
import { VERIFY_ORG } from "./burst.js";
import { pollUntil, type ApiEndpoint } from "./http.js";
import { entries, lokiQueryRange } from "./loki.js";
import { instantQuery } from "./prometheus.js";
import { row, type CheckRow } from "./report.js";
import type { Targets } from "./targets.js";

/** What the stack promises (stack output `privacyPolicy`). */
export interface PrivacyPolicy {
  identity: IdentityMode;
  contentCaptureAcknowledged: boolean;
  maxContentLength: number;
}

export function parsePrivacyPolicy(v: unknown): PrivacyPolicy | undefined {
  const o = v as Partial<PrivacyPolicy> | undefined;
  if (
    !o ||
    !["email", "hash", "drop"].includes(String(o.identity)) ||
    typeof o.contentCaptureAcknowledged !== "boolean" ||
    typeof o.maxContentLength !== "number"
  )
    return undefined;
  return { identity: o.identity as IdentityMode, contentCaptureAcknowledged: o.contentCaptureAcknowledged, maxContentLength: o.maxContentLength };
}

const UNKNOWN_LABEL = "verify.unknown_label";
const EVENTS = 3;

interface Probe {
  run: string;
  email: string;
  /** A string no real event carries: found anywhere, content was kept. */
  canary: string;
}

async function sendProbe(t: Targets, run: string): Promise<Probe> {
  const endpoint = t.protocol === "grpc" ? t.otlpGrpc : t.otlpHttp;
  if (!endpoint) throw new Error(`no ${t.protocol} OTLP endpoint to send to`);
  const probe = { run, email: `privacy-probe-${randomBytes(4).toString("hex")}@stack-verify.invalid`, canary: `canary-${randomBytes(8).toString("hex")}` };
  const org = { team: VERIFY_ORG.team, department: VERIFY_ORG.department, cost_center: VERIFY_ORG.costCenter, environment: VERIFY_ORG.environment };
  const common = { ...org, "session.id": `${run}-session`, "user.email": probe.email, "user.id": `${run}-install`, "simulation.run": run };
  const resource = resourceFromAttributes({ "service.name": SERVICE_NAMES[0], ...org, "simulation.run": run });
  const exporters = otlpSignalExporters({ endpoint, protocol: t.protocol, token: t.token, temporality: "delta" });
  const meters = new MeterProvider({
    resource,
    readers: [new PeriodicExportingMetricReader({ exporter: exporters.metrics, exportIntervalMillis: 3_600_000 })],
  });
  meters
    .getMeter(METER_NAME)
    .createCounter(METRICS.cost.name, { unit: "USD" })
    .add(0.000001, { ...common, model: "verify-probe", [UNKNOWN_LABEL]: probe.canary });
  await meters.shutdown();
  const logs = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: exporters.logs, scheduledDelayMillis: 100 })] });
  const logger = logs.getLogger("com.anthropic.claude_code.events");
  const event = (name: string, attrs: Record<string, string | number>) =>
    logger.emit({ body: `claude_code.${name}`, attributes: { ...common, "event.name": name, ...attrs } });
  event("user_prompt", { prompt_length: probe.canary.length, prompt: `${probe.canary} ${"p".repeat(200)}` });
  event("tool_result", { tool_name: "Bash", success: "true", duration_ms: 1, tool_parameters: probe.canary, tool_input: probe.canary });
  event("api_request_body", { body: `${probe.canary}${"b".repeat(10_000)}` });
  await logs.shutdown();
  return probe;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Sends the probe, waits for it until `deadline`, and compares what was stored with the policy. */
export async function privacyChecks(
  t: Targets,
  prom: ApiEndpoint | undefined,
  loki: ApiEndpoint | undefined,
  policy: PrivacyPolicy | undefined,
  run: string,
  deadline: number,
): Promise<CheckRow[]> {
  const names = ["Privacy: content in events", "Privacy: person identity", "Privacy: metric labels bounded"];
  if (!policy) return names.map((n) => row(n, "SKIP", "the stack's privacy policy is unknown: run with --stack (output privacyPolicy)"));
  if (!prom || !loki) return names.map((n) => row(n, "SKIP", "not checked: Prometheus or Loki is not ready"));
  let probe: Probe;
  try {
    probe = await sendProbe(t, run);
  } catch (e) {
    return names.map((n) => row(n, "FAIL", `the probe was not sent: ${(e as Error).message}`));
  }

  const since = Date.now() - 120_000;
  const storedEvents = async () =>
    entries(await lokiQueryRange(loki, `{service_name=~"${SERVICE_NAME_REGEX}"} | simulation_run="${run}"`, { startMs: since, endMs: Date.now() + 60_000 }));
  const storedSeries = () => instantQuery(prom, `last_over_time(${USAGE_COUNTERS.cost.series}{simulation_run="${run}"}[10m])`);
  const stored = await pollUntil(async () => {
    const [events, series] = await Promise.all([storedEvents().catch(() => []), storedSeries().catch(() => [])]);
    return { done: events.length >= EVENTS && series.length >= 1, value: { events, series } };
  }, deadline);
  const { events, series } = stored.value ?? { events: [], series: [] };
  if (events.length < EVENTS || series.length < 1) {
    return names.map((n) => row(n, "FAIL", `the probe did not arrive in time (${events.length} of ${EVENTS} events, ${series.length} of 1 series)`));
  }

  // Content: the canary anywhere in an event means content was kept.
  const values = events.flatMap((e) => Object.values(e.labels));
  const withCanary = values.filter((v) => v.includes(probe.canary));
  const longest = Math.max(...values.map((v) => v.length));
  const content = policy.contentCaptureAcknowledged
    ? withCanary.length > 0 && longest <= policy.maxContentLength
      ? row(names[0] as string, "PASS", `content kept (capture acknowledged), the longest value ${longest} ≤ ${policy.maxContentLength} characters`)
      : row(
          names[0] as string,
          "FAIL",
          withCanary.length === 0
            ? "content capture is acknowledged but the probe's content was not kept"
            : `a value of ${longest} characters is longer than ${policy.maxContentLength}`,
        )
    : withCanary.length === 0
      ? row(names[0] as string, "PASS", `prompt, tool parameters and raw body removed from ${events.length} events (longest value ${longest} characters)`)
      : row(names[0] as string, "FAIL", `${withCanary.length} event values still hold the probe's content although capture is not acknowledged`);

  // Identity: what the events and the metric (its person label) hold in place of the probe's email.
  const seen = [...events.map((e) => e.labels.user_email), ...series.map((s) => s.metric[USER_ATTRIBUTE])];
  const plain = seen.filter((v) => v === probe.email).length;
  const ok =
    policy.identity === "email"
      ? plain === seen.length
      : policy.identity === "hash"
        ? plain === 0 && seen.every((v) => v !== undefined && HEX64.test(v)) && new Set(seen).size === 1
        : seen.every((v) => v === undefined);
  const identity = row(
    names[1] as string,
    ok ? "PASS" : "FAIL",
    policy.identity === "email"
      ? `${plain} of ${seen.length} places hold the email (privacy.identity: email)`
      : policy.identity === "hash"
        ? `${plain} plain emails; ${seen.filter((v) => v && HEX64.test(v)).length} of ${seen.length} places hold one keyed hash (privacy.identity: hash)`
        : `${seen.filter((v) => v !== undefined).length} of ${seen.length} places hold an email (privacy.identity: drop)`,
  );

  const unknown = series.filter((s) => Object.keys(s.metric).includes(UNKNOWN_LABEL.replace(/\./g, "_")));
  const labels = row(
    names[2] as string,
    unknown.length === 0 ? "PASS" : "FAIL",
    unknown.length === 0 ? `the attribute ${UNKNOWN_LABEL} did not become a label` : `the attribute ${UNKNOWN_LABEL} became a label`,
  );
  return [content, identity, labels];
}
