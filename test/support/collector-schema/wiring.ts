// Cross-references between the component sections and `service`: what the collector checks when it
// builds the pipelines, plus the project's ordering rules (memory_limiter first, batch after it).

import type { Registry, Signal } from "./component.js";
import { SIGNALS } from "./component.js";
import { at, isRecord, parseComponentId } from "./shape.js";
import type { Problems } from "./shape.js";

export type Kind = "receivers" | "processors" | "exporters";
export interface Registries {
  receivers: Registry;
  processors: Registry;
  exporters: Registry;
  extensions: Registry;
}

const section = (config: Record<string, unknown>, key: string): Record<string, unknown> => {
  const v = config[key];
  return isRecord(v) ? v : {};
};
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : []);
const typeOf = (id: string): string | undefined => parseComponentId(id)?.type;

export function checkWiring(config: Record<string, unknown>, registries: Registries, out: Problems): void {
  const service = section(config, "service");
  const pipelines = section(service, "pipelines");
  const used: Record<Kind, Set<string>> = { receivers: new Set(), processors: new Set(), exporters: new Set() };

  for (const [pipelineId, pipeline] of Object.entries(pipelines)) {
    const path = `service.pipelines.${pipelineId}`;
    const parsed = parseComponentId(pipelineId);
    const signal = SIGNALS.find((s) => s === parsed?.type);
    if (!signal) {
      out.push(`${path}: unknown pipeline type (expected traces, metrics or logs, optionally with /name)`);
    }
    if (!isRecord(pipeline)) continue;
    for (const kind of ["receivers", "processors", "exporters"] as const) {
      const ids = strings(pipeline[kind]);
      ids.forEach((id, i) => {
        used[kind].add(id);
        if (ids.indexOf(id) !== i) out.push(`${at(`${path}.${kind}`, i)}: "${id}" is listed more than once`);
        checkReference(config, registries, kind, id, signal, at(`${path}.${kind}`, i), out);
      });
    }
    checkProcessorOrder(strings(pipeline.processors), `${path}.processors`, out);
  }

  for (const kind of ["receivers", "processors", "exporters"] as const) {
    for (const id of Object.keys(section(config, kind))) {
      if (!used[kind].has(id)) out.push(`${kind}.${id}: defined but not used in any pipeline`);
    }
  }
  checkExtensions(config, service, out);
  checkAuthenticators(config, registries, out);
}

function checkReference(
  config: Record<string, unknown>, registries: Registries, kind: Kind, id: string,
  signal: Signal | undefined, path: string, out: Problems,
): void {
  if (!(id in section(config, kind))) {
    out.push(`${path}: "${id}" is not defined under ${kind}`);
    return;
  }
  const spec = registries[kind][typeOf(id) ?? ""];
  if (spec && signal && !spec.signals.includes(signal)) {
    out.push(`${path}: "${id}" does not support ${signal} (only ${spec.signals.join(", ")})`);
  }
}

function checkProcessorOrder(ids: string[], path: string, out: Problems): void {
  const limiter = ids.findIndex((id) => typeOf(id) === "memory_limiter");
  if (limiter > 0) out.push(`${path}: memory_limiter must be the first processor`);
  if (limiter >= 0) {
    ids.forEach((id, i) => {
      if (typeOf(id) === "batch" && i < limiter) out.push(`${at(path, i)}: "${id}" must come after memory_limiter`);
    });
  }
}

function checkExtensions(config: Record<string, unknown>, service: Record<string, unknown>, out: Problems): void {
  const defined = section(config, "extensions");
  const enabled = strings(service.extensions);
  enabled.forEach((id, i) => {
    if (!(id in defined)) out.push(`${at("service.extensions", i)}: "${id}" is not defined under extensions`);
    if (enabled.indexOf(id) !== i) out.push(`${at("service.extensions", i)}: "${id}" is listed more than once`);
  });
  for (const id of Object.keys(defined)) {
    if (!enabled.includes(id)) out.push(`extensions.${id}: defined but not listed in service.extensions`);
  }
}

/** Every `auth.authenticator` (receivers, exporters, extensions) must name an enabled authenticator extension. */
function checkAuthenticators(config: Record<string, unknown>, registries: Registries, out: Problems): void {
  const defined = section(config, "extensions");
  const enabled = strings(section(config, "service").extensions);
  const visit = (value: unknown, path: string): void => {
    if (Array.isArray(value)) value.forEach((v, i) => visit(v, at(path, i)));
    if (!isRecord(value)) return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === "auth" && isRecord(inner) && typeof inner.authenticator === "string") {
        const id = inner.authenticator;
        const where = `${path}.auth.authenticator`;
        if (!(id in defined)) out.push(`${where}: "${id}" is not defined under extensions`);
        else if (!enabled.includes(id)) out.push(`${where}: "${id}" is not enabled in service.extensions`);
        else if (registries.extensions[typeOf(id) ?? ""]?.authenticator !== true) {
          out.push(`${where}: "${id}" is not an authenticator extension`);
        }
      }
      visit(inner, at(path, key));
    }
  };
  for (const kind of ["receivers", "exporters", "extensions"]) visit(section(config, kind), kind);
}
