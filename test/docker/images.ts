// The four images the local stack pins, built here (there is no registry to pull from) and tagged
// with exactly the references in components/images.ts, in the test's own engine only. Each is laid
// out like its upstream image: entrypoint, default command, config and data paths, user id, and
// what its health check command needs.
//   collector   REAL: the otelcol that `npm run tools` built (the manifest's components, the
//               pinned release), at /otelcol-contrib, user 10001, config /etc/otelcol-contrib
//   prometheus  REAL: prometheus and promtool of the pinned release in /bin, busybox for the wget
//               of the health check (the upstream image is busybox-based), user nobody, data /prometheus
//   loki        STAND-IN: the Loki test double (test/support/loki-double.ts) on Node.js, user 10001,
//               data /loki, reading -config.file as Loki does
//   grafana     STAND-IN: the Grafana stand-in (test/support/grafana-stand-in.ts) on Node.js, user
//               472, data /var/lib/grafana, provisioning from /etc/grafana, busybox wget; laid out as
//               Grafana's image: ENTRYPOINT /run.sh, which execs `grafana server`, the `grafana`
//               executable in /usr/share/grafana/bin (on PATH, with `grafana cli`), the GF_PATHS_*
//               env, and Grafana's password rule (stand-ins/grafana-db.ts): the admin password from
//               the environment counts only when $GF_PATHS_DATA/grafana.db is created
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { IMAGES, type ServiceName } from "../../components/images.js";
import { PROJECT_ROOT, TOOL_VERSIONS, requireTool } from "../../lib/tools.js";
import { DOCKER_DIR, type Engine } from "./engine.js";
import { tar, type TarEntry } from "./tar.js";

/** Label on every image built here: what it is (a real build or a stand-in). */
export const IMAGE_LABEL = "io.claude-code-telemetry.test-image";
const PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const STAND_IN_DIR = "usr/share/claude-code-telemetry";

const dir = (p: string, mode = 0o755, uid = 0, gid = 0): TarEntry => ({ path: p, type: "dir", mode, uid, gid });
const file = (p: string, content: Buffer | string, mode = 0o644): TarEntry => ({ path: p, type: "file", content, mode });
const link = (p: string, target: string): TarEntry => ({ path: p, type: "symlink", target });

function mustTool(name: "otelcol" | "prometheus" | "promtool" | "alertmanager" | "amtool"): Buffer {
  return readFileSync(requireTool(name));
}

/** /etc/passwd and /etc/group with the image's users. */
function accounts(users: Array<[name: string, uid: number, gid: number, home: string]>): TarEntry[] {
  const all: Array<[string, number, number, string]> = [["root", 0, 0, "/root"], ...users];
  const groups = new Map<number, string>([[0, "root"]]);
  for (const [name, , gid] of users) if (!groups.has(gid)) groups.set(gid, name);
  return [
    dir("etc"),
    file("etc/passwd", all.map(([n, u, g, h]) => `${n}:x:${u}:${g}:${n}:${h}:/sbin/nologin\n`).join("")),
    file("etc/group", [...groups].map(([g, n]) => `${n}:x:${g}:\n`).join("")),
  ];
}

const BUSYBOX_CACHE = path.join(DOCKER_DIR, "busybox");
const BUSYBOX_BIN = path.join(BUSYBOX_CACHE, "root", "bin", "busybox");

/** Why the test images cannot be built here, or undefined when they can (Linux, and busybox cached or apt-get). */
export function cannotBuildImages(): string | undefined {
  if (process.platform !== "linux") return "the test images copy this machine's Node.js into them, which needs Linux";
  if (!existsSync(BUSYBOX_BIN) && !existsSync("/usr/bin/apt-get"))
    return "the test images need Debian's busybox-static, fetched with apt-get, which this machine lacks";
  return undefined;
}

/** Debian's static busybox (for `wget` and `sh`), downloaded once into the cache. */
function busybox(): Buffer {
  const cache = BUSYBOX_CACHE;
  const bin = BUSYBOX_BIN;
  if (!existsSync(bin)) {
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true });
    let r = spawnSync("apt-get", ["download", "busybox-static"], { cwd: cache, encoding: "utf8" });
    if (r.status !== 0) {
      spawnSync("apt-get", ["update", "-q"], { encoding: "utf8" });
      r = spawnSync("apt-get", ["download", "busybox-static"], { cwd: cache, encoding: "utf8" });
    }
    const deb = readdirSync(cache).find((f) => f.endsWith(".deb"));
    if (r.status !== 0 || !deb) throw new Error(`apt-get download busybox-static failed: ${(r.stderr || r.stdout).slice(-1000)}`);
    const x = spawnSync("dpkg", ["-x", deb, "root"], { cwd: cache, encoding: "utf8" });
    if (x.status !== 0 || !existsSync(bin)) throw new Error(`dpkg -x ${deb} failed: ${x.stderr}`);
  }
  return readFileSync(bin);
}

