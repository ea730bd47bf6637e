// Receivers: otlp (core receiver/otlpreceiver) and prometheus (contrib receiver/prometheusreceiver).

import { grpcServerFields, httpServerFields } from "./common.js";
import type { Registry } from "./component.js";
import { anything, bool, isRecord, list, mapOf, obj, str } from "./shape.js";
import type { Check } from "./shape.js";

const otlp = obj(
  {
    protocols: obj({
      grpc: obj(grpcServerFields),
      http: obj({
        ...httpServerFields,
        traces_url_path: str(),
        metrics_url_path: str(),
        logs_url_path: str(),
      }),
    }),
  },
  {
    rules: (v, path, out) => {
      const protocols = v.protocols;
      if (!isRecord(protocols) || Object.keys(protocols).length === 0) {
        out.push(`${path}.protocols: at least one of grpc or http must be configured`);
      }
    },
  },
);

// The `config` block is Prometheus' own format (validated by Prometheus itself): only its top-level
// keys and the scrape job names are checked here, plus the sections the receiver refuses.
const PROMETHEUS_TOP_LEVEL = ["global", "scrape_config_files", "scrape_configs", "storage", "tracing", "otlp", "runtime"];
const UNSUPPORTED_BY_RECEIVER = ["remote_write", "remote_read", "rule_files", "alerting"];

const promConfig: Check = (value, path, out) => {
  if (!isRecord(value)) {
    out.push(`${path}: expected a mapping`);
    return;
  }
  for (const key of Object.keys(value)) {
    if (UNSUPPORTED_BY_RECEIVER.includes(key)) out.push(`${path}.${key}: not supported by the prometheus receiver`);
    else if (!PROMETHEUS_TOP_LEVEL.includes(key)) out.push(`${path}.${key}: unknown key`);
  }
  list((job, jobPath, problems) => {
    if (!isRecord(job)) problems.push(`${jobPath}: expected a mapping`);
    else if (typeof job.job_name !== "string" || job.job_name === "") problems.push(`${jobPath}.job_name: required`);
  })(value.scrape_configs, `${path}.scrape_configs`, out);
};

const hasItems = (v: unknown): boolean => Array.isArray(v) && v.length > 0;

const prometheus = obj(
  {
    config: promConfig,
    trim_metric_suffixes: bool(),
    use_start_time_metric: bool(),
    start_time_metric_regex: str(),
    report_extra_scrape_metrics: bool(),
    target_allocator: mapOf(anything()),
    api_server: mapOf(anything()),
  },
  {
    rules: (v, path, out) => {
      const config = isRecord(v.config) ? v.config : {};
      if (!hasItems(config.scrape_configs) && !hasItems(config.scrape_config_files) && !isRecord(v.target_allocator)) {
        out.push(`${path}.config.scrape_configs: required (or scrape_config_files, or target_allocator)`);
      }
    },
  },
);

export const RECEIVERS: Registry = {
  otlp: { schema: otlp, signals: ["traces", "metrics", "logs"] },
  prometheus: { schema: prometheus, signals: ["metrics"] },
};
