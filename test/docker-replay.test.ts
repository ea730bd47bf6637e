// The Docker replay's mapping of the program's resources onto the Engine API, without an engine:
// every field the local program sets is mapped as the Docker provider maps it, a field the replay
// does not know is refused, and the archives it sends are real tar files.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { containerCreateBody, durationNs } from "./docker/replay.js";
import { GRAFANA_ADMIN_PASSWORD_FILE } from "../components/grafana.js";
import { grafanaEntrypoint } from "../components/grafana-entrypoint.js";
import { tar } from "./docker/tar.js";
import { loadProgram } from "./support/program.js";
import type { MockHarness } from "./support/pulumi-mocks.js";

let mocks: MockHarness;
beforeAll(async () => {
  ({ mocks } = await loadProgram("local", { docker: { waitForHealthy: false } }));
});
const container = (name: string) => mocks.ofType("docker:index/container:Container").find((c) => c.inputs.name === `claude-telemetry-${name}`)!.inputs;

describe("the Docker replay's mapping", () => {
  it("maps every field of every container the program creates", () => {
    for (const c of mocks.ofType("docker:index/container:Container")) expect(() => containerCreateBody(c.inputs), c.inputs.name).not.toThrow();
  });

  it("maps the collector as the provider would: ports on the bind address, megabytes to bytes, capabilities, options, network alias", () => {
    const { name, body, uploads } = containerCreateBody(container("collector"));
    expect(name).toBe("claude-telemetry-collector");
    expect(body.HostConfig.PortBindings).toEqual({
      "4317/tcp": [{ HostIp: "127.0.0.1", HostPort: "4317" }],
      "4318/tcp": [{ HostIp: "127.0.0.1", HostPort: "4318" }],
      "13133/tcp": [{ HostIp: "127.0.0.1", HostPort: "13133" }],
    });
    expect(body.ExposedPorts).toEqual({ "4317/tcp": {}, "4318/tcp": {}, "13133/tcp": {} });
    expect(body.HostConfig.Memory).toBe(640 * 1024 * 1024);
    expect(body.HostConfig.CapDrop).toEqual(["ALL"]);
    expect(body.HostConfig.SecurityOpt).toEqual(["no-new-privileges:true"]);
    expect(body.HostConfig.RestartPolicy).toEqual({ Name: "unless-stopped" });
    expect(body.HostConfig.LogConfig).toEqual({ Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } });
    expect(body.NetworkingConfig.EndpointsConfig).toEqual({ "claude-telemetry-net": { Aliases: ["collector"] } });
    expect(body.Cmd).toEqual(["--config=/etc/otelcol-contrib/config.yaml"]);
    expect(uploads.map((u) => [u.file, u.mode])).toEqual([["/etc/otelcol-contrib/config.yaml", 0o444]]);
    expect(body.Healthcheck).toBeUndefined();
  });

  it("maps Prometheus' health check to nanoseconds and its volume to a bind of the named volume", () => {
    const { body } = containerCreateBody(container("prometheus"));
    expect(body.Healthcheck).toEqual({
      Test: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:9090/-/ready"],
      Interval: 10e9,
      Timeout: 5e9,
      Retries: 6,
      StartPeriod: 30e9,
    });
    expect(body.HostConfig.Binds).toEqual(["claude-telemetry-prometheus-data:/prometheus"]);
    expect(durationNs("1m30s")).toBe(90e9);
    expect(() => durationNs("10 seconds")).toThrow(/not a duration/);
  });

  it("maps Grafana's entrypoint to the Engine's Entrypoint and leaves Cmd unset, as the provider sets each only when given", () => {
    const { body } = containerCreateBody(container("grafana"));
    expect(body.Entrypoint).toEqual(grafanaEntrypoint(GRAFANA_ADMIN_PASSWORD_FILE));
    expect(body.Cmd).toBeUndefined();
    expect(containerCreateBody(container("loki")).body.Entrypoint).toBeUndefined();
  });

  it("refuses a field it does not know, naming it (nothing new is silently dropped)", () => {
    expect(() => containerCreateBody({ ...container("loki"), privileged: true })).toThrow(/does not know container\.privileged/);
    const withDevice = structuredClone(container("loki"));
    withDevice.ports[0].ipv6 = true;
    expect(() => containerCreateBody(withDevice)).toThrow(/container\.ports\.ipv6/);
  });
});

describe("the tar writer", () => {
  it("writes archives tar itself lists with the modes, owners and links given", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tar-"));
    try {
      const file = path.join(dir, "a.tar");
      writeFileSync(
        file,
        tar([
          { path: "data", type: "dir", mode: 0o755, uid: 65534, gid: 65534 },
          { path: "etc/config.yaml", type: "file", content: "x: 1\n", mode: 0o444 },
          { path: "bin/wget", type: "symlink", target: "busybox" },
          { path: `${"deep/".repeat(30)}file`, type: "file", content: "long path" },
        ]),
      );
      const listed = spawnSync("tar", ["-tvf", file, "--numeric-owner"], { encoding: "utf8" });
      expect(listed.status, listed.stderr).toBe(0);
      const lines = listed.stdout.trim().split("\n");
      expect(lines[0]).toMatch(/^drwxr-xr-x 65534\/65534 .* data\/$/);
      expect(lines[1]).toMatch(/^-r--r--r-- 0\/0 +5 .* etc\/config\.yaml$/);
      expect(lines[2]).toMatch(/^lrwxrwxrwx 0\/0 .* bin\/wget -> busybox$/);
      expect(lines[3]).toMatch(/deep\/deep\/.*\/file$/);
      const content = spawnSync("tar", ["-xOf", file, `${"deep/".repeat(30)}file`], { encoding: "utf8" });
      expect(content.stdout).toBe("long path");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
