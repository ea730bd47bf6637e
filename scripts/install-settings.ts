// Switches Claude Code telemetry on for one developer without MDM: merges the stack's env block into
// ~/.claude/settings.json (backup first), or restores the newest backup.
//
//   npm run install-settings -- --stack local [--settings-file ~/.claude/settings.json] [--dry-run]
//   npm run install-settings -- --env-file managed-settings.json
//   npm run install-settings -- --rollback
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { installEnv, rollback, SettingsFileError } from "../lib/settings-file.js";
import { parseClientEnv, readClientEnv, StackOutputsError } from "../lib/stack-outputs.js";

const USAGE = `Usage:
  npm run install-settings -- --stack <stack> [--settings-file <path>] [--dry-run]
  npm run install-settings -- --env-file <json> [--settings-file <path>] [--dry-run]
  npm run install-settings -- [--stack <stack>] --rollback [--settings-file <path>] [--dry-run]

  --stack           read the env block from the stack output 'clientEnv' (needs the Pulumi CLI)
  --env-file        read it from a JSON file: the env object, or a managed-settings.json ({ "env": ... })
  --settings-file   the settings file to change (default ~/.claude/settings.json)
  --rollback        restore the newest backup (settings.json.backup.<YYYYMMDD-HHMMSS>)
  --dry-run         show what would change, write nothing`;

function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? join(homedir(), p.slice(1)) : p;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string" },
      "env-file": { type: "string" },
      "settings-file": { type: "string" },
      rollback: { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const file = resolve(expandHome(values["settings-file"] ?? join(homedir(), ".claude", "settings.json")));
  const dryRun = values["dry-run"];
  const prefix = dryRun ? "[dry run] " : "";

  if (values.rollback) {
    // --stack is accepted (and not needed): the backups belong to the settings file, not the stack.
    if (values["env-file"]) throw new SettingsFileError("--rollback takes no --env-file");
    const r = await rollback({ file, dryRun });
    console.log(`${prefix}${dryRun ? "would restore" : "restored"} ${r.file} from ${r.restored}`);
    if (r.savedCurrent) console.log(`the file as it was is kept at ${r.savedCurrent}`);
    if (r.written) console.log("restart running Claude Code sessions to apply it");
    return 0;
  }

  if (Boolean(values.stack) === Boolean(values["env-file"])) throw new SettingsFileError(`give exactly one of --stack or --env-file\n\n${USAGE}`);
  const env = values.stack
    ? await readClientEnv(values.stack)
    : parseClientEnv(await readFile(resolve(expandHome(values["env-file"]!)), "utf8"), values["env-file"]!);

  const r = await installEnv({ file, env, dryRun });
  console.log(`${prefix}${r.file}${r.created ? " (new file)" : ""}`);
  for (const line of r.lines) console.log(line);
  const { added, changed, unchanged } = r.changes;
  console.log(`${added.length} added, ${changed.length} changed, ${unchanged.length} unchanged`);
  if (r.backup) console.log(`backup: ${r.backup}`);
  if (r.written) console.log("restart running Claude Code sessions to apply it; undo with --rollback");
  else if (!dryRun) console.log("nothing to change");
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    // Expected failures (bad input, file system errors) get their message only, not a stack trace.
    const known = e instanceof SettingsFileError || e instanceof StackOutputsError || typeof (e as { code?: unknown }).code === "string";
    console.error(`install-settings: ${known ? (e as Error).message : ((e as Error).stack ?? String(e))}`);
    if ((e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) console.error(`\n${USAGE}`);
    process.exit(1);
  },
);
