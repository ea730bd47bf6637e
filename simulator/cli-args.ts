// Command-line flags of `npm run simulate`, parsed and checked without side effects so bad input
// fails with a message that names the flag (and never echoes the token).
import { parseArgs } from "node:util";
import { UsageError } from "../lib/cli.js";
import { parseDuration, type DurationSyntax } from "../lib/duration.js";
import type { OtlpTarget, Protocol, Temporality } from "./exporters.js";
import type { AuthMode, SimulationOptions } from "./model.js";

export interface SimulateCommand {
  readonly help: boolean;
  readonly mode: "live" | "burst";
  /** Print the expected totals of the model and send nothing. */
  readonly dryRun: boolean;
  /** Print a JSON summary (what was sent, and the expected totals) on stdout at the end. */
  readonly json: boolean;
  /** Absent only for --dry-run and --help. The token may still come from `tokenFile`. */
  readonly target?: OtlpTarget;
  readonly tokenFile?: string;
  /** Model options; startTimeMs is left to the caller (now, or now minus the duration for a burst). */
  readonly model: Omit<SimulationOptions, "startTimeMs"> & { durationMs: number };
  readonly metricIntervalMs: number;
  readonly logIntervalMs: number;
  readonly concurrency: number;
}

export const USAGE = `Send synthetic Claude Code telemetry (metrics and events over OTLP) for many simulated developers.

Usage: npm run simulate -- --endpoint URL [options]

Target
  --endpoint URL          OTLP base URL, e.g. http://127.0.0.1:4318 (HTTP) or http://127.0.0.1:4317 (gRPC)
  --protocol P            http/protobuf (default) or grpc
  --token T               bearer token, sent as "Authorization: Bearer T"
  --token-file PATH       read the bearer token from a file instead (keeps it out of the process list)
  --temporality T         delta (default: Claude Code's own default, and what this project's
                          managed settings set) or cumulative

Simulated organisation
  --users N               people (default 20)
  --teams a,b,c           team names (default platform,payments,data)
  --departments a,b       departments; team i belongs to department i mod n (default engineering)
  --cost-centers a,b      cost centres; team i books to cost centre i mod n (default cc-1000, cc-1010, ...)
  --environment E         environment attribute (default production)
  --sessions N            exact number of sessions (default 1-3 per person)
  --seed N                PRNG seed: the same seed sends the same data (default 42)
  --marker VALUE          add simulation.run=VALUE to every resource, data point and event so a check
                          can find its own data (not a Claude Code attribute; off by default)
  --auth A                how people sign in: mixed (default: about 85% OAuth, 15% API key), oauth, or
                          api-key (no user.email, account or organization ids on any record)
  --enduser-id            give every person an enduser.id (login-style, unique) in OTEL_RESOURCE_ATTRIBUTES:
                          on the resource and every data point and event

Timing
  --duration D            live: how long to run; burst: the simulated window ending now (default 5m)
                          units: ms, s, m, h (e.g. 90s, 5m, 1h30m)
  --burst                 send every session as fast as possible, then flush (default: live)
  --export-interval D     metric export interval per session in live mode (default 5s)
  --logs-interval D       event batch delay per session in live mode (default 1s)
  --concurrency N         sessions open at once in burst mode (default 16)

Output
  --dry-run               print the expected totals for these options and send nothing
  --json                  print a JSON summary (sent counts and expected totals) on stdout
  -h, --help              show this help

Progress goes to stderr. The exit code is 1 when any export failed, 2 for bad flags.`;

const NAME = /^[^\s,=]+$/; // a valid OTEL_RESOURCE_ATTRIBUTES value

/** --duration and the intervals: decimals allowed (1.5s), units up to hours. */
const FLAG_DURATION: DurationSyntax = { units: ["ms", "s", "m", "h"], decimals: true };

/** Whole milliseconds of a duration flag. */
function durationFlag(flag: string, text: string): number {
  const ms = parseDuration(text, FLAG_DURATION);
  if (ms === undefined) throw new UsageError(`${flag} must be a duration such as 30s, 5m or 1h30m (got '${text}')`);
  return Math.round(ms);
}

