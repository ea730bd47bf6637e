// Extensions: health_check, bearertokenauth and pprof (contrib), zpages (core).

import { httpServerFields, tcpAddrFields } from "./common.js";
import type { Registry } from "./component.js";
import { bool, duration, int, isEnvRef, list, obj, str } from "./shape.js";

// healthcheckextension.Config (the v1 settings; the v2 http/grpc blocks are not part of this version).
const healthCheck = obj(
  {
    ...httpServerFields,
    path: str(),
    response_body: obj({ healthy: str(), unhealthy: str() }),
    check_collector_pipeline: obj({
      enabled: bool(),
      interval: duration(),
      exporter_failure_threshold: int({ min: 1 }),
    }),
  },
  {
    rules: (v, path, out) => {
      if (typeof v.path === "string" && !v.path.startsWith("/")) out.push(`${path}.path: must start with /`);
    },
  },
);

const literalSecret = (v: unknown): boolean => typeof v === "string" && v !== "" && !isEnvRef(v);

const bearertokenauth = obj(
  { header: str(), scheme: str(), token: str(), tokens: list(str()), filename: str() },
  {
    rules: (v, path, out) => {
      const tokens = Array.isArray(v.tokens) ? v.tokens : [];
      if (!v.token && tokens.length === 0 && !v.filename) {
        out.push(`${path}: one of token, tokens or filename is required`);
      }
      if (v.token && tokens.length > 0) out.push(`${path}: set either token or tokens, not both`);
      // Project rule on top of the upstream schema: the rendered config is stored and shown, so a
      // secret must come from the environment (or a file), never sit in it as a literal.
      if (literalSecret(v.token)) out.push(`${path}.token: literal secret; use \${env:NAME} or filename`);
      tokens.forEach((t, i) => {
        if (literalSecret(t)) out.push(`${path}.tokens[${i}]: literal secret; use \${env:NAME} or filename`);
      });
    },
  },
);

const pprof = obj({
  ...tcpAddrFields,
  block_profile_fraction: int({ min: 0 }),
  mutex_profile_fraction: int({ min: 0 }),
  save_to_file: str(),
});

const zpages = obj({ ...httpServerFields, expvar: obj({ enabled: bool() }) });

export const EXTENSIONS: Registry = {
  health_check: { schema: healthCheck, signals: [] },
  bearertokenauth: { schema: bearertokenauth, signals: [], authenticator: true },
  pprof: { schema: pprof, signals: [] },
  zpages: { schema: zpages, signals: [] },
};
