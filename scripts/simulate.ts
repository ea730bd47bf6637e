// `npm run simulate -- --endpoint URL …`: sends synthetic Claude Code telemetry for many simulated
// developers over OTLP, live over a duration or as one burst. Run with --help for the flags.
import { readFileSync } from "node:fs";
import { exitWithMessage, helpHint, UsageError } from "../lib/cli.js";
import { parseSimulateArgs, USAGE, type SimulateCommand } from "../simulator/cli-args.js";
import { buildModel, emitBurst, emitLive, expectedTotals, otlpExporters, type EmitStats, type OtlpTarget } from "../simulator/index.js";

function fail(message: string, code: number): never {
  return exitWithMessage("simulate", message, code);
}

function parse(): SimulateCommand {
  try {
    return parseSimulateArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) fail(`${e.message}\n${helpHint("simulate")}`, 2);
    throw e;
  }
}

function withToken(cmd: SimulateCommand): OtlpTarget {
  if (!cmd.target) fail("--endpoint is required", 2);
  if (!cmd.tokenFile) return cmd.target;
  let token: string;
  try {
    token = readFileSync(cmd.tokenFile, "utf8").trim();
  } catch (e) {
    fail(`cannot read --token-file ${cmd.tokenFile}: ${(e as NodeJS.ErrnoException).code ?? "error"}`, 2);
  }
  if (token === "") fail(`--token-file ${cmd.tokenFile} is empty`, 2);
  return { ...cmd.target, token };
}

function progressLine(s: EmitStats): string {
  const error = s.exportErrors > 0 ? ` (last: ${s.lastError ?? "unknown"})` : "";
  return (
    `sessions ${s.sessionsStarted}/${s.sessionsTotal} started, ${s.sessionsFinished} done | ` +
    `${s.metricPoints} metric points, ${s.events} events sent | ${s.exportErrors} export errors${error}`
  );
}

/** Redraws one line on a terminal; prints a line every few seconds otherwise (CI logs). */
function progressReporter(): { update: (s: EmitStats) => void; done: (s: EmitStats) => void } {
  const tty = process.stderr.isTTY;
  let last = 0;
  return {
    update: (s) => {
      const now = Date.now();
      if (now - last < (tty ? 200 : 5000)) return;
      last = now;
      process.stderr.write(tty ? `\r\x1b[2K${progressLine(s)}` : `${progressLine(s)}\n`);
    },
    done: (s) => process.stderr.write(tty ? `\r\x1b[2K${progressLine(s)}\n` : `${progressLine(s)}\n`),
  };
}

async function main(): Promise<void> {
  const cmd = parse();
  if (cmd.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const now = Date.now();
  // Live sessions happen from now on; a burst describes the window that just ended.
  const startTimeMs = cmd.mode === "live" ? now : now - cmd.model.durationMs;
  let model;
  try {
    model = buildModel({ ...cmd.model, startTimeMs });
  } catch (e) {
    fail((e as Error).message, 2);
  }
  const expected = expectedTotals(model);
  if (cmd.dryRun) {
    process.stdout.write(`${JSON.stringify({ seed: model.options.seed, expected }, null, 2)}\n`);
    return;
  }

  const target = withToken(cmd);
  const factory = otlpExporters(target);
  const progress = progressReporter();
  process.stderr.write(
    `simulate: ${cmd.mode} run of ${model.sessions.length} sessions from ${model.people.length} people to ${target.endpoint} ` +
      `(${target.protocol}, ${target.temporality}${target.token ? ", bearer token" : ""}${model.options.marker ? `, marker ${model.options.marker}` : ""})\n`,
  );

  const abort = new AbortController();
  const stop = () => {
    process.stderr.write("\nsimulate: stopping, flushing open sessions…\n");
    abort.abort();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);

  const stats =
    cmd.mode === "burst"
      ? await emitBurst(model, factory, { concurrency: cmd.concurrency, onProgress: progress.update })
      : await emitLive(model, factory, {
          metricIntervalMs: cmd.metricIntervalMs,
          logIntervalMs: cmd.logIntervalMs,
          signal: abort.signal,
          onProgress: progress.update,
        });
  progress.done(stats);

  if (cmd.json) {
    const summary = {
      endpoint: target.endpoint,
      protocol: target.protocol,
      temporality: target.temporality,
      mode: cmd.mode,
      seed: model.options.seed,
      marker: model.options.marker ?? null,
      startTimeMs,
      completed: !abort.signal.aborted,
      sent: stats,
      expected,
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  }
  if (stats.exportErrors > 0) fail(`${stats.exportErrors} exports failed (last error: ${stats.lastError ?? "unknown"})`, 1);
  // Exporters may keep idle connections open; the work is done.
  process.exit(0);
}

await main();
