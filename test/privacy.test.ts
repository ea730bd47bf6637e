// The stack's privacy policy, enforced by the real collector running the rendered config: each
// identity mode, content capture off and on, bounded metric labels, and the counters of what was
// removed. A client here sends MORE than the policy allows (an email, an org identity, account ids,
// prompt text, tool parameters, a raw API body, an attribute no dashboard knows, an unknown value of
// a closed set, an over-long value), as a misconfigured one could; the test reads what reached the
// real Prometheus and the Loki double (events).
import { createHash } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { METER_NAME, METRICS } from "../components/claude/telemetry.js";
import { IDENTITY_HASH_KEY_ENV } from "../components/privacy.js";
import { parseSettings } from "../components/settings.js";
import { USAGE_COUNTERS as C } from "../components/usage-series.js";
import { renderedCollectorConfig, startCollector, type RunningCollector } from "./support/collector.js";
import { startLokiDouble, type LokiDouble, type StoredEntry } from "./support/loki-double.js";
import { describeWithTools, queryPrometheus, startPrometheus, waitFor, type RunningServer } from "./support/tools.js";

const KEY = "k3yForTheIdentityHash0000000001";
const OTHER_KEY = "k3yForTheIdentityHash0000000002";
const EMAIL = "ada@example.com";
const PROMPT = "please refactor the payment module and keep the secret sauce";
const LONG_MODEL = `claude-${"x".repeat(300)}`;

/** The hash the policy promises: SHA-256 of "<key>:<value>", hex. Written here, not taken from the product. */
const expectedHash = (key: string, value: string) => createHash("sha256").update(`${key}:${value}`).digest("hex");

interface Sent {
  run: string;
}

