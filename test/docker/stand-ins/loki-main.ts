// Entry point of the Loki stand-in image (grafana/loki's user, paths and port; see images.ts): the
// Loki test double, started the way Loki starts: `-config.file=PATH`, listening on the config's
// http_listen_port, keeping its data under the config's path_prefix. Bundled by the Docker test.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { startLokiDouble } from "../../support/loki-double.js";

const arg = process.argv.slice(2).find((a) => a.startsWith("-config.file="));
if (!arg) {
  process.stderr.write("loki stand-in: -config.file=PATH is required\n");
  process.exit(1);
}
const file = arg.slice("-config.file=".length);
const text = readFileSync(file, "utf8");
const config = parse(text) as { server?: { http_listen_port?: number }; common?: { path_prefix?: string } };
const port = config.server?.http_listen_port ?? 3100;
const dataDir = config.common?.path_prefix ?? "/loki";
const loki = await startLokiDouble({ config: text, host: "0.0.0.0", port, dataDir });
process.stdout.write(`loki stand-in: listening on :${port}, config ${file}, data in ${dataDir} (${loki.entries().length} entries kept)\n`);
process.on("SIGTERM", () => void loki.stop().then(() => process.exit(0)));
