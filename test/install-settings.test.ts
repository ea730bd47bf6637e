import { execFile } from "node:child_process";
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderClientEnv, renderManagedSettings } from "../components/claude/managed-settings.js";
import { userSettingsSchema } from "../components/claude/claude-settings-schema.js";
import { installEnv, listBackups, rollback, SettingsFileError, timestamp } from "../lib/settings-file.js";
import { readClientEnv, StackOutputsError } from "../lib/stack-outputs.js";

const TOKEN = "tok_" + "Hs83LqPz0Wm5Xc7vBn2K";
const target = {
  client: { resourceAttributes: { team: "platform" } },
  environment: "local",
  endpoints: { grpc: "http://127.0.0.1:4317", http: "http://127.0.0.1:4318" },
  auth: { kind: "bearer" as const, token: TOKEN },
};
const env = renderClientEnv(target);
const T1 = new Date(2025, 0, 2, 3, 4, 5);
const T2 = new Date(2025, 0, 2, 3, 4, 6);

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "install-settings-"));
  file = join(dir, ".claude", "settings.json");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const existing = {
  model: "opus",
  permissions: { allow: ["Bash(npm test)"], deny: [] },
  env: { MY_TOOL_HOME: "/opt/tool", OTEL_EXPORTER_OTLP_ENDPOINT: "http://old-host:4317" },
  hooks: { PostToolUse: [] },
};

async function writeExisting(content: string, mode = 0o640): Promise<void> {
  await mkdir(join(dir, ".claude"), { recursive: true });
  await writeFile(file, content);
  await chmod(file, mode);
}

