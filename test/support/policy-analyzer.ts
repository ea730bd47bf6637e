// The policy pack as the Pulumi engine runs it: `node policies/index.js` in the pack's folder,
// which serves Pulumi's analyzer gRPC service (@pulumi/policy) and prints its port. This harness
// plays the engine's part (a STAND-IN: no Pulumi CLI runs here): it configures the pack the way
// `--policy-pack-config` does and asks it to analyze resources, through the same protocol.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
// The engine's side of the protocol, from the same @pulumi/pulumi the pack uses.
const require = createRequire(path.join(ROOT, "node_modules", "@pulumi", "pulumi", "package.json"));
const grpc = require("@grpc/grpc-js");
const services = require("@pulumi/pulumi/proto/analyzer_grpc_pb.js");
const messages = require("@pulumi/pulumi/proto/analyzer_pb.js");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb.js");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb.js");

export type Level = "advisory" | "mandatory" | "disabled" | "remediate";
const LEVELS: Level[] = ["advisory", "mandatory", "disabled", "remediate"];

export interface Diagnostic {
  policyName: string;
  message: string;
  enforcementLevel: Level;
}

export interface AnalyzedResource {
  type: string;
  name: string;
  props: Record<string, unknown>;
}

/** A policy pack config as a `--policy-pack-config` file holds it: a level, or an object with one. */
export type PackConfig = Record<string, Level | { enforcementLevel?: Level; [k: string]: unknown }>;

export interface PolicyAnalyzer {
  /** Each policy with the level it reports to the engine. */
  info(): Promise<{ name: string; enforcementLevel: Level }[]>;
  configure(config: PackConfig): Promise<void>;
  analyze(r: AnalyzedResource): Promise<Diagnostic[]>;
  analyzeStack(rs: readonly AnalyzedResource[]): Promise<Diagnostic[]>;
  stop(): Promise<void>;
}

const urn = (r: AnalyzedResource) => `urn:pulumi:test::claude-code-telemetry::${r.type}::${r.name}`;
/** Inputs as the engine sends them: plain JSON values (what the mocks recorded). */
const struct = (props: Record<string, unknown>) => Struct.fromJavaScript(JSON.parse(JSON.stringify(props)));

function diagnostics(resp: any): Diagnostic[] {
  return resp
    .getDiagnosticsList()
    .map((d: any) => ({ policyName: d.getPolicyname(), message: d.getMessage(), enforcementLevel: LEVELS[d.getEnforcementlevel()] as Level }));
}

function call<T>(client: any, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => client[method](request, (err: Error | null, resp: T) => (err ? reject(err) : resolve(resp))));
}

export async function startPolicyAnalyzer(timeoutMs = 60_000): Promise<PolicyAnalyzer> {
  const child: ChildProcess = spawn(process.execPath, ["index.js"], { cwd: path.join(ROOT, "policies"), stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`the policy pack printed no port within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString("utf8");
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once("exit", (code) => reject(new Error(`the policy pack exited (${code}) before serving: ${stderr}`)));
  });
  const client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());

  const request = (r: AnalyzedResource, Message: any) => {
    const m = new Message();
    m.setType(r.type);
    m.setName(r.name);
    m.setUrn(urn(r));
    m.setProperties(struct(r.props));
    // The engine always sends the resource options; the pack refuses a request without them.
    m.setOptions(new messages.AnalyzerResourceOptions());
    return m;
  };
  const info = async (): Promise<{ name: string; enforcementLevel: Level }[]> => {
    const resp: any = await call(client, "getAnalyzerInfo", new Empty());
    return resp.getPoliciesList().map((p: any) => ({ name: p.getName(), enforcementLevel: LEVELS[p.getEnforcementlevel()] as Level }));
  };
  return {
    info,
    // As the engine does: every policy of the pack gets its level, the one the file gives (or its
    // "all"), else the pack's default, and the file's other properties.
    async configure(config) {
      const req = new messages.ConfigureAnalyzerRequest();
      const policies = await info();
      const unknown = Object.keys(config).filter((k) => k !== "all" && !policies.some((p) => p.name === k));
      const all = typeof config.all === "string" ? config.all : config.all?.enforcementLevel;
      for (const policy of policies) {
        const value = config[policy.name] ?? {};
        const { enforcementLevel, ...properties } = typeof value === "string" ? { enforcementLevel: value } : value;
        const pc = new messages.PolicyConfig();
        pc.setEnforcementlevel(LEVELS.indexOf(enforcementLevel ?? all ?? policy.enforcementLevel));
        pc.setProperties(struct(properties));
        req.getPolicyconfigMap().set(policy.name, pc);
      }
      if (unknown.length) throw new Error(`the config names policies the pack does not have: ${unknown.join(", ")}`);
      await call(client, "configure", req);
    },
    async analyze(r) {
      return diagnostics(await call(client, "analyze", request(r, messages.AnalyzeRequest)));
    },
    async analyzeStack(rs) {
      const req = new messages.AnalyzeStackRequest();
      req.setResourcesList(rs.map((r) => request(r, messages.AnalyzerResource)));
      return diagnostics(await call(client, "analyzeStack", req));
    },
    async stop() {
      client.close();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