/** One client that sends everything a misconfigured client could. */
async function send(collector: RunningCollector, run: string): Promise<Sent> {
  const resource = resourceFromAttributes({ "service.name": "claude-code", "service.version": "2.1.300", team: "privacy", "simulation.run": run });
  const common = {
    "session.id": `${run}-session`,
    "user.email": EMAIL,
    "enduser.id": "ada",
    "user.account_uuid": "0f6e5c2a-1b2c-4d5e-8f90-123456789abc",
    "user.account_id": "user_01ADA",
    "user.id": "install-1234",
    team: "privacy",
    "simulation.run": run,
  };
  const meters = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        // Delta, as the generated settings ask.
        exporter: new OTLPMetricExporter({ url: `${collector.httpEndpoint}/v1/metrics`, temporalityPreference: AggregationTemporality.DELTA }),
        exportIntervalMillis: 3_600_000,
      }),
    ],
  });
  const meter = meters.getMeter(METER_NAME, "2.1.300");
  meter.createCounter(METRICS.cost.name, { unit: "USD" }).add(1.5, { ...common, model: LONG_MODEL, "git.branch": "feature/secret-project" });
  meter.createCounter(METRICS.tokens.name, { unit: "tokens" }).add(100, { ...common, model: "claude-opus", type: "weird-type" });
  await meters.shutdown(); // one export: a flush before it would send the cumulative points twice

  const logs = new LoggerProvider({
    resource,
    processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${collector.httpEndpoint}/v1/logs` }) })],
  });
  const logger = logs.getLogger("com.anthropic.claude_code.events", "2.1.300");
  const event = (name: string, attrs: Record<string, string | number>) =>
    logger.emit({ body: `claude_code.${name}`, attributes: { ...common, "event.name": name, ...attrs } });
  event("user_prompt", { prompt_length: PROMPT.length, prompt: PROMPT });
  event("tool_result", {
    tool_name: "Bash",
    success: "true",
    duration_ms: 12,
    tool_parameters: '{"bash_command":"cat ~/.ssh/id_rsa"}',
    tool_input: "cat ~/.ssh/id_rsa",
  });
  event("api_request_body", { body: '{"messages":[{"role":"user","content":"the secret sauce"}]}' });
  event("api_error", { model: "claude-opus", error: `overloaded ${"e".repeat(400)}`, status_code: "529" });
  await logs.forceFlush();
  await logs.shutdown();
  return { run };
}

/** The usage series one run fills: cost and tokens (each also attributed), and the person's activity. */
const USAGE_SERIES_SENT = 5;

interface Case {
  name: string;
  raw: Record<string, unknown>;
  key?: string;
}

describeWithTools(["otelcol", "prometheus"], "the privacy policy in the real collector (events to the Loki double)", () => {
  let prometheus: RunningServer;
  let loki: LokiDouble;
  const collectors: RunningCollector[] = [];
  beforeAll(async () => {
    prometheus = await startPrometheus({ configYaml: "global:\n  scrape_interval: 15s\n" });
    loki = await startLokiDouble();
  }, 60_000);
  afterAll(async () => {
    for (const c of collectors) await c.stop();
    await loki?.stop();
    await prometheus?.stop();
  });

  /** Runs a client against a collector with these settings; returns what was stored for the run. */
  async function run(c: Case): Promise<{ labels: Record<string, string>[]; events: StoredEntry[]; collector: RunningCollector }> {
    const settings = parseSettings({ target: "docker", ...c.raw }, "privacy");
    const collector = await startCollector({
      config: renderedCollectorConfig(settings, { prometheus: prometheus.url, loki: loki.url }),
      // As each container or pod has its own host name: the governance counts are kept per replica.
      env: { HOSTNAME: `collector-${collectors.length + 1}`, ...(c.key ? { [IDENTITY_HASH_KEY_ENV]: c.key } : {}) },
    });
    collectors.push(collector);
    const runId = `${c.name}-${collectors.length}`;
    await send(collector, runId);
    // The usage series (the API event series carry no person: test/collector-pipeline.test.ts).
    const stored = () =>
      queryPrometheus(prometheus.url, `last_over_time({__name__=~"claude_code_.+", __name__!~"claude_code_api_.+", simulation_run="${runId}"}[10m])`);
    const events = () => loki.entries().filter((e) => e.structuredMetadata.simulation_run === runId || e.stream.simulation_run === runId);
    await waitFor(async () => events().length === 4 && (await stored()).length === USAGE_SERIES_SENT, 30_000).catch(async (e: Error) => {
      const series = await stored();
      throw new Error(
        `${e.message}: ${events().length} events, ${series.length} series for ${runId}\n${collector
          .logs()
          .split("\n")
          .filter((l) => /warn|error/i.test(l))
          .slice(-10)
          .join("\n")}`,
      );
    });
    const series = await stored();
    return { labels: series.map((s) => s.metric).sort((a, b) => String(a.__name__).localeCompare(String(b.__name__))), events: events(), collector };
  }
  /** The labels of the one stored series of that name. */
  const seriesOf = (labels: Record<string, string>[], name: string): Record<string, string> => {
    const found = labels.filter((l) => l.__name__ === name);
    expect(found, name).toHaveLength(1);
    return found[0] as Record<string, string>;
  };
  const meta = (events: StoredEntry[], name: string) => events.find((e) => e.structuredMetadata.event_name === name)?.structuredMetadata ?? {};

  it("email (default), content capture off: identities kept; content removed from every event; labels bounded", async () => {
    const { labels, events } = await run({ name: "email", raw: {} });
    const [cost, tokens] = [seriesOf(labels, C.cost.series), seriesOf(labels, C.tokens.series)];
    // The person, from the identity chain (email first); identity attributes are not labels of their own.
    expect(cost.user).toBe(EMAIL);
    for (const k of ["user_email", "enduser_id", "user_account_uuid", "user_account_id", "user_id", "session_id"]) expect(cost, k).not.toHaveProperty(k);
    // Bounded labels: the unknown attribute is gone, the long value is cut, the closed set says "other".
    expect(cost).not.toHaveProperty("git_branch");
    expect(cost.model).toBe(LONG_MODEL.slice(0, 128));
    expect(tokens.type).toBe("other");
    expect(tokens.model).toBe("claude-opus");
    expect(Object.keys(cost).filter((k) => k.startsWith("governance"))).toEqual([]);
    // Content gone, everything else kept; nothing longer than 256 characters.
    expect(meta(events, "user_prompt")).not.toHaveProperty("prompt");
    expect(meta(events, "user_prompt").prompt_length).toBe(String(PROMPT.length));
    expect(meta(events, "tool_result")).not.toHaveProperty("tool_parameters");
    expect(meta(events, "tool_result")).not.toHaveProperty("tool_input");
    expect(meta(events, "tool_result").tool_name).toBe("Bash");
    expect(meta(events, "api_request_body")).not.toHaveProperty("body");
    expect(meta(events, "api_error").error).toHaveLength(256);
    expect(meta(events, "user_prompt").user_email).toBe(EMAIL);
    for (const e of events) {
      const text = JSON.stringify({ ...e, tsNs: String(e.tsNs) });
      expect(text).not.toContain("secret sauce");
      expect(text).not.toContain("id_rsa");
      expect(Object.keys(e.structuredMetadata).filter((k) => k.startsWith("governance"))).toEqual([]);
    }
  });

  it("hash: every person identifier is the keyed SHA-256 of its value, on metrics and events, and no plain one remains", async () => {
    const { labels, events } = await run({ name: "hash", raw: { privacy: { identity: "hash" } }, key: KEY });
    const cost = seriesOf(labels, C.cost.series);
    // The person label is made after hashing: the keyed hash of the email.
    expect(cost.user).toBe(expectedHash(KEY, EMAIL));
    for (const e of events) {
      expect(e.structuredMetadata.user_email).toBe(expectedHash(KEY, EMAIL));
      expect(e.structuredMetadata.enduser_id).toBe(expectedHash(KEY, "ada"));
      expect(e.structuredMetadata.user_account_id).toBe(expectedHash(KEY, "user_01ADA"));
      expect(e.structuredMetadata.user_account_uuid).toBe(expectedHash(KEY, "0f6e5c2a-1b2c-4d5e-8f90-123456789abc"));
      expect(e.structuredMetadata.user_id).toBe("install-1234"); // an installation, not a person
    }
    const everything = JSON.stringify({ labels, events }, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v));
    for (const plain of [EMAIL, "user_01ADA", '"ada"']) expect(everything).not.toContain(plain);
  });

  it("hash: stable across a collector restart with the same key, different with another key; account ids kept when asked", async () => {
    const again = await run({ name: "hash-again", raw: { privacy: { identity: "hash" } }, key: KEY });
    expect(seriesOf(again.labels, C.cost.series).user).toBe(expectedHash(KEY, EMAIL));
    const other = await run({ name: "hash-other", raw: { privacy: { identity: "hash", hashAccountIds: false } }, key: OTHER_KEY });
    expect(seriesOf(other.labels, C.cost.series).user).toBe(expectedHash(OTHER_KEY, EMAIL));
    expect(seriesOf(other.labels, C.cost.series).user).not.toBe(seriesOf(again.labels, C.cost.series).user);
    for (const e of other.events) expect(e.structuredMetadata.user_account_id).toBe("user_01ADA");
  });

  it("drop: no person identifier and no installation id reach Prometheus or Loki; team figures stay", async () => {
    const { labels, events } = await run({ name: "drop", raw: { privacy: { identity: "drop" } } });
    for (const l of labels) {
      for (const k of ["user", "user_email", "enduser_id", "user_account_uuid", "user_account_id", "user_id", "session_id"]) expect(l, k).not.toHaveProperty(k);
      expect(l.team).toBe("privacy");
    }
    for (const e of events)
      for (const k of ["user_email", "enduser_id", "user_account_uuid", "user_account_id", "user_id"]) expect(e.structuredMetadata, k).not.toHaveProperty(k);
  });

  it("content capture acknowledged: content is kept, cut at privacy.maxContentLength", async () => {
    const raw = { client: { logUserPrompts: true, logToolDetails: true, contentCaptureAcknowledged: true }, privacy: { maxContentLength: 64 } };
    const { events } = await run({ name: "ack", raw });
    expect(meta(events, "user_prompt").prompt).toBe(PROMPT.slice(0, 64));
    expect(meta(events, "tool_result").tool_input).toBe("cat ~/.ssh/id_rsa");
    expect(meta(events, "api_request_body").body).toBe('{"messages":[{"role":"user","content":"the secret sauce"}]}');
    expect(meta(events, "api_error").error).toHaveLength(64);
  });

  it("counts what it removed: trimmed data points and scrubbed events, one series per collector", async () => {
    const counts = async (name: string) => (await queryPrometheus(prometheus.url, name)).map((s) => ({ labels: s.metric, value: Number(s.value?.[1]) }));
    // Every run (six collectors) sent one cost point with an attribute no dashboard knows.
    const trimmed = await waitFor(async () => {
      const r = await counts("claude_code_governance_labels_trimmed_total");
      return r.reduce((a, x) => a + x.value, 0) >= 6 ? r : undefined;
    }, 30_000).catch(async (e: Error) => {
      throw new Error(
        `${e.message}: ${JSON.stringify(await counts("claude_code_governance_labels_trimmed_total"))} / ${JSON.stringify(await counts("claude_code_governance_content_removed_total"))}`,
      );
    });
    expect(trimmed.reduce((a, r) => a + r.value, 0)).toBe(6);
    expect(trimmed).toHaveLength(6);
    for (const r of trimmed) expect(r.labels.job).toBe("claude-telemetry-collector");
    expect(new Set(trimmed.map((r) => r.labels.instance)).size).toBe(trimmed.length);
    // The five runs without content capture each sent three events with content (exported within
    // the batch timeout).
    const removed = await waitFor(async () => {
      const r = await counts("claude_code_governance_content_removed_total");
      return r.reduce((a, x) => a + x.value, 0) >= 15 ? r : undefined;
    }, 30_000).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(await counts("claude_code_governance_content_removed_total"))}`);
    });
    expect(removed.reduce((a, r) => a + r.value, 0)).toBe(3 * 5);
  });
});
