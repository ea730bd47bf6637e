// Enterprise stack with alert contact points: their URLs and keys live in a Secret mounted as files
// beside Alertmanager's config, which names only the paths; nothing else holds them.
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { isSecretOutput, outputValue, stringLeaves, type MockHarness } from "./support/pulumi-mocks.js";
import { loadProgram } from "./support/program.js";
import { validateRecorded } from "./support/k8s-validate.js";
import { ALERTMANAGER_CONFIG_PATH, RECEIVER_SECRET_FILES } from "../components/alertmanager.js";

const SECRETS = {
  slack: "https://hooks.slack.example/services/T1/B1/slack-Secret-7e1a",
  pagerduty: "pdSecret0123456789abcdefABCDEF01",
  email: "smtp-Secret-Value-44b1",
  webhook: "https://hooks.example.com/alerts?token=hook-Secret-c3d9",
};
let mocks: MockHarness;
let program: Record<string, any>;

beforeAll(async () => {
  ({ mocks, outputs: program } = await loadProgram("enterprise", {
    alerting: {
      teamDailyBudgetsUsd: { platform: 200 },
      receivers: {
        slack: { webhookUrl: SECRETS.slack },
        pagerduty: { routingKey: SECRETS.pagerduty },
        email: { to: "finance@example.com", from: "alerts@example.com", smarthost: "smtp.example.com:587", username: "alerts", password: SECRETS.email },
        webhook: { url: SECRETS.webhook },
      },
    },
  }));
});

describe("enterprise program with alert contact points", () => {
  it("keeps the contact points' secrets out of Alertmanager's config, which names their files, and only in its Secret, mounted at those files", async () => {
    const cm = mocks.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.inputs.metadata.name === "claude-telemetry-alertmanager")!;
    const sts = mocks.ofType("kubernetes:apps/v1:StatefulSet").find((s) => s.inputs.metadata.name === "claude-telemetry-alertmanager")!;
    const mounts = sts.inputs.spec.template.spec.containers[0].volumeMounts as { name: string; mountPath: string; subPath: string }[];
    const configMount = mounts.find((m) => m.mountPath === ALERTMANAGER_CONFIG_PATH)!;
    const text = (cm.inputs.data as Record<string, string>)[configMount.subPath]!;
    for (const [name, value] of Object.entries(SECRETS)) expect(text, name).not.toContain(value);
    const receivers = parse(text).receivers as Record<string, any>[];
    const receiver = (name: string) => receivers.find((r) => r.name === name)!;
    expect(receiver("slack").slack_configs[0].api_url_file).toBe(RECEIVER_SECRET_FILES.slack);
    expect(receiver("pagerduty").pagerduty_configs[0].routing_key_file).toBe(RECEIVER_SECRET_FILES.pagerduty);
    expect(receiver("email").email_configs[0].auth_password_file).toBe(RECEIVER_SECRET_FILES.email);
    expect(receiver("webhook").webhook_configs[0].url_file).toBe(RECEIVER_SECRET_FILES.webhook);

    // Each value is in Alertmanager's Secret alone, as a secret input, under the key mounted at its file.
    const volumes = sts.inputs.spec.template.spec.volumes as { name: string; secret?: { secretName: string; defaultMode: number } }[];
    for (const [name, value] of Object.entries(SECRETS) as [keyof typeof SECRETS, string][]) {
      const holders = mocks.resources.flatMap((r) =>
        stringLeaves(r.inputs)
          .filter((l) => l.value.includes(value))
          .map((l) => ({ r, path: l.path })),
      );
      const mount = mounts.find((m) => m.mountPath === RECEIVER_SECRET_FILES[name])!;
      expect(mount, name).toBeDefined();
      expect(
        holders.map(({ r, path }) => `${r.type} ${r.inputs.metadata?.name} ${path}`),
        name,
      ).toEqual([`kubernetes:core/v1:Secret claude-telemetry-alertmanager stringData.${mount.subPath}`]);
      expect(holders[0]!.r.inputs.stringData[mount.subPath]).toBe(value);
      expect(mocks.isSecretInput(holders[0]!.r, holders[0]!.path), name).toBe(true);
      const volume = volumes.find((v) => v.name === mount.name)!;
      // Read-only, for Alertmanager's user and group (65534, the pod's fsGroup) alone.
      expect(volume.secret, name).toEqual({ secretName: "claude-telemetry-alertmanager", defaultMode: 0o440 });
    }
    // Nor in a plain stack output.
    for (const [key, o] of Object.entries(program)) {
      if (typeof o === "object" && o !== null && (await isSecretOutput(o))) continue;
      const plain = JSON.stringify(await outputValue(o));
      for (const value of Object.values(SECRETS)) expect(plain, key).not.toContain(value);
    }
  });

  it("puts the team budget into Prometheus' rules", () => {
    const cm = mocks.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.inputs.metadata.name.includes("prometheus"))!;
    const rules = Object.values(cm.inputs.data as Record<string, string>).find((t) => t.includes("groups:"))!;
    const alert = parse(rules)
      .groups.flatMap((g: { rules: Record<string, any>[] }) => g.rules)
      .find((r: Record<string, any>) => r.alert === "ClaudeCodeTeamDailySpendOverBudget");
    expect(alert.expr).toContain('team="platform"');
    expect(alert.labels).toEqual({ severity: "warning", budget_usd: "200" });
  });

  it("still validates against the Kubernetes schemas", () => {
    expect(validateRecorded(mocks.resources)).toEqual([]);
  });
});
