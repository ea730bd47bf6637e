// Checks from a developer machine that the stack's OTLP ingest answers over HTTP and gRPC, and that
// it refuses requests without the token. Prints a verdict per check; exits 1 on any failure.
//
//   npm run check-endpoint -- --stack local
//   npm run check-endpoint -- --http-endpoint https://otel.example.com --grpc-endpoint https://otel.example.com --token-file token.txt
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { bearerTokenFromEnv } from "../components/claude/managed-settings.js";
import { exitWithMessage, UsageError } from "../lib/cli.js";
import { formatResults, hasFailures, runChecks, type TlsFiles } from "../lib/otlp-check.js";
import { OUTPUT_KEYS, parseClientEnv, readStackOutputs, stringOutput, StackOutputsError } from "../lib/stack-outputs.js";

const USAGE = `Usage:
  npm run check-endpoint -- --stack <stack>
  npm run check-endpoint -- [--http-endpoint <url>] [--grpc-endpoint <url>] [--token-file <path> | --token <token>]
                            [--ca-file <pem>] [--cert-file <pem> --key-file <pem>] [--timeout-ms <ms>]

  --stack        read endpoints, token and certificate paths from the stack outputs (needs the Pulumi CLI)
  --token-file   file holding the ingest token; --token works too but leaves it in the shell history
                 (the environment variable OTLP_INGEST_TOKEN is read when neither is given)`;

function readPem(path: string | undefined, what: string): string | undefined {
  if (!path) return undefined;
  if (!existsSync(path)) throw new UsageError(`${what} ${path} does not exist on this machine`);
  return readFileSync(path, "utf8");
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string" },
      "http-endpoint": { type: "string" },
      "grpc-endpoint": { type: "string" },
      token: { type: "string" },
      "token-file": { type: "string" },
      "ca-file": { type: "string" },
      "cert-file": { type: "string" },
      "key-file": { type: "string" },
      "timeout-ms": { type: "string", default: "5000" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const timeoutMs = Number(values["timeout-ms"]);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100) throw new UsageError("--timeout-ms must be a whole number of at least 100");

  let httpEndpoint = values["http-endpoint"];
  let grpcEndpoint = values["grpc-endpoint"];
  let token = values.token ?? (values["token-file"] ? readFileSync(values["token-file"], "utf8").trim() : undefined);
  let caFile = values["ca-file"];
  let certFile = values["cert-file"];
  let keyFile = values["key-file"];

  if (values.stack) {
    const outputs = await readStackOutputs(values.stack);
    const env = outputs[OUTPUT_KEYS.clientEnv] !== undefined ? parseClientEnv(outputs[OUTPUT_KEYS.clientEnv], `output '${OUTPUT_KEYS.clientEnv}'`) : {};
    const configured = env.OTEL_EXPORTER_OTLP_ENDPOINT;
    const grpc = env.OTEL_EXPORTER_OTLP_PROTOCOL === "grpc";
    httpEndpoint ??= stringOutput(outputs, OUTPUT_KEYS.otlpHttpEndpoint) ?? (!grpc ? configured : undefined);
    grpcEndpoint ??= stringOutput(outputs, OUTPUT_KEYS.otlpGrpcEndpoint) ?? (grpc ? configured : undefined);
    token ??= bearerTokenFromEnv(env);
    caFile ??= env.OTEL_EXPORTER_OTLP_CERTIFICATE ?? env.NODE_EXTRA_CA_CERTS;
    certFile ??= env.OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE ?? env.CLAUDE_CODE_CLIENT_CERT;
    keyFile ??= env.OTEL_EXPORTER_OTLP_CLIENT_KEY ?? env.CLAUDE_CODE_CLIENT_KEY;
  }
  token ??= process.env.OTLP_INGEST_TOKEN || undefined;
  if (!httpEndpoint && !grpcEndpoint) throw new UsageError(`give --stack, --http-endpoint or --grpc-endpoint\n\n${USAGE}`);
  if (Boolean(certFile) !== Boolean(keyFile)) throw new UsageError("--cert-file and --key-file go together");

  const tls: TlsFiles = { ca: readPem(caFile, "CA file"), cert: readPem(certFile, "client certificate"), key: readPem(keyFile, "client key") };
  console.log(`Checking the OTLP ingest${token ? " (with a token)" : " (no token)"}${tls.cert ? " with a client certificate" : ""}.`);
  console.log("gRPC is checked with real Export calls over HTTP/2, HTTP with empty OTLP/protobuf requests.\n");
  const results = await runChecks({ httpEndpoint, grpcEndpoint, token, tls, timeoutMs });
  console.log(formatResults(results, token ? [token] : []));
  return hasFailures(results) ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const known = e instanceof UsageError || e instanceof StackOutputsError || typeof (e as { code?: unknown }).code === "string";
    exitWithMessage("check-endpoint", known ? (e as Error).message : ((e as Error).stack ?? String(e)));
  },
);