function positiveInt(flag: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${flag} must be ${min === 0 ? "a non-negative" : "a positive"} integer (got '${text}')`);
  }
  return Number(text);
}

function names(flag: string, text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(",").map((s) => s.trim());
  for (const n of list) {
    if (!NAME.test(n) || n.length > 128) throw new UsageError(`${flag} takes a comma-separated list of names without spaces or '=' (got '${text}')`);
  }
  return list;
}

function oneOf<T extends string>(flag: string, text: string | undefined, allowed: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`${flag} must be one of ${allowed.join(", ")} (got '${text}')`);
  return text as T;
}

export function checkEndpoint(text: string, protocol: Protocol): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--endpoint must be a URL such as http://127.0.0.1:4318 (got '${text}')`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--endpoint must use http or https (got '${url.protocol}')`);
  if (url.username || url.password) throw new UsageError("--endpoint must not contain credentials: pass them with --token or --token-file");
  if (/\/v1\/(metrics|logs)\/?$/.test(url.pathname)) throw new UsageError("--endpoint is the base URL: /v1/metrics and /v1/logs are added for each signal");
  if (protocol === "grpc" && url.pathname !== "/") throw new UsageError("--endpoint for gRPC takes no path (e.g. http://127.0.0.1:4317)");
  return text;
}

const OPTIONS = {
  endpoint: { type: "string" },
  protocol: { type: "string" },
  token: { type: "string" },
  "token-file": { type: "string" },
  temporality: { type: "string" },
  users: { type: "string" },
  teams: { type: "string" },
  departments: { type: "string" },
  "cost-centers": { type: "string" },
  environment: { type: "string" },
  sessions: { type: "string" },
  seed: { type: "string" },
  marker: { type: "string" },
  auth: { type: "string" },
  "enduser-id": { type: "boolean" },
  duration: { type: "string" },
  burst: { type: "boolean" },
  "export-interval": { type: "string" },
  "logs-interval": { type: "string" },
  concurrency: { type: "string" },
  "dry-run": { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export function parseSimulateArgs(argv: readonly string[]): SimulateCommand {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    const err = e as Error & { code?: string };
    const flag = /'([^']+)'/.exec(err.message)?.[1]?.split(" ")[0] ?? "";
    if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new UsageError(`unknown option ${flag}`);
    if (err.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") throw new UsageError(`unexpected argument ${flag}: every value follows its --flag`);
    if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") throw new UsageError(`option ${flag} needs a value`);
    throw new UsageError(err.message);
  }
  const protocol = oneOf("--protocol", values.protocol, ["http/protobuf", "grpc"] as const, "http/protobuf");
  const temporality: Temporality = oneOf("--temporality", values.temporality, ["delta", "cumulative"] as const, "delta");
  const durationMs = values.duration === undefined ? 5 * 60_000 : durationFlag("--duration", values.duration);
  if (durationMs < 1000) throw new UsageError("--duration must be at least 1s");
  const metricIntervalMs = values["export-interval"] === undefined ? 5000 : durationFlag("--export-interval", values["export-interval"]);
  const logIntervalMs = values["logs-interval"] === undefined ? 1000 : durationFlag("--logs-interval", values["logs-interval"]);
  if (metricIntervalMs < 100 || logIntervalMs < 100) throw new UsageError("--export-interval and --logs-interval must be at least 100ms");
  if (values.token !== undefined && values["token-file"] !== undefined) throw new UsageError("use --token or --token-file, not both");
  if (values.token === "") throw new UsageError("--token must not be empty");
  const marker = values.marker;
  if (marker !== undefined && (!NAME.test(marker) || marker.length > 128)) throw new UsageError("--marker must be a value without spaces, commas or '='");
  const auth = oneOf("--auth", values.auth, ["mixed", "oauth", "api-key"] as const, "mixed");
  const authMode: AuthMode = auth === "api-key" ? "api_key" : auth;
  const help = values.help ?? false;
  const dryRun = values["dry-run"] ?? false;
  const seed = positiveInt("--seed", values.seed, 42, 0);
  const users = positiveInt("--users", values.users, 20);
  const concurrency = positiveInt("--concurrency", values.concurrency, 16);
  const teams = names("--teams", values.teams);
  const departments = names("--departments", values.departments);
  const costCenters = names("--cost-centers", values["cost-centers"]);
  const sessions = values.sessions === undefined ? undefined : positiveInt("--sessions", values.sessions, 1);
  const environment = values.environment;
  if (environment !== undefined && (!NAME.test(environment) || environment.length > 128)) {
    throw new UsageError(`--environment must be one value without spaces, commas or '=' (got '${environment}')`);
  }
  if (!help && !dryRun && values.endpoint === undefined) throw new UsageError("--endpoint is required (or use --dry-run)");
  const target: OtlpTarget | undefined =
    values.endpoint === undefined
      ? undefined
      : { endpoint: checkEndpoint(values.endpoint, protocol), protocol, temporality, ...(values.token ? { token: values.token } : {}) };
  return {
    help,
    mode: values.burst ? "burst" : "live",
    dryRun,
    json: values.json ?? false,
    target,
    ...(values["token-file"] ? { tokenFile: values["token-file"] } : {}),
    model: {
      seed,
      users,
      teams,
      departments,
      costCenters,
      ...(environment ? { environment } : {}),
      ...(sessions ? { sessions } : {}),
      ...(marker ? { marker } : {}),
      auth: authMode,
      ...(values["enduser-id"] ? { enduserId: true } : {}),
      durationMs,
    },
    metricIntervalMs,
    logIntervalMs,
    concurrency,
  };
}
