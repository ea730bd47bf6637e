// internal/coreinternal/attraction (actions shared by the resource and attributes processors) and
// internal/filter/filterconfig.MatchProperties (include/exclude of attributes and filter `spans`).

import { anything, bool, int, list, obj, oneOf, str } from "./shape.js";

const VALUE_SOURCES = ["value", "from_attribute", "from_context"] as const;

export const actionKeyValue = obj(
  {
    key: str(),
    value: anything(),
    pattern: str(),
    from_attribute: str(),
    from_context: str(),
    converted_type: oneOf(["string", "int", "double"]),
    action: oneOf(["insert", "update", "upsert", "delete", "hash", "extract", "convert"], { caseInsensitive: true }),
  },
  {
    required: ["action"],
    // attraction.NewAttrProc
    rules: (v, path, out) => {
      const action = typeof v.action === "string" ? v.action.toLowerCase() : "";
      const sources = VALUE_SOURCES.filter((k) => v[k] !== undefined && v[k] !== null && v[k] !== "");
      if (["insert", "update", "upsert"].includes(action) && sources.length !== 1) {
        out.push(`${path}: action ${action} needs exactly one of value, from_attribute or from_context`);
      }
      if (["delete", "hash"].includes(action) && !v.key && !v.pattern) {
        out.push(`${path}: action ${action} needs key or pattern`);
      } else if (action !== "" && !["delete", "hash"].includes(action) && !v.key) {
        out.push(`${path}.key: required`);
      }
      if (action === "extract" && !v.pattern) out.push(`${path}.pattern: required for action extract`);
      if (action === "convert" && !v.converted_type) out.push(`${path}.converted_type: required for action convert`);
    },
  },
);

const keyValue = obj({ key: str(), value: anything() }, { required: ["key"] });

export const attributesMatch = obj({
  match_type: oneOf(["strict", "regexp"]),
  regexp: obj({ cacheenabled: bool(), cachemaxnumentries: int({ min: 0 }) }),
  services: list(str()),
  span_names: list(str()),
  span_kinds: list(str()),
  log_bodies: list(str()),
  log_severity_texts: list(str()),
  log_severity_number: obj({ min: str(), match_undefined: bool() }),
  metric_names: list(str()),
  attributes: list(keyValue),
  resources: list(keyValue),
  libraries: list(obj({ name: str(), version: str() })),
});
