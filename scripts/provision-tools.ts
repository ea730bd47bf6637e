// `npm run tools`: builds the real OpenTelemetry Collector, Prometheus, promtool, Alertmanager, amtool and
// actionlint that the tests and the benchmark run, from their Go modules, at the releases pinned in
// components/images.ts:
//   - otelcol: the OpenTelemetry Collector Builder (ocb) of the pinned release, run on the committed
//     manifest tools/otelcol-builder.yaml (exactly the components the stack's configs use);
//   - prometheus and promtool: `go build` of the Go module github.com/prometheus/prometheus at the
//     pinned version (Prometheus 3.MM.P is module version v0.3MM.P), stamped with that version;
//   - alertmanager and amtool: `go build` of the Go module github.com/prometheus/alertmanager at the
//     pinned version, stamped with that version, with a placeholder page for the web UI (API only);
//   - actionlint: `go install` of github.com/rhysd/actionlint at ACTIONLINT_VERSION, the linter of
//     the GitOps workflow examples.
// Builds land in the project's cache (TOOLS_DIR, default .cache/tools), one folder per version, and
// are reused afterwards. The Go module and build caches are Go's own (GOMODCACHE, GOCACHE).
//
//   npm run tools              build what is missing, reuse the rest
//   npm run tools -- --force   build again
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { parse, stringify } from "yaml";
import { prometheusModuleVersion } from "../components/images.js";
import {
  BUILDER_MANIFEST,
  MIN_GO,
  PROMETHEUS_BUILD_TAGS,
  TOOL_VERSIONS,
  manifestHash,
  toolBinary,
  toolBuildDir,
  toolsDir,
  type ToolName,
} from "../lib/tools.js";

const PROMETHEUS_MODULE = "github.com/prometheus/prometheus";
const ALERTMANAGER_MODULE = "github.com/prometheus/alertmanager";
const BUILDER_MODULE = "go.opentelemetry.io/collector/cmd/builder";
const ACTIONLINT_MODULE = "github.com/rhysd/actionlint/cmd/actionlint";

class ProvisionError extends Error {}

function say(line: string): void {
  process.stderr.write(`provision-tools: ${line}\n`);
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; the output is kept for the error message. */
function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr = (stderr + c.toString("utf8")).slice(-20_000)));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function mustRun(what: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new ProvisionError(`${what} failed (exit code ${r.code}):\n${(r.stderr || r.stdout).trim().slice(-4000)}`);
  return r;
}

/** Go's environment for every build: never switch toolchains behind the user's back. */
const GO_ENV: NodeJS.ProcessEnv = {
  GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? "local",
  GOWORK: "off",
  CGO_ENABLED: "0",
};

async function checkGo(): Promise<string> {
  let r: Run;
  try {
    r = await run("go", ["env", "GOVERSION"], { env: GO_ENV });
  } catch {
    throw new ProvisionError(
      `Go ${MIN_GO.join(".")} or newer is needed to build the collector and Prometheus the tests run, and \`go\` is not on PATH.\n` +
        "Install Go (your package manager or the Go project's downloads), then run `npm run tools` again.",
    );
  }
  const m = /go(\d+)\.(\d+)/.exec(r.stdout);
  if (r.code !== 0 || !m) throw new ProvisionError(`\`go env GOVERSION\` did not answer with a version:\n${r.stderr || r.stdout}`);
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major < MIN_GO[0] || (major === MIN_GO[0] && minor < MIN_GO[1])) {
    throw new ProvisionError(`Go ${MIN_GO.join(".")} or newer is needed (Prometheus ${TOOL_VERSIONS.prometheus} requires it); found ${r.stdout.trim()}.`);
  }
  return r.stdout.trim();
}

/** Fails unless `bin --version` names `version`. */
async function checkReports(name: ToolName, bin: string, version: string): Promise<void> {
  const r = await run(bin, ["--version"]);
  const text = `${r.stdout}${r.stderr}`;
  // The Prometheus projects' tools (prometheus, promtool, alertmanager, amtool) print
  // "<name>, version X.Y.Z (branch: …)"; otelcol "otelcol version X.Y.Z"; actionlint "vX.Y.Z" on a line.
  const pattern = name === "otelcol" ? `version ${version}` : name === "actionlint" ? `v${version}\n` : `${name}, version ${version} `;
  if (r.code !== 0 || !text.includes(pattern)) {
    throw new ProvisionError(`${bin} --version should report ${version} but printed: ${text.trim().split("\n")[0] ?? "(nothing)"}`);
  }
}