/** Busybox and the applets an image's commands call (the upstream images have them all). */
function busyboxEntries(applets = ["sh", "wget"]): TarEntry[] {
  return [dir("bin"), file("bin/busybox", busybox(), 0o755), ...applets.map((a) => link(`bin/${a}`, "busybox"))];
}

/** This machine's Node.js and the shared libraries it loads, at the same paths. */
function nodeRuntime(): TarEntry[] {
  const ldd = spawnSync("ldd", [process.execPath], { encoding: "utf8" });
  if (ldd.status !== 0) throw new Error(`ldd ${process.execPath} failed: ${ldd.stderr}`);
  const libs = [...ldd.stdout.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1] as string);
  const dirs = new Set<string>();
  const entries: TarEntry[] = [];
  for (const p of ["/usr/bin/node", ...libs]) {
    const parts = path.dirname(p).split("/").filter(Boolean);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
    entries.push(file(p.slice(1), readFileSync(p === "/usr/bin/node" ? process.execPath : realpathSync(p)), 0o755));
  }
  return [...[...dirs].sort().map((d) => dir(d)), ...entries, dir("tmp", 0o1777)];
}

/** One ES module with everything a stand-in's entry point imports. */
async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [path.join(PROJECT_ROOT, "test", "docker", "stand-ins", entry)],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    write: false,
    logLevel: "silent",
    // CommonJS dependencies call require(): give the ES module one.
    banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
  });
  return result.outputFiles[0]?.text ?? "";
}

interface ImageDef {
  entries: TarEntry[];
  /** Dockerfile instructions the import applies (USER, ENTRYPOINT, CMD, …). */
  changes: string[];
  what: string;
}

interface ImageConfig {
  /** Folder put in front of the PATH. */
  pathPrefix?: string;
  env?: string[];
  user: string;
  workdir?: string;
  volume?: string;
  entrypoint: string[];
  cmd?: string[];
  expose: number[];
}

/** The image config as the Dockerfile instructions an import applies. */
function instructions(c: ImageConfig): string[] {
  return [
    ...[c.pathPrefix ? PATH_ENV.replace("PATH=", `PATH=${c.pathPrefix}:`) : PATH_ENV, ...(c.env ?? [])].map((e) => `ENV ${e}`),
    `USER ${c.user}`,
    ...(c.workdir ? [`WORKDIR ${c.workdir}`] : []),
    ...(c.volume ? [`VOLUME ${JSON.stringify([c.volume])}`] : []),
    `ENTRYPOINT ${JSON.stringify(c.entrypoint)}`,
    ...(c.cmd ? [`CMD ${JSON.stringify(c.cmd)}`] : []),
    `EXPOSE ${c.expose.join(" ")}`,
  ];
}

