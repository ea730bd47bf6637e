// Enterprise stack with remote write to a central store: rendered only when configured, and its
// credentials live in a Secret mounted as a file, never in the Prometheus config.
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { stringLeaves, type MockHarness } from "./support/pulumi-mocks.js";
import { loadProgram } from "./support/program.js";
import { validateRecorded } from "./support/k8s-validate.js";
import { REMOTE_WRITE_PASSWORD_FILE } from "../components/prometheus.js";

const PASSWORD = "rw-Secret-Value-9f2c";
let mocks: MockHarness;

beforeAll(async () => {
  ({ mocks } = await loadProgram("enterprise", {
    prometheus: {
      remoteWrite: { url: "https://mimir.example.com/api/v1/push", username: "claude", password: PASSWORD, headers: { "X-Scope-OrgID": "claude" } },
    },
  }));
});

describe("enterprise program with remote write", () => {
  it("renders remote_write with basic auth read from a file", () => {
    const cm = mocks.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.inputs.metadata.name.includes("prometheus"))!;
    const text = Object.values(cm.inputs.data as Record<string, string>).find((t) => t.includes("scrape_configs"))!;
    const rw = parse(text).remote_write;
    expect(rw).toEqual([
      expect.objectContaining({
        url: "https://mimir.example.com/api/v1/push",
        basic_auth: { username: "claude", password_file: REMOTE_WRITE_PASSWORD_FILE },
        headers: { "X-Scope-OrgID": "claude" },
      }),
    ]);
  });

  it("keeps the password only in a Secret, as a secret input, mounted at the password file", () => {
    const holders = mocks.resources.flatMap((r) =>
      stringLeaves(r.inputs)
        .filter((l) => l.value.includes(PASSWORD))
        .map((l) => ({ r, path: l.path })),
    );
    expect(holders.length).toBeGreaterThan(0);
    for (const { r, path } of holders) {
      expect(r.type).toBe("kubernetes:core/v1:Secret");
      expect(mocks.isSecretInput(r, path)).toBe(true);
    }
    const sts = mocks.ofType("kubernetes:apps/v1:StatefulSet").find((s) => s.inputs.metadata.name.includes("prometheus"))!;
    const mounts = sts.inputs.spec.template.spec.containers[0].volumeMounts.map((m: any) => m.mountPath);
    expect(mounts).toContain(REMOTE_WRITE_PASSWORD_FILE);
  });

  it("still validates against the Kubernetes schemas", () => {
    expect(validateRecorded(mocks.resources)).toEqual([]);
  });
});
