// `grafana cli` of the Grafana stand-in image: the global options Grafana's CLI takes, and the one
// command the stack uses, `admin reset-admin-password [--password-from-stdin] [--user-id N] [<password>]`.
// As Grafana's CLI: the home path is --homepath or the working directory and must hold
// conf/defaults.ini; --config must be readable when given; the data path is GF_PATHS_DATA (a
// GF_<SECTION>_<KEY> override) or <home>/data; a missing database is created with the admin from
// the environment (GF_SECURITY_ADMIN_PASSWORD, else "admin": the CLI knows no __FILE variables,
// those are the image's /run.sh's); an unknown option, a missing user or a short password fail
// with a message and exit status 1.
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { openDatabase, resetAdminPassword, StandInError, writeDatabase } from "./grafana-db.js";

type Flags = Record<string, string | boolean>;

const GLOBAL_STRING = ["config", "homepath", "configOverrides", "pluginsDir", "repo", "pluginUrl"];
const GLOBAL_BOOL = ["debug", "d", "insecure", "version", "v"];

/** Options until the first word that is not one; `-x`, `--x`, `--x=v` and `--x v` all count. */
function parseFlags(args: string[], strings: string[], bools: string[]): { flags: Flags; rest: string[] } {
  const flags: Flags = {};
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--") return { flags, rest: args.slice(i + 1) };
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(a);
    if (!m || a === "-") break;
    const [, name, value] = m as unknown as [string, string, string | undefined];
    if (bools.includes(name)) flags[name] = value === undefined ? true : value === "true";
    else if (strings.includes(name)) {
      const v = value ?? args[++i];
      if (v === undefined) throw new StandInError(`flag needs an argument: -${name}`);
      flags[name] = v;
    } else throw new StandInError(`flag provided but not defined: -${name}`);
  }
  return { flags, rest: args.slice(i) };
}

function homePath(flags: Flags, cwd: string): string {
  const home = typeof flags.homepath === "string" ? flags.homepath : cwd;
  if (!existsSync(path.join(home, "conf", "defaults.ini"))) {
    throw new StandInError(`no conf/defaults.ini under the home path ${home}: give --homepath or start in the home path`);
  }
  return home;
}

function checkConfig(flags: Flags): void {
  if (typeof flags.config !== "string") return;
  try {
    accessSync(flags.config, constants.R_OK);
  } catch {
    throw new StandInError(`failed to read the config file ${flags.config}`);
  }
}

export interface CliIo {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** All of stdin. */
  stdin: () => string;
  out: (line: string) => void;
}

function resetAdminPasswordCommand(global: Flags, args: string[], io: CliIo): void {
  const { flags, rest } = parseFlags(args, ["user-id"], ["password-from-stdin"]);
  const home = homePath(global, io.cwd);
  checkConfig(global);
  let password: string;
  if (flags["password-from-stdin"] === true) {
    io.out("New Password: ");
    const text = io.stdin();
    if (text === "") throw new StandInError("cannot read the password from stdin");
    password = text.split("\n")[0]!.replace(/\r$/, "");
  } else password = rest[0] ?? "";
  const userId = flags["user-id"] === undefined ? 1 : Number(flags["user-id"]);
  if (!Number.isInteger(userId)) throw new StandInError(`invalid value for --user-id: ${String(flags["user-id"])}`);
  const dataDir = io.env.GF_PATHS_DATA || path.join(home, "data");
  const db = openDatabase(dataDir, () => ({ login: io.env.GF_SECURITY_ADMIN_USER || "admin", password: io.env.GF_SECURITY_ADMIN_PASSWORD || "admin" }));
  resetAdminPassword(db, userId, password);
  writeDatabase(dataDir, db);
  io.out("admin password changed");
}

/** Runs `grafana cli <args>`; returns the exit status. */
export function runCli(args: string[], io: CliIo): number {
  try {
    const { flags, rest } = parseFlags(args, GLOBAL_STRING, GLOBAL_BOOL);
    const [group, command, ...more] = rest;
    if (group === "admin" && command === "reset-admin-password") resetAdminPasswordCommand(flags, more, io);
    else throw new StandInError(`the Grafana stand-in's CLI knows only "admin reset-admin-password", not "${rest.join(" ")}"`);
    return 0;
  } catch (e) {
    if (!(e instanceof StandInError)) throw e;
    io.out(`Error: ${e.message}`);
    return 1;
  }
}

/** stdin as Grafana's CLI reads it (a file or a pipe). */
export const readStdin = () => readFileSync(0, "utf8");