describe("installEnv", () => {
  it("merges the env block, keeping every other key, after a timestamped backup; mode kept", async () => {
    const original = JSON.stringify(existing, null, 4);
    await writeExisting(original, 0o664);
    const r = await installEnv({ file, env, now: T1 });

    const merged = JSON.parse(await readFile(file, "utf8"));
    const { env: mergedEnv, ...rest } = merged;
    const { env: oldEnv, ...oldRest } = existing;
    expect(rest).toEqual(oldRest);
    expect(Object.keys(merged)).toEqual(Object.keys(existing));
    expect(mergedEnv).toEqual({ ...oldEnv, ...env });
    expect(mergedEnv.MY_TOOL_HOME).toBe("/opt/tool");
    expect(userSettingsSchema.safeParse(merged).success).toBe(true);

    expect(r.backup).toBe(`${file}.backup.20250102-030405`);
    expect(await readFile(r.backup!, "utf8")).toBe(original);
    expect((await stat(file)).mode & 0o777).toBe(0o664);
    expect((await stat(r.backup!)).mode & 0o777).toBe(0o664);

    expect(r.changes.changed).toEqual(["OTEL_EXPORTER_OTLP_ENDPOINT"]);
    expect(r.changes.added.sort()).toEqual(
      Object.keys(env)
        .filter((k) => k !== "OTEL_EXPORTER_OTLP_ENDPOINT")
        .sort(),
    );
    expect(r.lines.join("\n")).not.toContain(TOKEN);
    expect(r.lines).toContain("  + OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer ****");
    expect(r.lines).toContain(`  ~ OTEL_EXPORTER_OTLP_ENDPOINT: http://old-host:4317 -> ${env.OTEL_EXPORTER_OTLP_ENDPOINT}`);
    // No temp files left behind.
    expect((await readdir(join(dir, ".claude"))).sort()).toEqual(["settings.json", "settings.json.backup.20250102-030405"]);
  });

  it("changes nothing and makes no backup when the block is already there", async () => {
    await writeExisting(JSON.stringify({ env }));
    const before = await readFile(file, "utf8");
    const r = await installEnv({ file, env, now: T1 });
    expect(r.written).toBe(false);
    expect(r.changes.unchanged.length).toBe(Object.keys(env).length);
    expect(await readFile(file, "utf8")).toBe(before);
    expect(await listBackups(file)).toEqual([]);
  });

  it("never touches a file that is not valid JSON", async () => {
    const broken = '{ "model": "opus", // comment\n  "env": { }\n';
    await writeExisting(broken, 0o600);
    const before = await readFile(file);
    await expect(installEnv({ file, env, now: T1 })).rejects.toThrow(/is not valid JSON.*nothing was changed/);
    expect((await readFile(file)).equals(before)).toBe(true);
    expect(await readdir(join(dir, ".claude"))).toEqual(["settings.json"]);
  });

  it("refuses a file whose env is not an object, or that is not an object at all", async () => {
    for (const content of [JSON.stringify({ env: "x" }), "[]", JSON.stringify({ env: { N: 1 } })]) {
      await writeExisting(content);
      await expect(installEnv({ file, env, now: T1 })).rejects.toBeInstanceOf(SettingsFileError);
      expect(await readFile(file, "utf8")).toBe(content);
    }
  });

  it("creates ~/.claude and the file (mode 600) when missing; rollback undoes it", async () => {
    const r = await installEnv({ file, env, now: T1 });
    expect(r.created).toBe(true);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({ env });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, ".claude"))).isDirectory()).toBe(true);
    const rb = await rollback({ file, now: T2 });
    expect(rb.restored).toBe(r.backup);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({});
  });

  it("writes nothing on a dry run", async () => {
    await writeExisting(JSON.stringify(existing));
    const r = await installEnv({ file, env, dryRun: true, now: T1 });
    expect(r.written).toBe(false);
    expect(r.changes.added.length).toBeGreaterThan(0);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual(existing);
    expect(await listBackups(file)).toEqual([]);
  });

  it("follows a symlinked settings file and leaves the link in place", async () => {
    const real = join(dir, "dotfiles-settings.json");
    await writeFile(real, JSON.stringify(existing));
    await mkdir(join(dir, ".claude"));
    await symlink(real, file);
    await installEnv({ file, env, now: T1 });
    expect((await lstat(file)).isSymbolicLink()).toBe(true);
    expect(await readlink(file)).toBe(real);
    expect(JSON.parse(await readFile(real, "utf8")).env.CLAUDE_CODE_ENABLE_TELEMETRY).toBe("1");
  });

  it("warns about telemetry keys the new block does not set", async () => {
    await writeExisting(JSON.stringify({ env: { CLAUDE_CODE_CLIENT_CERT: "/old.pem" } }));
    const r = await installEnv({ file, env, now: T1 });
    expect(r.changes.stale).toEqual(["CLAUDE_CODE_CLIENT_CERT"]);
    expect(r.lines.some((l) => l.startsWith("  ! CLAUDE_CODE_CLIENT_CERT"))).toBe(true);
  });
});

describe("rollback", () => {
  it("restores the newest backup byte for byte, keeps the current file, and steps back on the next call", async () => {
    const v0 = JSON.stringify(existing);
    await writeExisting(v0, 0o644);
    await installEnv({ file, env, now: T1 });
    const v1 = await readFile(file, "utf8");
    const env2 = renderClientEnv({ ...target, client: { ...target.client, metricExportIntervalMs: 10000 } });
    await installEnv({ file, env: env2, now: T2 });
    const v2 = await readFile(file, "utf8");
    expect(await listBackups(file)).toEqual([`${file}.backup.20250102-030405`, `${file}.backup.20250102-030406`]);

    const r1 = await rollback({ file, now: new Date(2025, 0, 3) });
    expect(await readFile(file, "utf8")).toBe(v1);
    expect(await readFile(r1.savedCurrent!, "utf8")).toBe(v2);
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    await rollback({ file, now: new Date(2025, 0, 4) });
    expect(await readFile(file, "utf8")).toBe(v0);
    await expect(rollback({ file })).rejects.toThrow(/no backup/);
  });

  it("orders backups written within the same second", async () => {
    await writeExisting("{}");
    await installEnv({ file, env, now: T1 });
    await installEnv({ file, env: { ...env, OTEL_METRIC_EXPORT_INTERVAL: "5000" }, now: T1 });
    expect(await listBackups(file)).toEqual([`${file}.backup.20250102-030405`, `${file}.backup.20250102-030405-1`]);
    expect(timestamp(T1)).toBe("20250102-030405");
  });
});

