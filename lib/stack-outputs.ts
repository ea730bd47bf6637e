// Reads a deployed stack's outputs through the Pulumi CLI, for the command-line tools that run on a
// developer machine (install-settings, check-endpoint). Secrets are shown to this process only.
import { execFile } from "node:child_process";
import { generatedEnvSchema, formatIssues } from "../components/claude/claude-settings-schema.js";

/** Output names the stack exports and these tools read. */
export const OUTPUT_KEYS = {
  /** The client env block (object of strings, secret: it holds the ingest token). */
  clientEnv: "clientEnv",
  /** Base URL of the OTLP/gRPC ingest. */
  otlpGrpcEndpoint: "otlpGrpcEndpoint",
  /** Base URL of the OTLP/HTTP ingest. */
  otlpHttpEndpoint: "otlpHttpEndpoint",
} as const;

export class StackOutputsError extends Error {
  override name = "StackOutputsError";
}

/** Runs a command and resolves with its stdout; replaceable in tests. */
export type CommandRunner = (command: string, args: readonly string[]) => Promise<string>;

export const runCommand: CommandRunner = (command, args) =>
  new Promise((resolve, reject) => {
    execFile(command, [...args], { maxBuffer: 16 * 1024 * 1024, windowsHide: true }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        return reject(new StackOutputsError(`'${command}' was not found on PATH: install the Pulumi CLI, or pass the settings another way (see --help)`));
      }
      // stderr of `pulumi stack output` names the problem (no such stack, not logged in); it holds no secrets.
      reject(new StackOutputsError(`'${command} ${args.join(" ")}' failed: ${stderr.trim() || error.message}`));
    });
  });

/** All outputs of a stack, secrets in plain text (`pulumi stack output --json --show-secrets`). */
export async function readStackOutputs(stack: string, run: CommandRunner = runCommand): Promise<Record<string, unknown>> {
  if (!/^[A-Za-z0-9_./-]+$/.test(stack)) throw new StackOutputsError(`not a stack name: ${JSON.stringify(stack)}`);
  const stdout = await run("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new StackOutputsError(`pulumi printed something that is not JSON for stack '${stack}'`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new StackOutputsError(`stack '${stack}' outputs are not a JSON object`);
  return parsed as Record<string, unknown>;
}

/**
 * Checks an env block (from a stack output or a file) against the generated-settings schema.
 * Accepts the block itself, `{ env: {...} }` (a managed-settings.json), or a JSON string of either.
 */
export function parseClientEnv(value: unknown, source: string): Record<string, string> {
  let v = value;
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      throw new StackOutputsError(`${source}: not JSON`);
    }
  }
  if (v && typeof v === "object" && !Array.isArray(v) && "env" in v && typeof (v as { env: unknown }).env === "object") {
    v = (v as { env: unknown }).env;
  }
  const result = generatedEnvSchema.safeParse(v);
  if (!result.success) {
    throw new StackOutputsError(
      `${source}: not a valid Claude Code telemetry env block:\n${formatIssues(result.error)
        .map((p) => `  - ${p}`)
        .join("\n")}`,
    );
  }
  return result.data as Record<string, string>;
}

/** The stack's client env block (output `clientEnv`). */
export async function readClientEnv(stack: string, run: CommandRunner = runCommand): Promise<Record<string, string>> {
  const outputs = await readStackOutputs(stack, run);
  const value = outputs[OUTPUT_KEYS.clientEnv];
  if (value === undefined) {
    throw new StackOutputsError(
      `stack '${stack}' has no output '${OUTPUT_KEYS.clientEnv}' (deployed with 'pulumi up'? outputs: ${Object.keys(outputs).join(", ") || "none"})`,
    );
  }
  return parseClientEnv(value, `stack '${stack}' output '${OUTPUT_KEYS.clientEnv}'`);
}

/** A string output, or undefined when the stack does not export it. */
export function stringOutput(outputs: Record<string, unknown>, key: string): string | undefined {
  const v = outputs[key];
  return typeof v === "string" && v !== "" ? v : undefined;
}
