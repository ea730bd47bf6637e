// Synthetic Claude Code telemetry: the public API used by the simulate command, the verify and
// bench scripts and the end-to-end tests.
//
//   const model = buildModel({ seed: 42, users: 20, teams: ["platform", "payments"], marker: "run-1" });
//   await emitBurst(model, otlpExporters({ endpoint, protocol: "http/protobuf", token, temporality: "delta" }));
//   const sent = expectedTotals(model); // compare with what the backend returns
export { buildModel, resolveOptions, AUTH_MODES } from "./model.js";
export type { SimulationModel, SimulationOptions, ResolvedOptions, SimPerson, SimInstallation, SimSession, AuthMode } from "./model.js";
export type {
  SimPrompt,
  SimStep,
  SimRequest,
  SimApiError,
  SimToolUse,
  SimSkillUse,
  SimSubagentRun,
  SimCompaction,
  SimRefusal,
  Attribution,
  QuerySource,
} from "./steps.js";
export { CUSTOM, THIRD_PARTY, PLUGINS, USER_MCP_SERVERS, BUNDLED_SKILLS, pluginIdHash } from "./extensions.js";
export type { PluginProfile, SkillProfile, McpServerProfile, SimPlugin, SimMcpServer, SimMcpConnection } from "./extensions.js";
export { sessionRecords, resourceAttributes, commonAttributes, recordName, MARKER_ATTRIBUTE, ENDUSER_ATTRIBUTE } from "./records.js";
export type { SignalRecord, MetricRecord, EventRecord, Attributes, AttributeValue } from "./records.js";
export { expectedTotals, identitiesByChain } from "./totals.js";
export type { ExpectedTotals, NewerTotals, AttributionSums, ByValue } from "./totals.js";
export { emitBurst, emitLive, EVENT_LOGGER_NAME } from "./emit.js";
export type { EmitStats, BurstOptions, LiveOptions } from "./emit.js";
export {
  otlpExporters,
  otlpSignalExporters,
  otlpUrls,
  createMemorySink,
  aggregationTemporality,
  countingMetricExporter,
  countingLogExporter,
  dataPointCount,
  emptySendStats,
} from "./exporters.js";
export type { ExporterFactory, SessionExporters, OtlpTarget, Protocol, Temporality, MemorySink, SendStats } from "./exporters.js";
export { MODELS, TOKEN_TYPES, SUBAGENTS, AUTO_COMPACT_TOKENS } from "./profiles.js";
export type { TokenType, ModelProfile } from "./profiles.js";
export { Random } from "./random.js";