// ---- the command-line tool, run for real -------------------------------------------------------

const ROOT = resolve(import.meta.dirname, "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");

function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(TSX, [join(ROOT, "scripts", "install-settings.ts"), ...args], { env: { ...process.env, ...extraEnv }, cwd: ROOT }, (error, stdout, stderr) => {
      res({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("install-settings command", () => {
  it("installs from --env-file (a managed-settings.json), masks the token, and rolls back", async () => {
    await writeExisting(JSON.stringify(existing));
    const envFile = join(dir, "managed-settings.json");
    await writeFile(envFile, JSON.stringify(renderManagedSettings(target)));
    const r = await cli(["--env-file", envFile, "--settings-file", file]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Authorization=Bearer ****");
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    expect(r.stdout).toMatch(/backup: .*settings\.json\.backup\.\d{8}-\d{6}/);
    expect(JSON.parse(await readFile(file, "utf8")).env.OTEL_EXPORTER_OTLP_HEADERS).toBe(`Authorization=Bearer ${TOKEN}`);

    const back = await cli(["--rollback", "--settings-file", file]);
    expect(back.code).toBe(0);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual(existing);
  });

  it("exits non-zero and leaves an invalid file alone", async () => {
    await writeExisting("not json at all");
    const envFile = join(dir, "env.json");
    await writeFile(envFile, JSON.stringify(env));
    const r = await cli(["--env-file", envFile, "--settings-file", file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not valid JSON/);
    expect(await readFile(file, "utf8")).toBe("not json at all");
  });

  it("refuses an env file with keys it does not know", async () => {
    const envFile = join(dir, "env.json");
    await writeFile(envFile, JSON.stringify({ ...env, SOMETHING_ELSE: "1" }));
    const r = await cli(["--env-file", envFile, "--settings-file", file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/SOMETHING_ELSE/);
  });

  it("reads the env block from the stack outputs through the pulumi CLI", async () => {
    // A stand-in `pulumi` on PATH that answers `stack output --json --show-secrets --stack local`.
    const bin = join(dir, "bin");
    await mkdir(bin);
    const outputs = JSON.stringify({ clientEnv: env, grafanaUrl: "http://127.0.0.1:3000" });
    await writeFile(
      join(bin, "pulumi"),
      `#!/bin/sh\n[ "$*" = "stack output --json --show-secrets --stack local" ] || { echo "unexpected args: $*" >&2; exit 3; }\ncat <<'EOF'\n${outputs}\nEOF\n`,
      { mode: 0o755 },
    );
    const PATH = `${bin}:${process.env.PATH}`;
    const r = await cli(["--stack", "local", "--settings-file", file, "--dry-run"], { PATH });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[dry run\]/);
    expect(r.stdout).toContain("+ CLAUDE_CODE_ENABLE_TELEMETRY=1");
    await expect(stat(file)).rejects.toThrow(/ENOENT/);

    const wrong = await cli(["--stack", "other", "--settings-file", file], { PATH });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/unexpected args/);
  });
});

describe("stack outputs", () => {
  it("explains a missing clientEnv output and a missing pulumi CLI", async () => {
    await expect(readClientEnv("local", async () => JSON.stringify({ grafanaUrl: "x" }))).rejects.toThrow(/no output 'clientEnv'.*grafanaUrl/);
    await expect(readClientEnv("local", async () => "warning: not json")).rejects.toBeInstanceOf(StackOutputsError);
    const env2 = await readClientEnv("local", async () => JSON.stringify({ clientEnv: JSON.stringify(env) }));
    expect(env2).toEqual(env);
  });
});
