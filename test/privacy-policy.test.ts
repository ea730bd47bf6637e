// The privacy policy's settings and the words developers are shown, without running a collector
// (privacy.test.ts runs the statements on the real one).
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseSettings, SettingsError } from "../components/settings.js";
import { collectedMarkdown, identityStatements, metricLabelAllowList, policyOf } from "../components/privacy.js";
import { allDashboards } from "../dashboards/index.js";
import { dashboardPolicy, DROPPED_IDENTITY_NOTE, COLLECTED_PANEL_TITLE } from "../dashboards/privacy.js";
import { renderStackRolloutGuide } from "../components/claude/client-bundle.js";

const local = (raw: Record<string, unknown> = {}) => parseSettings({ target: "docker", ...raw }, "local");

describe("privacy settings", () => {
  it("default to keeping identities, removing content and bounding labels", () => {
    expect(local().privacy).toEqual({
      identity: "email",
      hashAccountIds: true,
      maxContentLength: 4096,
      maxLabelValueLength: 128,
      extraMetricLabels: [],
      identityChain: ["user.email", "enduser.id", "user.account_uuid", "user.id"],
    });
  });

  it("name the key and the allowed values when wrong", () => {
    const problems = (raw: Record<string, unknown>) => {
      try {
        local(raw);
        return [];
      } catch (e) {
        return (e as SettingsError).problems;
      }
    };
    expect(problems({ privacy: { identity: "anonymous" } }).join("\n")).toMatch(/claude-code-telemetry:privacy\.identity: must be 'email', 'hash' or 'drop'/);
    expect(problems({ privacy: { hashKey: "short" } }).join("\n")).toMatch(/privacy\.hashKey: must be 24 to 128 letters and digits/);
    expect(problems({ privacy: { extraMetricLabels: ["no spaces"] } }).join("\n")).toMatch(/privacy\.extraMetricLabels/);
  });

  it("hash mode hashes the account ids only when asked, and removes identities when the key is missing", () => {
    const withIds = identityStatements("log", local({ privacy: { identity: "hash" } }).privacy).join("\n");
    expect(withIds).toContain('log.attributes["user.account_uuid"]');
    expect(withIds).toMatch(/delete_key\(log\.attributes, "user\.email"\) where "\$\{env:IDENTITY_HASH_KEY\}" == ""/);
    const without = identityStatements("log", local({ privacy: { identity: "hash", hashAccountIds: false } }).privacy).join("\n");
    expect(without).not.toContain("user.account_uuid");
    expect(identityStatements("log", local().privacy)).toEqual([]);
  });

  it("allows as labels what the dashboards and the identity chain read, plus the extras", () => {
    const allowed = metricLabelAllowList(policyOf(local({ privacy: { extraMetricLabels: ["repo.name"] } })));
    for (const k of [
      "session.id",
      "user.email",
      "enduser.id",
      "user.account_uuid",
      "team",
      "cost_center",
      "model",
      "type",
      "decision",
      "language",
      "repo.name",
      "simulation.run",
    ]) {
      expect(allowed, k).toContain(k);
    }
    expect(allowed).not.toContain("git.branch");
  });
});

describe("what developers are told", () => {
  it("is the README's table for the default local stack", () => {
    const readme = readFileSync(path.join(import.meta.dirname, "..", "README.md"), "utf8");
    const block = /<!-- collected:begin -->\n([\s\S]*?)\n<!-- collected:end -->/.exec(readme)?.[1];
    expect(block).toBe(collectedMarkdown(policyOf(local())));
  });

  it("changes with the settings: hashed or dropped identities, acknowledged content", () => {
    expect(collectedMarkdown(policyOf(local({ privacy: { identity: "hash" } })))).toContain("keyed SHA-256");
    expect(collectedMarkdown(policyOf(local({ privacy: { identity: "drop" } })))).toContain("team-level figures only");
    const ack = collectedMarkdown(policyOf(local({ client: { logUserPrompts: true, contentCaptureAcknowledged: true }, privacy: { maxContentLength: 1000 } })));
    expect(ack).toContain("cut at 1000 characters");
  });

  it("is in the rollout guide and on the Overview and Developer dashboards", () => {
    const settings = local({ privacy: { identity: "hash" } });
    const table = collectedMarkdown(policyOf(settings));
    expect(renderStackRolloutGuide(settings)).toContain(
      `## What this stack keeps\n\nWhatever a client is set to send, the stack's collector keeps only this:\n\n${table}`,
    );
    const dashboards = allDashboards(dashboardPolicy(policyOf(settings)));
    const panelsWith = dashboards.filter((d) =>
      (d.panels ?? []).some(
        (p) =>
          (p as { title?: string; options?: { content?: string } }).title === COLLECTED_PANEL_TITLE &&
          (p as { options?: { content?: string } }).options?.content?.includes(table),
      ),
    );
    expect(panelsWith.map((d) => d.uid).sort()).toEqual(["claude-code-developer", "claude-code-overview"]);
  });

  it("in drop mode, every person panel says why it is empty; other panels stay as they are", () => {
    const dropped = allDashboards(dashboardPolicy(policyOf(local({ privacy: { identity: "drop" } }))));
    const noted = dropped.flatMap((d) =>
      (d.panels ?? [])
        .filter((p) => (p as { fieldConfig?: { defaults?: { noValue?: string } } }).fieldConfig?.defaults?.noValue === DROPPED_IDENTITY_NOTE)
        .map((p) => `${d.uid} / ${(p as { title?: string }).title}`),
    );
    expect(noted).toEqual(
      expect.arrayContaining([
        "claude-code-overview / Active people",
        "claude-code-cost / Top spenders",
        "claude-code-developer / Estimated cost",
        "claude-code-adoption / New people",
      ]),
    );
    expect(noted).not.toContain("claude-code-overview / Sessions");
    expect(noted).not.toContain("claude-code-cost / Estimated cost by team");
    const kept = allDashboards(dashboardPolicy(policyOf(local())));
    expect(
      kept
        .flatMap((d) => d.panels ?? [])
        .some((p) => (p as { fieldConfig?: { defaults?: { noValue?: string } } }).fieldConfig?.defaults?.noValue === DROPPED_IDENTITY_NOTE),
    ).toBe(false);
  });
});
