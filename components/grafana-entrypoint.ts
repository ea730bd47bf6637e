// Grafana's container entrypoint: set the admin password from the stack's secret file, then start
// Grafana exactly as its image does.
//
// Why: Grafana applies GF_SECURITY_ADMIN_PASSWORD(__FILE) only when it creates its database, and the
// data volume outlives `pulumi destroy` on purpose. A new stack (a new generated password) on an
// old volume would otherwise keep the old password, and the stack output would not log in.
//
// How (facts of the grafana/grafana image, Alpine and Ubuntu variants):
//   - the image's ENTRYPOINT is /run.sh, which execs `grafana server`; its env sets GF_PATHS_HOME,
//     GF_PATHS_CONFIG and GF_PATHS_DATA, and PATH holds /usr/share/grafana/bin (`grafana`);
//   - the SQLite database is $GF_PATHS_DATA/grafana.db; when it does not exist yet, Grafana's own
//     first-start rule applies the password from the file, so nothing is done here;
//   - `grafana cli` reads GF_<SECTION>_<KEY> overrides (GF_PATHS_DATA) but not GF_PATHS_CONFIG or
//     GF_PATHS_HOME, so those are passed as --config / --homepath, as /run.sh does for the server;
//   - `reset-admin-password --password-from-stdin` reads the password as one line from stdin (never
//     in argv, the environment or a log) and sets it for user id 1, the admin Grafana creates first;
//     it fails when that user is missing or is not an admin.
// A failed reset does not stop Grafana: it starts with the password its database holds, and its
// log says so on one line, with what to do (`npm run verify` then reports a refused admin login).
// The distroless image variants have no shell: this entrypoint needs the default or -ubuntu ones.

/** The grafana/grafana image's own entrypoint, started once the password is set. */
export const GRAFANA_IMAGE_ENTRYPOINT = "/run.sh";

/** Marks the script's own log lines in Grafana's log. */
export const GRAFANA_ENTRYPOINT_LOG_PREFIX = "claude-code-telemetry:";

/** The shell script; `$@` (the service's args) is passed on to the image's entrypoint. */
export function grafanaStartScript(passwordFile: string): string {
  if (!/^\/[\w./-]+$/.test(passwordFile)) throw new Error(`not a plain absolute path: ${passwordFile}`);
  const p = GRAFANA_ENTRYPOINT_LOG_PREFIX;
  return [
    `file='${passwordFile}'`,
    `if [ -f "$GF_PATHS_DATA/grafana.db" ]; then`,
    `  if [ ! -r "$file" ]; then`,
    `    why="the file is not readable by this container's user"`,
    `  elif out=$(grafana cli --homepath "$GF_PATHS_HOME" --config "$GF_PATHS_CONFIG" admin reset-admin-password --password-from-stdin < "$file" 2>&1); then`,
    `    why=""`,
    `  else`,
    `    why="grafana cli: $(printf '%s\\n' "$out" | tail -n 1)"`,
    `  fi`,
    `  if [ -z "$why" ]; then`,
    `    echo "${p} Grafana admin password set from $file (the stack output grafanaAdminPassword)"`,
    `  else`,
    `    echo "${p} WARNING: the Grafana admin password could not be reset from $file ($why); Grafana keeps the password its database holds. Fix the cause and restart this container (README: Quick start, after a redeploy)" >&2`,
    `  fi`,
    `fi`,
    `exec ${GRAFANA_IMAGE_ENTRYPOINT} "$@"`,
  ].join("\n");
}

/** `/bin/sh -c <script> <$0>`: the service's args become the script's "$@". */
export function grafanaEntrypoint(passwordFile: string): string[] {
  return ["/bin/sh", "-c", grafanaStartScript(passwordFile), "grafana-entrypoint"];
}
