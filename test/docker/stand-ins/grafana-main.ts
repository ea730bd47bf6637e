// Entry point of the Grafana stand-in image (grafana/grafana's user, paths and port; see images.ts):
// the Grafana stand-in, configured the way Grafana is: GF_PATHS_PROVISIONING, GF_SERVER_HTTP_PORT,
// GF_SECURITY_ADMIN_USER and GF_SECURITY_ADMIN_PASSWORD(__FILE), data under GF_PATHS_DATA. It reads
// the provisioning files and dashboards from disk. Bundled by the Docker test.
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startGrafanaStandIn } from "../../support/grafana-stand-in.js";

/** Every file under `dir`, by absolute path. */
function readTree(dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) readTree(p, out);
    else out.set(p, readFileSync(p, "utf8"));
  }
  return out;
}

const env = process.env;
const password = env.GF_SECURITY_ADMIN_PASSWORD__FILE ? readFileSync(env.GF_SECURITY_ADMIN_PASSWORD__FILE, "utf8").trim() : (env.GF_SECURITY_ADMIN_PASSWORD ?? "admin");
const dataDir = env.GF_PATHS_DATA ?? "/var/lib/grafana";
// Grafana keeps its database on its volume: the stand-in writes there too, so an unwritable
// volume fails its start as it would fail Grafana's.
writeFileSync(path.join(dataDir, "stand-in.json"), JSON.stringify({ startedAt: new Date().toISOString() }));
const port = Number(env.GF_SERVER_HTTP_PORT ?? 3000);
const provisioningDir = env.GF_PATHS_PROVISIONING ?? "/etc/grafana/provisioning";
const files = readTree("/etc/grafana", readTree(provisioningDir));
const grafana = await startGrafanaStandIn(files, { login: { user: env.GF_SECURITY_ADMIN_USER ?? "admin", password }, provisioningDir, host: "0.0.0.0", port });
process.stdout.write(`grafana stand-in: listening on :${port}\n`);
process.on("SIGTERM", () => grafana.server.close(() => process.exit(0)));
