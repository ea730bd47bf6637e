// `grafana server` of the Grafana stand-in image: the Grafana stand-in (test/support/grafana-stand-in.ts),
// configured the way Grafana is: GF_PATHS_PROVISIONING, GF_SERVER_HTTP_PORT, data under GF_PATHS_DATA.
// The admin login follows Grafana's rule (grafana-db.ts): GF_SECURITY_ADMIN_USER and
// GF_SECURITY_ADMIN_PASSWORD(__FILE) make the admin only when the database is created; afterwards
// the database's password counts, checked at each request as Grafana does (so a CLI reset counts too).
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { startGrafanaStandIn } from "../../support/grafana-stand-in.js";
import { checkLogin, openDatabase, readDatabase, writeDatabase } from "./grafana-db.js";

/**
 * Every file under `dir` that this user may read, by absolute path. Grafana reads only the files its
 * provisioning names, so one it may not read (e.g. a secret meant for another step) stops nothing.
 */
function readTree(dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) readTree(p, out);
    else {
      try {
        out.set(p, readFileSync(p, "utf8"));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EACCES") throw e;
      }
    }
  }
  return out;
}

/** The admin password from the environment, read only when the database is created (as Grafana does). */
function adminPassword(env: NodeJS.ProcessEnv): string {
  const file = env.GF_SECURITY_ADMIN_PASSWORD__FILE;
  return file ? readFileSync(file, "utf8").replace(/\n+$/, "") : env.GF_SECURITY_ADMIN_PASSWORD || "admin";
}

export async function serve(env: NodeJS.ProcessEnv): Promise<void> {
  const dataDir = env.GF_PATHS_DATA || path.join(env.GF_PATHS_HOME || process.cwd(), "data");
  const db = openDatabase(dataDir, () => ({ login: env.GF_SECURITY_ADMIN_USER || "admin", password: adminPassword(env) }));
  // Grafana opens its database read-write at every start: an unwritable volume fails here too.
  writeDatabase(dataDir, { ...db, openedAt: new Date().toISOString() });
  const port = Number(env.GF_SERVER_HTTP_PORT ?? 3000);
  const provisioningDir = env.GF_PATHS_PROVISIONING ?? "/etc/grafana/provisioning";
  const files = readTree("/etc/grafana", readTree(provisioningDir));
  const login = { verify: (user: string, password: string) => checkLogin(readDatabase(dataDir), user, password) };
  const grafana = await startGrafanaStandIn(files, { login, provisioningDir, host: "0.0.0.0", port });
  process.stdout.write(`grafana stand-in: listening on :${port}\n`);
  process.on("SIGTERM", () => grafana.server.close(() => process.exit(0)));
}
