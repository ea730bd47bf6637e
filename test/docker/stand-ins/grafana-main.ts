// Entry point of the Grafana stand-in image's `grafana` executable (grafana/grafana's user, paths,
// port and commands; see images.ts): `grafana server` (grafana-server.ts) and `grafana cli`
// (grafana-cli.ts), which the image's /run.sh and Grafana's own container entrypoint call. Bundled
// by the Docker test.
import { readStdin, runCli } from "./grafana-cli.js";
import { serve } from "./grafana-server.js";

const [command, ...args] = process.argv.slice(2);
if (command === "server") {
  await serve(process.env);
} else if (command === "cli") {
  process.exitCode = runCli(args, { env: process.env, cwd: process.cwd(), stdin: readStdin, out: (line) => process.stdout.write(`${line}\n`) });
} else {
  process.stderr.write(`grafana stand-in: '${command ?? ""}' is not a command (server, cli)\n`);
  process.exitCode = 1;
}
