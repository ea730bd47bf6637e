// The project's rendered Prometheus config and rules, arranged for a Prometheus started by a test.
import type { Settings } from "../../components/settings.js";
import { placeholderSpecs } from "../../components/render-files.js";
import { parse, stringify } from "yaml";
import { PROMETHEUS_CONFIG_PATH, PROMETHEUS_RULES_PATH, renderPrometheusConfig, type ScrapeTargets } from "../../components/prometheus.js";
import type { PrometheusOptions } from "./tools.js";

/** Where a test Prometheus finds the rules file, relative to its folder. */
export const RULES_NAME = "rules/claude-code.rules.yml";

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

/**
 * The project's prometheus.yml for a Prometheus started by a test: the given targets (where the
 * test's services listen), its own listen address for the self-scrape, short intervals, the rules
 * file under its test name, and without the scrape jobs of services that do not run in the test.
 */
export function testPrometheusConfig(
  settings: Settings,
  listen: string,
  targets: ScrapeTargets,
  opts: { interval: string; rulesFile?: string; withoutJobs?: readonly string[] },
): string {
  const config = parse(renderPrometheusConfig(settings, targets)) as {
    global: Record<string, unknown>;
    rule_files: string[];
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  const self = config.scrape_configs.find((j) => j.job_name === "prometheus");
  if (!self) throw new Error("the rendered config has no self-scrape job");
  self.static_configs = [{ targets: [listen] }];
  config.scrape_configs = config.scrape_configs.filter((j) => !opts.withoutJobs?.includes(j.job_name));
  config.global.scrape_interval = opts.interval;
  config.global.evaluation_interval = opts.interval;
  config.rule_files = [opts.rulesFile ?? RULES_NAME];
  return stringify(config);
}
