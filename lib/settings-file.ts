// Safely merges the telemetry env block into a developer's Claude Code settings file, and undoes it.
// Rules: a file that is not valid JSON is never touched; a timestamped backup comes first; the new
// file is validated, written to a temp file in the same folder and renamed over the old one, with
// the old file's permission bits (and owner, when run as root); symlinked files are followed.
import { randomBytes } from "node:crypto";
import { chmod, chown, mkdir, open, readdir, readFile, realpath, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { TELEMETRY_ENV_KEYS, formatIssues, userSettingsSchema } from "../components/claude/claude-settings-schema.js";
import { formatSettingsJson, maskEnvValue } from "../components/claude/managed-settings.js";

export class SettingsFileError extends Error {
  override name = "SettingsFileError";
}

export interface EnvChanges {
  added: string[];
  changed: string[];
  unchanged: string[];
  /** Telemetry keys already in the file that the new block does not set (left as they are). */
  stale: string[];
}

type Json = Record<string, unknown>;

/** `YYYYMMDD-HHMMSS` in local time, the backup suffix. */
export function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

const BACKUP_RE = /^\.backup\.(\d{8}-\d{6})(?:-(\d+))?$/;

export function diffEnv(oldEnv: Readonly<Record<string, unknown>>, newEnv: Readonly<Record<string, string>>): EnvChanges {
  const changes: EnvChanges = { added: [], changed: [], unchanged: [], stale: [] };
  for (const [k, v] of Object.entries(newEnv)) {
    if (!(k in oldEnv)) changes.added.push(k);
    else if (oldEnv[k] !== v) changes.changed.push(k);
    else changes.unchanged.push(k);
  }
  changes.stale = TELEMETRY_ENV_KEYS.filter((k) => k in oldEnv && !(k in newEnv));
  return changes;
}

/** The settings with the env block merged in key by key; every other key kept, in its place. */
export function mergeEnv(settings: Json, env: Readonly<Record<string, string>>): Json {
  const oldEnv = settings.env;
  if (oldEnv !== undefined && (oldEnv === null || typeof oldEnv !== "object" || Array.isArray(oldEnv))) {
    throw new SettingsFileError("its 'env' is not an object: fix it by hand first");
  }
  return { ...settings, env: { ...(oldEnv as Json | undefined), ...env } };
}

/** Human-readable change list; header values (the ingest token) are masked. */
export function describeChanges(changes: EnvChanges, oldEnv: Readonly<Record<string, unknown>>, newEnv: Readonly<Record<string, string>>): string[] {
  const show = (k: string, v: unknown) => (typeof v === "string" ? maskEnvValue(k, v, "****") : JSON.stringify(v));
  return [
    ...changes.added.map((k) => `  + ${k}=${show(k, newEnv[k])}`),
    ...changes.changed.map((k) => {
      const [from, to] = [show(k, oldEnv[k]), show(k, newEnv[k])];
      return `  ~ ${k}: ${from} -> ${to}${from === to ? " (masked value changed)" : ""}`;
    }),
    ...changes.unchanged.map((k) => `  = ${k} (unchanged)`),
    ...changes.stale.map((k) => `  ! ${k} is set in the file but not by this stack: left as is (remove it if an earlier install put it there)`),
  ];
}

interface Existing {
  path: string;
  text: string | undefined;
  mode: number;
  uid?: number;
  gid?: number;
}

/** The file behind `file` (symlinks followed), its text and mode; text undefined when it does not exist. */
async function readExisting(file: string): Promise<Existing> {
  let path: string;
  try {
    path = await realpath(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    return { path: file, text: undefined, mode: 0o600 };
  }
  const st = await stat(path);
  if (!st.isFile()) throw new SettingsFileError(`${file} is not a regular file`);
  return { path, text: await readFile(path, "utf8"), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

function parseSettings(text: string, file: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SettingsFileError(`${file} is not valid JSON (${(e as Error).message}); nothing was changed: fix or move the file, then run again`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new SettingsFileError(`${file} does not hold a JSON object; nothing was changed`);
  }
  return parsed as Json;
}

/** Writes `text` next to `target` and renames it over the target: readers see the old or the new file. */
export async function writeAtomic(target: string, text: string, mode: number, owner?: Owner): Promise<void> {
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  await createFile(tmp, text, mode, owner);
  try {
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

type Owner = { uid?: number; gid?: number };

/** Creates `path` (it must not exist yet), writes and flushes `text`, then sets the mode (the umask may have narrowed it) and, as root, the owner. */
async function createFile(path: string, text: string, mode: number, owner?: Owner): Promise<void> {
  const fh = await open(path, "wx", mode);
  try {
    await fh.writeFile(text, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await chmod(path, mode);
    if (process.getuid?.() === 0 && owner?.uid !== undefined && owner.gid !== undefined) await chown(path, owner.uid, owner.gid);
  } catch (e) {
    await unlink(path).catch(() => undefined);
    throw e;
  }
}

/** Writes a new file that must not exist yet; `-1`, `-2`… are appended on a name clash. */
async function writeNew(path: string, text: string, mode: number, owner?: Owner): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const candidate = i === 0 ? path : `${path}-${i}`;
    try {
      await createFile(candidate, text, mode, owner);
      return candidate;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  throw new SettingsFileError(`could not find a free backup name for ${path}`);
}

export interface InstallResult {
  file: string;
  created: boolean;
  written: boolean;
  backup?: string;
  changes: EnvChanges;
  lines: string[];
}

/** Merges `env` into the settings file; writes nothing when `dryRun` or when nothing changes. */
export async function installEnv(opts: { file: string; env: Readonly<Record<string, string>>; dryRun?: boolean; now?: Date }): Promise<InstallResult> {
  const existing = await readExisting(opts.file);
  const settings = existing.text === undefined ? {} : parseSettings(existing.text, opts.file);
  const merged = mergeEnv(settings, opts.env);
  const check = userSettingsSchema.safeParse(merged);
  if (!check.success) {
    throw new SettingsFileError(
      `the merged settings would not be valid; nothing was changed:\n${formatIssues(check.error)
        .map((p) => `  - ${p}`)
        .join("\n")}`,
    );
  }
  const text = formatSettingsJson(merged);
  JSON.parse(text); // the exact bytes about to be written must parse back
  const oldEnv = (settings.env as Json | undefined) ?? {};
  const changes = diffEnv(oldEnv, opts.env);
  const lines = describeChanges(changes, oldEnv, opts.env);
  const result: InstallResult = { file: existing.path, created: existing.text === undefined, written: false, changes, lines };
  if (opts.dryRun || (changes.added.length === 0 && changes.changed.length === 0)) return result;

  await mkdir(dirname(existing.path), { recursive: true, mode: 0o700 });
  // A missing file is backed up as an empty settings object, so --rollback can undo the install too.
  const backupText = existing.text ?? "{}\n";
  result.backup = await writeNew(`${existing.path}.backup.${timestamp(opts.now ?? new Date())}`, backupText, existing.mode, existing);
  await writeAtomic(existing.path, text, existing.mode, existing);
  result.written = true;
  return result;
}

/** Backups of `file`, oldest first. */
export async function listBackups(file: string): Promise<string[]> {
  const dir = dirname(file);
  const base = basename(file);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  return names
    .filter((n) => n.startsWith(base) && BACKUP_RE.test(n.slice(base.length)))
    .map((n) => {
      const m = BACKUP_RE.exec(n.slice(base.length))!;
      return { n, key: `${m[1]}.${(m[2] ?? "0").padStart(6, "0")}` };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((x) => join(dir, x.n));
}

export interface RollbackResult {
  file: string;
  restored: string;
  /** Where the file as it was before the rollback was kept. */
  savedCurrent?: string;
  written: boolean;
}

/** Restores the newest backup (and uses it up, so the next rollback steps back one more). */
export async function rollback(opts: { file: string; dryRun?: boolean; now?: Date }): Promise<RollbackResult> {
  let file = opts.file;
  try {
    file = await realpath(opts.file);
  } catch {
    // the file may have been removed since; restore next to the given path
  }
  const backups = await listBackups(file);
  const newest = backups.at(-1);
  if (!newest) throw new SettingsFileError(`no backup of ${opts.file} found (${basename(file)}.backup.<YYYYMMDD-HHMMSS>)`);
  parseSettings(await readFile(newest, "utf8"), newest);
  const result: RollbackResult = { file, restored: newest, written: false };
  if (opts.dryRun) return result;
  const current = await readExisting(file);
  if (current.text !== undefined) {
    result.savedCurrent = await writeNew(`${file}.before-rollback.${timestamp(opts.now ?? new Date())}`, current.text, current.mode, current);
  }
  await rename(newest, file);
  result.written = true;
  return result;
}
