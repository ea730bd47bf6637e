// The Grafana stand-in's database, at Grafana's path $GF_PATHS_DATA/grafana.db (a JSON file here,
// where Grafana keeps SQLite): its users, each password as a salted hash. It follows Grafana's
// documented rule: the admin user and its password are taken from the settings only when the
// database is created; from then on the stored password counts and the settings are ignored.
import { pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface StoredUser {
  readonly id: number;
  readonly login: string;
  readonly isAdmin: boolean;
  salt: string;
  hash: string;
}

export interface Database {
  users: StoredUser[];
  /** When a server last opened it. */
  openedAt?: string;
}

/** A failure the stand-in reports the way Grafana's CLI does: a message and exit status 1. */
export class StandInError extends Error {}

export const databasePath = (dataDir: string) => path.join(dataDir, "grafana.db");

function hash(password: string, salt: string): string {
  return pbkdf2Sync(password, salt, 10_000, 32, "sha256").toString("hex");
}

function withPassword(user: Omit<StoredUser, "salt" | "hash">, password: string): StoredUser {
  const salt = randomBytes(8).toString("hex");
  return { ...user, salt, hash: hash(password, salt) };
}

export function readDatabase(dataDir: string): Database | undefined {
  const file = databasePath(dataDir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Database) : undefined;
}

/** Replaces the file in one step, so a reader never sees half of it. */
export function writeDatabase(dataDir: string, db: Database): void {
  const file = databasePath(dataDir);
  writeFileSync(`${file}.tmp`, JSON.stringify(db));
  renameSync(`${file}.tmp`, file);
}

/**
 * The database, created with the admin user (id 1) when it does not exist yet: `admin` is asked
 * for its login and password only then.
 */
export function openDatabase(dataDir: string, admin: () => { login: string; password: string }): Database {
  const existing = readDatabase(dataDir);
  if (existing) return existing;
  const { login, password } = admin();
  const db: Database = { users: [withPassword({ id: 1, login, isAdmin: true }, password)] };
  writeDatabase(dataDir, db);
  return db;
}

/** What `grafana cli admin reset-admin-password` does to the database. */
export function resetAdminPassword(db: Database, userId: number, password: string): void {
  if (password.length < 4) throw new StandInError("the new password is too short");
  const user = db.users.find((u) => u.id === userId);
  if (!user) throw new StandInError(`could not read the user with id ${userId} from the database: user not found`);
  if (!user.isAdmin) throw new StandInError("reset-admin-password resets an admin user's password only");
  const next = withPassword(user, password);
  user.salt = next.salt;
  user.hash = next.hash;
}

export function checkLogin(db: Database | undefined, login: string, password: string): boolean {
  const user = db?.users.find((u) => u.login === login);
  if (!user) return false;
  const [a, b] = [Buffer.from(hash(password, user.salt), "hex"), Buffer.from(user.hash, "hex")];
  return a.length === b.length && timingSafeEqual(a, b);
}
