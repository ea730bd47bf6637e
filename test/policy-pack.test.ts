// The policy pack itself, served by @pulumi/policy as `pulumi preview --policy-pack policies` runs
// it, asked by a stand-in of the engine (test/support/policy-analyzer.ts) about every resource the
// enterprise program creates, about resources broken from those, and under a pack config.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { defaultEnforcementLevel, KIND_TYPES } from "../policies/resources.js";
import { RULES, STACK_RULES } from "../policies/rules.js";
import { loadProgram } from "./support/program.js";
import { startPolicyAnalyzer, type AnalyzedResource, type PackConfig, type PolicyAnalyzer } from "./support/policy-analyzer.js";

let pack: PolicyAnalyzer;
let enterprise: AnalyzedResource[];

beforeAll(async () => {
  const { mocks } = await loadProgram("enterprise");
  enterprise = mocks.resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs }));
  pack = await startPolicyAnalyzer();
}, 90_000);

afterAll(async () => {
  await pack?.stop();
});

const find = (type: string, name: string): AnalyzedResource & { props: any } => structuredClone(enterprise.find((r) => r.type === type && r.name === name)!);
const collectorConfigMap = () => find("kubernetes:core/v1:ConfigMap", "claude-telemetry-collector");
const COLLECTOR_KEY = "etc_otelcol-contrib_config.yaml";

/** The violations of one resource, as the engine would print them: policy, level, first line of the message. */
async function violations(r: AnalyzedResource) {
  return (await pack.analyze(r)).map((d) => ({ policy: d.policyName, level: d.enforcementLevel, message: d.message }));
}

describe("the policy pack, served by @pulumi/policy", () => {
  it("offers every rule, security and privacy ones mandatory, reliability ones advisory", async () => {
    const info = await pack.info();
    expect(info.map((p) => p.name).sort()).toEqual([...RULES, ...STACK_RULES].map((r) => r.name).sort());
    for (const rule of [...RULES, ...STACK_RULES])
      expect(info.find((p) => p.name === rule.name)?.enforcementLevel, rule.name).toBe(defaultEnforcementLevel(rule.concern));
    expect(
      info
        .filter((p) => p.enforcementLevel === "advisory")
        .map((p) => p.name)
        .sort(),
    ).toEqual(["containers-bounded-and-probed", "stateful-storage-persistent"]);
  });

  it("names each kind of resource by its provider class's type token (what validateResourceOfType matches)", async () => {
    const docker = await import("@pulumi/docker");
    const k8s = await import("@pulumi/kubernetes");
    const classes = {
      dockerContainer: docker.Container,
      dockerImage: docker.RemoteImage,
      deployment: k8s.apps.v1.Deployment,
      statefulSet: k8s.apps.v1.StatefulSet,
      daemonSet: k8s.apps.v1.DaemonSet,
      ingress: k8s.networking.v1.Ingress,
      configMap: k8s.core.v1.ConfigMap,
    };
    for (const [kind, cls] of Object.entries(classes))
      expect((cls as unknown as { __pulumiType: string }).__pulumiType, kind).toBe(KIND_TYPES[kind as keyof typeof KIND_TYPES]);
  });

  it("finds nothing wrong with any resource of the enterprise stack, one by one and as a whole", async () => {
    expect(enterprise.length).toBeGreaterThan(20);
    const found = (await Promise.all(enterprise.map(async (r) => (await pack.analyze(r)).map((d) => `${r.name}: ${d.policyName}: ${d.message}`)))).flat();
    expect(found).toEqual([]);
    expect(await pack.analyzeStack(enterprise)).toEqual([]);
  });

  it("refuses the enterprise collector's config without authentication on its receivers, mandatory, saying how to fix it", async () => {
    const cm = collectorConfigMap();
    const doc = parse(cm.props.data[COLLECTOR_KEY]);
    for (const p of Object.values(doc.receivers.otlp.protocols) as any[]) delete p.auth;
    cm.props.data[COLLECTOR_KEY] = stringify(doc);
    const v = await violations(cm);
    expect(v.map((x) => [x.policy, x.level])).toEqual([
      ["otlp-ingest-authenticated", "mandatory"],
      ["otlp-ingest-authenticated", "mandatory"],
    ]);
    expect(v[0]!.message).toMatch(/otlp grpc: no auth\.authenticator, yet on Kubernetes the ingress publishes it.*Fix: /s);
  });

  it("refuses a Prometheus without retention and a StatefulSet without storage, each at its level", async () => {
    const prometheus = find("kubernetes:apps/v1:StatefulSet", "claude-telemetry-prometheus");
    const c = prometheus.props.spec.template.spec.containers[0];
    c.args = c.args.filter((a: string) => !a.startsWith("--storage.tsdb.retention"));
    delete prometheus.props.spec.volumeClaimTemplates;
    const v = await violations(prometheus);
    expect(v.map((x) => [x.policy, x.level]).sort()).toEqual([
      ["stateful-storage-persistent", "advisory"],
      ["telemetry-retention-bounded", "mandatory"],
    ]);
  });

  it("takes each rule's level from the pack config: the committed example, then a rule disabled and all made advisory", async () => {
    const probeless = find("kubernetes:apps/v1:Deployment", "claude-telemetry-collector");
    delete probeless.props.spec.template.spec.containers[0].readinessProbe;
    const levels = async () => (await violations(probeless)).map((x) => `${x.policy}=${x.level}`);
    expect(await levels()).toEqual(["containers-bounded-and-probed=advisory"]);

    const example = JSON.parse(readFileSync(path.join(import.meta.dirname, "..", "policies", "config.example.json"), "utf8")) as PackConfig;
    await pack.configure(example);
    expect(await levels()).toEqual(["containers-bounded-and-probed=mandatory"]);

    await pack.configure({ "containers-bounded-and-probed": "disabled" });
    expect(await levels()).toEqual([]);

    await pack.configure({ all: "advisory" });
    const cm = collectorConfigMap();
    cm.props.data[COLLECTOR_KEY] = cm.props.data[COLLECTOR_KEY].replace(/\n\s+auth:\n\s+authenticator: bearertokenauth/g, "");
    expect((await violations(cm)).map((x) => `${x.policy}=${x.level}`)).toEqual(["otlp-ingest-authenticated=advisory", "otlp-ingest-authenticated=advisory"]);

    await pack.configure({});
    expect(await levels()).toEqual(["containers-bounded-and-probed=advisory"]);
    await expect(pack.configure({ "no-such-rule": "advisory" })).rejects.toThrow(/no-such-rule/);
  });
});
