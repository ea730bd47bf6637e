// The rules file Prometheus loads: the recording rules, then every alert group (Claude Code's use,
// then the stack's own plumbing). Prometheus evaluates them and sends what fires to Alertmanager.
import { recordingGroups, rulesYaml, type AlertingRule, type RecordingOptions, type RuleGroup } from "./prometheus-rules.js";
import { usageAlertGroups } from "./alerts.js";
import { PIPELINE_ALERT_GROUPS } from "./alerts-pipeline.js";
import { DEFAULT_ALERTING, type AlertingSettings } from "./settings-alerting.js";

/** Shorter alert timings, for tests that watch alerts fire in seconds. */
export interface AlertTiming {
  /** Interval of every alert group. */
  readonly interval: string;
  /** `for` of every alert. */
  readonly for: string;
}

export interface RulesFileOptions {
  /** Thresholds of the alerts; the settings' defaults where absent. */
  readonly alerting?: AlertingSettings;
  /** Shorter recording intervals (tests). */
  readonly recording?: Partial<RecordingOptions>;
  readonly alertTiming?: AlertTiming;
}

/** Every alert group of the stack: Claude Code's use, then the stack's own plumbing. */
export function alertingGroups(alerting: AlertingSettings = DEFAULT_ALERTING): RuleGroup<AlertingRule>[] {
  return [...usageAlertGroups(alerting), ...PIPELINE_ALERT_GROUPS];
}

function timed(groups: readonly RuleGroup<AlertingRule>[], timing?: AlertTiming): readonly RuleGroup<AlertingRule>[] {
  if (!timing) return groups;
  return groups.map((g) => ({ ...g, interval: timing.interval, rules: g.rules.map((r) => ({ ...r, for: timing.for })) }));
}

/** The rules file Prometheus loads. */
export function renderRulesFile(options: RulesFileOptions = {}): string {
  return rulesYaml(recordingGroups(options.recording), timed(alertingGroups(options.alerting), options.alertTiming));
}