/** Builds into a scratch folder beside `dir`, then moves it into place in one rename. */
async function buildInto(dir: string, build: (scratch: string) => Promise<void>): Promise<void> {
  const scratch = `${dir}.building-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    await build(scratch);
    rmSync(dir, { recursive: true, force: true });
    renameSync(scratch, dir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Downloads a Go module at a version; returns its (read-only) source folder. */
async function moduleSource(module: string, version: string, scratch: string): Promise<string> {
  const dl = await mustRun(`go mod download ${module}@${version}`, "go", ["mod", "download", "-json", `${module}@${version}`], { cwd: scratch, env: GO_ENV });
  const source = (JSON.parse(dl.stdout) as { Dir?: string }).Dir;
  if (!source) throw new ProvisionError(`go mod download named no folder for ${module}@${version}`);
  return source;
}

/** The version variables the Prometheus projects' release builds set, so `--version` names the release. */
function versionLdflags(version: string, branch: string): string {
  const stamp = (k: string, v: string) => `-X github.com/prometheus/common/version.${k}=${v}`;
  return ["-s", "-w", stamp("Version", version), stamp("Branch", branch), stamp("Revision", "unknown"), stamp("BuildUser", "provision-tools")].join(" ");
}

async function buildAlertmanager(): Promise<void> {
  const version = TOOL_VERSIONS.alertmanager;
  const moduleVersion = `v${version}`;
  await buildInto(toolBuildDir("alertmanager"), async (scratch) => {
    const source = await moduleSource(ALERTMANAGER_MODULE, moduleVersion, scratch);
    if (!existsSync(path.join(source, "cmd", "alertmanager")))
      throw new ProvisionError(`the module ${ALERTMANAGER_MODULE}@${moduleVersion} has no cmd/alertmanager`);
    // The binary embeds the compiled web UI (ui/app/dist), which the module does not carry, so a plain
    // build fails. The tests use the HTTP API only and the image has the real UI: a copy of the source
    // gets a one-line placeholder page instead (the module cache itself is read-only). Alertmanager
    // serves HTML only from compressed copies (.br or .gz, as the client accepts), hence both.
    const src = path.join(scratch, "src");
    cpSync(source, src, { recursive: true });
    await mustRun("chmod of the source copy", "chmod", ["-R", "u+w", src]);
    const placeholder = "<!doctype html><title>Alertmanager</title><p>This test build of Alertmanager has no web UI; it serves the API only.</p>\n";
    for (const ui of ["elm", "mantine"]) {
      const dir = path.join(src, "ui", "app", "dist", ui);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, "index.html"), placeholder);
      writeFileSync(path.join(dir, "index.html.gz"), gzipSync(placeholder));
      writeFileSync(path.join(dir, "index.html.br"), brotliCompressSync(placeholder));
    }
    await mustRun(
      `go build of Alertmanager ${version}`,
      "go",
      ["build", "-trimpath", "-ldflags", versionLdflags(version, `module-${moduleVersion}`), "-o", `${scratch}/`, "./cmd/alertmanager", "./cmd/amtool"],
      { cwd: src, env: GO_ENV },
    );
    rmSync(src, { recursive: true, force: true });
    await checkReports("alertmanager", path.join(scratch, "alertmanager"), version);
    await checkReports("amtool", path.join(scratch, "amtool"), version);
  });
}

async function buildPrometheus(): Promise<void> {
  const version = TOOL_VERSIONS.prometheus;
  const moduleVersion = prometheusModuleVersion(version);
  const dir = toolBuildDir("prometheus");
  await buildInto(dir, async (scratch) => {
    const source = await moduleSource(PROMETHEUS_MODULE, moduleVersion, scratch);
    if (!existsSync(path.join(source, "cmd", "prometheus"))) throw new ProvisionError(`the module ${PROMETHEUS_MODULE}@${moduleVersion} has no cmd/prometheus`);
    const ldflags = versionLdflags(version, `module-${moduleVersion}`);
    // Differences from the release build, neither of which the stack's configs touch: no
    // `builtinassets` (the module carries no compiled web UI, so the test binary serves the HTTP API
    // only), and `remove_all_sd` (only the static, file and HTTP service discoveries the rendered configs
    // can use; leaving out the cloud SDKs more than halves a cold build). A config that started to
    // use another discovery would fail promtool here, not pass unchecked.
    await mustRun(
      `go build of Prometheus ${version}`,
      "go",
      ["build", "-trimpath", "-tags", PROMETHEUS_BUILD_TAGS, "-ldflags", ldflags, "-o", `${scratch}/`, "./cmd/prometheus", "./cmd/promtool"],
      {
        cwd: source,
        env: GO_ENV,
      },
    );
    await checkReports("prometheus", path.join(scratch, "prometheus"), version);
    await checkReports("promtool", path.join(scratch, "promtool"), version);
  });
}

interface Manifest {
  dist: { version?: string; output_path?: string; [k: string]: unknown };
  [section: string]: unknown;
}

async function buildCollector(): Promise<void> {
  const version = TOOL_VERSIONS.otelcol;
  const manifest = parse(readFileSync(BUILDER_MANIFEST, "utf8")) as Manifest;
  if (manifest.dist?.version !== version) {
    throw new ProvisionError(
      `${path.relative(process.cwd(), BUILDER_MANIFEST)} builds ${manifest.dist?.version} but the pinned collector image is ${version}: make them equal`,
    );
  }
  const builderDir = path.join(toolsDir(), `ocb-${version}`);
  const builder = path.join(builderDir, "builder");
  if (!existsSync(builder)) {
    mkdirSync(builderDir, { recursive: true });
    await mustRun(`go install ${BUILDER_MODULE}@v${version}`, "go", ["install", `${BUILDER_MODULE}@v${version}`], { env: { ...GO_ENV, GOBIN: builderDir } });
  }
  const dir = toolBuildDir("otelcol");
  await buildInto(dir, async (scratch) => {
    const src = path.join(scratch, "src");
    const config = path.join(scratch, "manifest.yaml");
    writeFileSync(config, stringify({ ...manifest, dist: { ...manifest.dist, output_path: src } }));
    await mustRun(`ocb ${version} (${BUILDER_MANIFEST})`, builder, ["--config", config], { cwd: scratch, env: GO_ENV });
    renameSync(path.join(src, "otelcol"), path.join(scratch, "otelcol"));
    rmSync(src, { recursive: true, force: true });
    await checkReports("otelcol", path.join(scratch, "otelcol"), version);
  });
}

async function buildActionlint(): Promise<void> {
  const version = TOOL_VERSIONS.actionlint;
  await buildInto(toolBuildDir("actionlint"), async (scratch) => {
    await mustRun(`go install ${ACTIONLINT_MODULE}@v${version}`, "go", ["install", `${ACTIONLINT_MODULE}@v${version}`], { env: { ...GO_ENV, GOBIN: scratch } });
    await checkReports("actionlint", path.join(scratch, "actionlint"), version);
  });
}

interface Job {
  label: string;
  binaries: ToolName[];
  build: () => Promise<void>;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== "--force");
  if (unknown.length > 0) throw new ProvisionError(`unknown argument ${unknown[0]} (usage: npm run tools [-- --force])`);
  const force = args.includes("--force");

  const jobs: Job[] = [
    { label: `otelcol ${TOOL_VERSIONS.otelcol} (manifest ${manifestHash()})`, binaries: ["otelcol"], build: buildCollector },
    { label: `prometheus and promtool ${TOOL_VERSIONS.prometheus}`, binaries: ["prometheus", "promtool"], build: buildPrometheus },
    { label: `alertmanager and amtool ${TOOL_VERSIONS.alertmanager}`, binaries: ["alertmanager", "amtool"], build: buildAlertmanager },
    { label: `actionlint ${TOOL_VERSIONS.actionlint}`, binaries: ["actionlint"], build: buildActionlint },
  ];
  const todo = jobs.filter((j) => force || !j.binaries.every((b) => existsSync(toolBinary(b))));
  for (const j of jobs.filter((x) => !todo.includes(x))) say(`${j.label}: cached in ${path.dirname(toolBinary(j.binaries[0] as ToolName))}`);
  if (todo.length === 0) return;

  const go = await checkGo();
  mkdirSync(toolsDir(), { recursive: true });
  const started = Date.now();
  say(`building with ${go}: ${todo.map((j) => j.label).join("; ")} (a cold build takes several minutes on 2 cores)`);
  // The builds at once: while one waits on module downloads another compiles.
  const results = await Promise.allSettled(
    todo.map(async (j) => {
      const t = Date.now();
      await j.build();
      say(`${j.label}: built in ${seconds(Date.now() - t)} → ${path.dirname(toolBinary(j.binaries[0] as ToolName))}`);
    }),
  );
  const failed = results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
  if (failed.length > 0) throw failed[0];
  say(`done in ${seconds(Date.now() - started)}`);
}

main().catch((err: unknown) => {
  if (err instanceof ProvisionError) {
    say(`ERROR: ${err.message}`);
    process.exit(1);
  }
  throw err;
});
