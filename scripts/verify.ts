// `npm run verify -- --stack <stack>`: end-to-end check of a deployed stack, right after `pulumi up`
// or in CI. Prints a table (check, result, detail) and exits 1 when anything is broken.
//
//   1. health: Grafana /api/health and its provisioned datasources and dashboards, Prometheus
//      /-/ready, Loki /ready
//   2. OTLP ingest over HTTP and gRPC: reachable; with a token, refused without it
//   3. a small burst of simulated Claude Code telemetry, marked with a unique run id, sent over the
//      clients' protocol; waits until Prometheus (the usage series, the last-sample rule) and Loki hold it, and
//      compares sessions, cost, tokens and events with what was sent
//   4. every dashboard panel query: PASS with data, FAIL on errors or when the run should show,
//      WARN when a panel may legitimately be empty on a fresh stack
//
// Secrets (ingest token, Grafana password) are used, never printed.
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseSettings } from "../components/settings.js";
import { exitWithMessage, UsageError } from "../lib/cli.js";
import { parseDuration, type DurationSyntax } from "../lib/duration.js";
import { readStackSettings } from "../lib/stack-file.js";
import { OUTPUT_KEYS, parseClientEnv, readStackOutputs, StackOutputsError } from "../lib/stack-outputs.js";
import { exitCode, formatTable, maskSecrets, summary } from "../verify/report.js";
import { runVerify } from "../verify/run.js";
import { resolveTargets, type StackFacts, type VerifyFlags } from "../verify/targets.js";

const USAGE = `Usage:
  npm run verify -- --stack <stack> [options]
  npm run verify -- --grafana-url <url> --prometheus-url <url> --loki-url <url> --otlp-http <url> [options]

Where the stack is reached (flags override the stack outputs):
  --stack <name>            read URLs, token and Grafana credentials from \`pulumi stack output\`
  --grafana-url <url>       Grafana; --grafana-user <name>; the admin password comes from the stack
                            output, or GRAFANA_ADMIN_PASSWORD (which overrides it)
  --prometheus-url <url>    Prometheus (Kubernetes: e.g. after kubectl port-forward)
  --loki-url <url>          Loki (local stack: derived from the stack file's docker.ports.loki)
  --via-grafana             query Prometheus and Loki through Grafana's datasource proxy
                            (the default on the Kubernetes stack when no URL is given)
  --otlp-http <url>         OTLP/HTTP base URL;  --otlp-grpc <url>  OTLP/gRPC base URL
  --token-file <path>       ingest token (or --token <token>, or OTLP_INGEST_TOKEN)
  --protocol <p>            grpc | http/protobuf for the marked burst (default: the clients' protocol)

What is checked:
  --timeout <duration>      how long to wait for the marked data, e.g. 180s or 3m (default 3m)
  --skip-send               send nothing: health, ingest and panel checks only`;

/** Secrets known so far, masked in anything printed (including an unexpected error). */
let secrets: readonly string[] = [];

/** --timeout: one number, in seconds unless it says ms or m. */
const TIMEOUT_DURATION: DurationSyntax = { units: ["ms", "s", "m"], single: true, bareUnit: "s" };

function parseTimeout(text: string): number {
  const ms = parseDuration(text.trim(), TIMEOUT_DURATION);
  if (ms === undefined) throw new UsageError(`--timeout: not a duration: ${text} (e.g. 180s, 3m)`);
  return ms;
}

/** Loki's published port from Pulumi.<stack>.yaml in the working folder; undefined (said) when unreadable. */
function dockerLokiPort(stack: string, warn: (s: string) => void): number | undefined {
  const file = `Pulumi.${stack.split("/").pop()}.yaml`;
  if (!existsSync(file)) return undefined;
  try {
    const { raw, problems } = readStackSettings(file);
    return parseSettings(raw, stack, problems).docker.ports.loki;
  } catch (e) {
    warn(`Loki's port is not known from ${file}: ${(e as Error).message.split("\n").slice(0, 2).join(" ")}`);
    return undefined;
  }
}

async function stackFacts(stack: string, warn: (s: string) => void): Promise<StackFacts> {
  const outputs = await readStackOutputs(stack);
  let clientEnv: Record<string, string> | undefined;
  if (outputs[OUTPUT_KEYS.clientEnv] !== undefined) {
    try {
      clientEnv = parseClientEnv(outputs[OUTPUT_KEYS.clientEnv], `output '${OUTPUT_KEYS.clientEnv}'`);
    } catch (e) {
      warn(`ignoring output '${OUTPUT_KEYS.clientEnv}': ${(e as Error).message.split("\n")[0]}`);
    }
  }
  return { outputs, clientEnv, dockerLokiPort: outputs.target === "docker" ? dockerLokiPort(stack, warn) : undefined };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string" },
      "grafana-url": { type: "string" },
      "grafana-user": { type: "string" },
      "prometheus-url": { type: "string" },
      "loki-url": { type: "string" },
      "via-grafana": { type: "boolean", default: false },
      "otlp-http": { type: "string" },
      "otlp-grpc": { type: "string" },
      token: { type: "string" },
      "token-file": { type: "string" },
      protocol: { type: "string" },
      timeout: { type: "string", default: "3m" },
      "skip-send": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const protocol = values.protocol;
  if (protocol !== undefined && protocol !== "grpc" && protocol !== "http/protobuf") throw new UsageError("--protocol must be grpc or http/protobuf");
  const timeoutMs = parseTimeout(values.timeout);
  const tokenFromFile = values["token-file"] ? readFileSync(values["token-file"], "utf8").trim() || undefined : undefined;

  const flags: VerifyFlags = {
    stack: values.stack,
    grafanaUrl: values["grafana-url"],
    grafanaUser: values["grafana-user"],
    prometheusUrl: values["prometheus-url"],
    lokiUrl: values["loki-url"],
    otlpHttp: values["otlp-http"],
    otlpGrpc: values["otlp-grpc"],
    token: values.token ?? tokenFromFile,
    protocol,
    viaGrafana: values["via-grafana"],
  };
  if (!flags.stack && !flags.grafanaUrl && !flags.prometheusUrl && !flags.otlpHttp && !flags.otlpGrpc)
    throw new UsageError(`give --stack or the URLs\n\n${USAGE}`);

  const facts = flags.stack ? await stackFacts(flags.stack, (s) => process.stderr.write(`verify: ${s}\n`)) : undefined;
  const targets = resolveTargets(flags, facts, process.env);
  secrets = targets.secrets;
  const mask = (s: string) => maskSecrets(s, secrets);
  const where = flags.stack ? `stack '${flags.stack}'${targets.target ? ` (${targets.target})` : ""}` : "the given URLs";
  process.stderr.write(`verify: checking ${where}${targets.token ? " with the ingest token" : ""}\n`);

  const rows = await runVerify(targets, { send: !values["skip-send"], timeoutMs, progress: (line) => process.stderr.write(`verify: ${mask(line)}\n`) });
  process.stdout.write(`\n${formatTable(rows, targets.secrets)}\n\n${mask(summary(rows))}\n`);
  return exitCode(rows);
}

main(process.argv.slice(2)).then(
  // Exporters and keep-alive sockets may hold the event loop open: the work is done.
  (code) => process.exit(code),
  (e: unknown) => {
    const known = e instanceof UsageError || e instanceof StackOutputsError || (e as { code?: unknown }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION";
    exitWithMessage("verify", maskSecrets(known ? (e as Error).message : ((e as Error).stack ?? String(e)), secrets));
  },
);