async function definitions(): Promise<Record<ServiceName, ImageDef>> {
  const [lokiJs, grafanaJs] = await Promise.all([bundle("loki-main.ts"), bundle("grafana-main.ts")]);
  const node = nodeRuntime();
  return {
    collector: {
      what: `real: otelcol ${TOOL_VERSIONS.otelcol} from tools/otelcol-builder.yaml`,
      entries: [file("otelcol-contrib", mustTool("otelcol"), 0o755), dir("etc"), dir("etc/otelcol-contrib")],
      changes: instructions({ user: "10001", entrypoint: ["/otelcol-contrib"], cmd: ["--config", "/etc/otelcol-contrib/config.yaml"], expose: [4317, 4318] }),
    },
    prometheus: {
      what: `real: prometheus and promtool ${TOOL_VERSIONS.prometheus}, busybox`,
      entries: [
        ...busyboxEntries(),
        file("bin/prometheus", mustTool("prometheus"), 0o755),
        file("bin/promtool", mustTool("promtool"), 0o755),
        ...accounts([["nobody", 65534, 65534, "/home"]]),
        dir("etc/prometheus"),
        dir("prometheus", 0o755, 65534, 65534),
      ],
      changes: instructions({
        user: "nobody",
        workdir: "/prometheus",
        volume: "/prometheus",
        entrypoint: ["/bin/prometheus"],
        cmd: ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"],
        expose: [9090],
      }),
    },
    alertmanager: {
      what: `real: alertmanager and amtool ${TOOL_VERSIONS.alertmanager} (API only, no web UI), busybox`,
      entries: [
        ...busyboxEntries(),
        file("bin/alertmanager", mustTool("alertmanager"), 0o755),
        file("bin/amtool", mustTool("amtool"), 0o755),
        ...accounts([["nobody", 65534, 65534, "/home"]]),
        dir("etc/alertmanager"),
        dir("alertmanager", 0o755, 65534, 65534),
      ],
      changes: instructions({
        user: "nobody",
        workdir: "/alertmanager",
        volume: "/alertmanager",
        entrypoint: ["/bin/alertmanager"],
        cmd: ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"],
        expose: [9093],
      }),
    },
    loki: {
      what: "stand-in: the Loki test double on Node.js",
      entries: [
        ...node,
        ...accounts([["loki", 10001, 10001, "/loki"]]),
        dir("usr/share"),
        dir(STAND_IN_DIR),
        file(`${STAND_IN_DIR}/loki.mjs`, lokiJs),
        dir("etc/loki"),
        dir("loki", 0o755, 10001, 10001),
      ],
      changes: instructions({
        user: "10001",
        entrypoint: ["/usr/bin/node", `/${STAND_IN_DIR}/loki.mjs`],
        cmd: ["-config.file=/etc/loki/local-config.yaml"],
        expose: [3100],
      }),
    },
    grafana: {
      what: "stand-in: the Grafana stand-in on Node.js (server, CLI password reset, Grafana's first-start password rule), busybox",
      entries: [
        ...node,
        ...busyboxEntries(["sh", "wget", "tail"]),
        ...accounts([["grafana", 472, 0, "/usr/share/grafana"]]),
        dir("usr/share"),
        dir(STAND_IN_DIR),
        file(`${STAND_IN_DIR}/grafana.mjs`, grafanaJs),
        file("run.sh", `#!/bin/sh\nexec grafana server --homepath="$GF_PATHS_HOME" --config="$GF_PATHS_CONFIG" "$@"\n`, 0o755),
        dir("usr/share/grafana"),
        dir("usr/share/grafana/bin"),
        file("usr/share/grafana/bin/grafana", `#!/bin/sh\nexec /usr/bin/node /${STAND_IN_DIR}/grafana.mjs "$@"\n`, 0o755),
        dir("usr/share/grafana/conf"),
        file("usr/share/grafana/conf/defaults.ini", "; the Grafana stand-in's home path marker (its CLI requires this file, as Grafana's does)\n"),
        dir("etc/grafana"),
        file("etc/grafana/grafana.ini", "; the Grafana stand-in reads no settings from this file\n"),
        dir("var"),
        dir("var/lib"),
        dir("var/lib/grafana", 0o755, 472, 0),
        dir("var/log"),
        dir("var/log/grafana", 0o755, 472, 0),
      ],
      changes: instructions({
        pathPrefix: "/usr/share/grafana/bin",
        env: [
          "GF_PATHS_CONFIG=/etc/grafana/grafana.ini",
          "GF_PATHS_DATA=/var/lib/grafana",
          "GF_PATHS_HOME=/usr/share/grafana",
          "GF_PATHS_LOGS=/var/log/grafana",
          "GF_PATHS_PLUGINS=/var/lib/grafana/plugins",
          "GF_PATHS_PROVISIONING=/etc/grafana/provisioning",
        ],
        user: "472",
        workdir: "/usr/share/grafana",
        entrypoint: ["/run.sh"],
        expose: [3000],
      }),
    },
  };
}

/** Parent folders first, each once: the archive must create a path before what is in it. */
function ordered(entries: TarEntry[]): TarEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => (seen.has(e.path) ? false : (seen.add(e.path), true)));
}

/** Imports every image under its pinned reference; returns what each one is. */
export async function buildImages(engine: Engine, log: (line: string) => void = () => {}): Promise<Record<ServiceName, string>> {
  const defs = await definitions();
  const built = {} as Record<ServiceName, string>;
  for (const [service, def] of Object.entries(defs) as [ServiceName, ImageDef][]) {
    const ref = IMAGES[service];
    const colon = ref.lastIndexOf(":");
    const params = new URLSearchParams({ fromSrc: "-", repo: ref.slice(0, colon), tag: ref.slice(colon + 1) });
    for (const c of [...def.changes, `LABEL ${IMAGE_LABEL}="${def.what}"`]) params.append("changes", c);
    const started = Date.now();
    await engine.api("POST", `/images/create?${params}`, undefined, { raw: tar(ordered(def.entries)), contentType: "application/x-tar", timeoutMs: 300_000 });
    log(`image ${ref} (${def.what}) built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    built[service] = def.what;
  }
  return built;
}
