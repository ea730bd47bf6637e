// The project's rendered Prometheus config and rules, arranged for a Prometheus started by a test.
import type { Settings } from "../../components/settings.js";
import { placeholderSpecs } from "../../components/render-files.js";
import { PROMETHEUS_CONFIG_PATH, PROMETHEUS_RULES_PATH } from "../../components/prometheus.js";
import type { PrometheusOptions } from "./tools.js";

const RULES_NAME = "rules/claude-code.rules.yml";

/**
 * Options for startPrometheus with exactly the rendered config, rules and flags; only the paths the
 * test harness owns (config file, TSDB, listen address) differ, plus any `extraFlags`.
 */
export function renderedPrometheus(settings: Settings, extraFlags: string[] = []): PrometheusOptions {
  const spec = placeholderSpecs(settings).prometheus;
  const file = (path: string) => String(spec.files.find((f) => f.path === path)?.content);
  // startPrometheus sets these itself (and Prometheus refuses a repeated flag).
  const flags = (spec.args ?? []).filter((a) => !/^--(config\.file=|storage\.tsdb\.path=|web\.enable-remote-write-receiver$)/.test(a));
  return {
    configYaml: file(PROMETHEUS_CONFIG_PATH).replace(PROMETHEUS_RULES_PATH, RULES_NAME),
    ruleFiles: { [RULES_NAME]: file(PROMETHEUS_RULES_PATH) },
    flags: [...flags, ...extraFlags],
  };
}
