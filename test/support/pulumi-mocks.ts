// A reusable Pulumi mock harness for unit tests (no engine, no CLI).
//
// Usage - mocks and config must be in place BEFORE the code under test is imported:
//
//   const mocks = await setupPulumiMocks({ config: { "claude-code-telemetry:target": "kubernetes" } });
//   const { KubernetesPlatform } = await import("../components/platform/kubernetes.js");
//   ... create resources ...
//   await mocks.settle();                      // every registration has reached the mock
//   mocks.ofType("kubernetes:apps/v1:Deployment")[0]?.inputs
//
// Every registered resource (custom and component) is recorded with its type, name, URN, parent URN,
// provider reference and inputs. Inputs are stored twice: `inputs` with secrets unwrapped to their
// plain values (for assertions and schema validation), and `secretPaths`, the paths that arrived as
// Pulumi secrets. The mock answers with the inputs as the resource's state (so outputs resolve to
// what was passed in), plus generated values for outputs the real provider computes (see
// `DEFAULT_COMPUTED_STATE`), and wraps in `pulumi.secret` the outputs the real engine marks secret
// (see `DEFAULT_SECRET_OUTPUTS`), because under mocks that marking does not happen by itself.
import * as pulumi from "@pulumi/pulumi";

/** Secret-marker of Pulumi's wire format; a value `{ [SIG_KEY]: SECRET_SIG, value }` is a secret. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface RecordedResource {
  /** Type token, e.g. `kubernetes:apps/v1:Deployment`, or a component's type. */
  readonly type: string;
  /** Logical (Pulumi) name. */
  readonly name: string;
  readonly urn: string;
  /** URN of the parent resource; undefined only for resources registered without a parent. */
  readonly parentUrn: string | undefined;
  /** true for provider-managed resources, false for components. */
  readonly custom: boolean;
  /** Provider reference (`urn::id`) when one was passed explicitly or inherited. */
  readonly provider: string | undefined;
  /** Inputs with secret markers removed (plain values). */
  readonly inputs: Record<string, any>;
  /** Paths of inputs that arrived as secrets, e.g. `stringData` or `spec.template`. */
  readonly secretPaths: readonly string[];
}

export interface RecordedCall {
  readonly token: string;
  readonly inputs: Record<string, any>;
}

type State = Record<string, unknown>;

export interface MockOptions {
  project?: string;
  stack?: string;
  /** Run as a preview (outputs of unknown values stay unknown). */
  preview?: boolean;
  /** Stack config, full keys (`project:key` or `provider:key`); objects are JSON-encoded. */
  config?: Record<string, unknown>;
  /** Config keys to mark secret. */
  secretConfigKeys?: string[];
  /** Extra or replacement entries for `DEFAULT_SECRET_OUTPUTS` (type → top-level output names). */
  secretOutputs?: Record<string, readonly string[]>;
  /** Extra or replacement entries for `DEFAULT_COMPUTED_STATE`. */
  computedState?: Record<string, (inputs: Record<string, any>, name: string) => State>;
  /**
   * Results of provider function calls (invokes) by token. An invoke of any other token fails the
   * program (as no real provider would answer `{}`), so a new invoke cannot pass unnoticed.
   */
  calls?: Record<string, (inputs: Record<string, any>) => State>;
  /**
   * Stand-ins for providers, by resource type: called with the recorded resource (plain inputs),
   * they may create the real thing (e.g. a container in a Docker Engine) and answer with its id
   * and the outputs to add. A rejection fails the registration, as a provider error would.
   */
  providers?: Record<string, (resource: RecordedResource) => Promise<{ id?: string; state?: State }>>;
}

/** Outputs the real engine or provider marks secret, by resource type. */
export const DEFAULT_SECRET_OUTPUTS: Readonly<Record<string, readonly string[]>> = {
  "random:index/randomPassword:RandomPassword": ["result", "bcryptHash"],
  "kubernetes:core/v1:Secret": ["data", "stringData"],
  "tls:index/privateKey:PrivateKey": ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"],
};

/** A deterministic stand-in for a random string of `length` characters (never a real secret). */
function fakeRandom(name: string, length: number): string {
  const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  let h = 2166136261;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  let out = "";
  for (let i = 0; i < length; i++) {
    h = Math.imul(h ^ i, 16777619) >>> 0;
    out += alphabet[h % alphabet.length];
  }
  return out;
}

/** Outputs a real provider computes that the inputs lack, by resource type. */
export const DEFAULT_COMPUTED_STATE: Readonly<Record<string, (inputs: Record<string, any>, name: string) => State>> = {
  "random:index/randomPassword:RandomPassword": (i, name) => {
    const result = fakeRandom(name, Number(i.length ?? 16));
    return { result, bcryptHash: `$2a$10$${fakeRandom(name + "-hash", 53)}` };
  },
  "random:index/randomString:RandomString": (i, name) => ({ result: fakeRandom(name, Number(i.length ?? 16)) }),
  "random:index/randomId:RandomId": (i, name) => {
    const hex = Buffer.from(fakeRandom(name, Number(i.byteLength ?? 8))).toString("hex");
    return { hex, b64Url: Buffer.from(hex, "hex").toString("base64url"), dec: BigInt("0x" + hex).toString() };
  },
};

function isSecretMarker(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Removes secret markers, collecting the paths where they were. */
export function unwrapSecrets(value: unknown, path = "", found: string[] = []): { plain: any; secretPaths: string[] } {
  const walk = (v: unknown, p: string): unknown => {
    if (isSecretMarker(v)) {
      found.push(p);
      return walk(v.value, p);
    }
    if (Array.isArray(v)) return v.map((e, i) => walk(e, `${p}[${i}]`));
    if (v && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, walk(e, p ? `${p}.${k}` : k)]));
    }
    return v;
  };
  return { plain: walk(value, path), secretPaths: found };
}

export interface MockHarness {
  /** Every resource registered so far, in registration order. */
  readonly resources: readonly RecordedResource[];
  readonly calls: readonly RecordedCall[];
  ofType(type: string): RecordedResource[];
  /** The resource of this type and logical name; throws when there is none. */
  get(type: string, name: string): RecordedResource;
  byUrn(urn: string): RecordedResource | undefined;
  parentOf(r: RecordedResource): RecordedResource | undefined;
  /** Whether the input at `path` (or one of its ancestors) arrived as a secret. */
  isSecretInput(r: RecordedResource, path: string): boolean;
  /** Waits until every pending registration and output has been processed. */
  settle(): Promise<void>;
}

interface MonitorLike {
  registerResource(req: RequestLike, cb: (...a: unknown[]) => void): unknown;
  readResource?(req: RequestLike, cb: (...a: unknown[]) => void): unknown;
}
interface RequestLike {
  getType(): string;
  getName(): string;
  getParent(): string;
}

/** Installs the mocks and config. Call before importing code that creates resources. */
export async function setupPulumiMocks(options: MockOptions = {}): Promise<MockHarness> {
  const project = options.project ?? "project";
  const stack = options.stack ?? "stack";
  const secretOutputs = { ...DEFAULT_SECRET_OUTPUTS, ...options.secretOutputs };
  const computed = { ...DEFAULT_COMPUTED_STATE, ...options.computedState };
  const resources: RecordedResource[] = [];
  const calls: RecordedCall[] = [];
  // The mock API does not pass the parent; the monitor request does. The mock monitor calls
  // newResource synchronously from its registration method, so the request being handled is known.
  let current: { type: string; name: string; parent: string } | undefined;

  if (options.config) {
    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.config)) config[k] = typeof v === "string" ? v : JSON.stringify(v);
    pulumi.runtime.setAllConfig(config, options.secretConfigKeys);
  }

  const urnOf = (type: string, name: string, parentUrn: string | undefined): string => {
    let qualified = type;
    if (parentUrn) qualified = `${parentUrn.split("::")[2]?.split("$").pop()}$${type}`;
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
  };

  const mocks: pulumi.runtime.Mocks = {
    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: State } | Promise<{ id: string | undefined; state: State }> {
      // Recorded synchronously: `current` (the parent) is only valid during this call.
      const { plain, secretPaths } = unwrapSecrets(args.inputs ?? {});
      const parentUrn = current && current.type === args.type && current.name === args.name ? current.parent || undefined : undefined;
      const recorded: RecordedResource = {
        type: args.type,
        name: args.name,
        urn: urnOf(args.type, args.name, parentUrn),
        parentUrn,
        custom: args.custom !== false,
        provider: args.provider || undefined,
        inputs: plain,
        secretPaths,
      };
      resources.push(recorded);
      // Inputs (secret markers kept, so secret inputs stay secret outputs) plus computed outputs.
      const state: State = { ...(args.inputs ?? {}), ...(computed[args.type]?.(plain, args.name) ?? {}) };
      for (const key of secretOutputs[args.type] ?? []) {
        if (state[key] !== undefined && !isSecretMarker(state[key])) state[key] = pulumi.secret(state[key]);
      }
      const id = args.id || `${args.name}-id`;
      const provider = options.providers?.[args.type];
      if (!provider) return { id, state };
      return provider(recorded).then((r) => ({ id: r.id ?? id, state: { ...state, ...r.state } }));
    },
    call(args: pulumi.runtime.MockCallArgs): State {
      const { plain } = unwrapSecrets(args.inputs ?? {});
      calls.push({ token: args.token, inputs: plain });
      const answer = options.calls?.[args.token];
      if (!answer) {
        // The SDK drops the message of an error thrown here, so it is also written where the test run shows it.
        const message = `the Pulumi mocks know no invoke ${args.token}: give its result in setupPulumiMocks({ calls })`;
        process.stderr.write(`${message}\n`);
        throw new Error(message);
      }
      return answer(plain);
    },
  };

  await pulumi.runtime.setMocks(mocks, project, stack, options.preview ?? false);

  // Record parents by wrapping the installed mock monitor's registration entry points.
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike | undefined;
  if (monitor) {
    for (const method of ["registerResource", "readResource"] as const) {
      const original = monitor[method]?.bind(monitor);
      if (!original) continue;
      monitor[method] = (req: RequestLike, cb: (...a: unknown[]) => void) => {
        current = { type: req.getType(), name: req.getName(), parent: req.getParent() };
        try {
          return original(req, cb);
        } finally {
          current = undefined;
        }
      };
    }
  }

  const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
  const harness: MockHarness = {
    resources,
    calls,
    ofType: (type) => resources.filter((r) => r.type === type),
    get(type, name) {
      const found = resources.find((r) => r.type === type && r.name === name);
      if (!found) throw new Error(`no ${type} named ${name}; have: ${resources.map((r) => `${r.type}/${r.name}`).join(", ")}`);
      return found;
    },
    byUrn: (urn) => resources.find((r) => r.urn === urn),
    parentOf: (r) => (r.parentUrn ? resources.find((p) => p.urn === r.parentUrn) : undefined),
    isSecretInput: (r, path) => r.secretPaths.some((p) => p === "" || path === p || path.startsWith(p + ".") || path.startsWith(p + "[")),
    async settle() {
      // Registrations start other registrations (outputs resolving into inputs): repeat until quiet.
      let stableRounds = 0;
      let last = -1;
      while (stableRounds < 3) {
        await waitForRPCs?.();
        await new Promise((r) => setTimeout(r, 5));
        stableRounds = resources.length === last ? stableRounds + 1 : 0;
        last = resources.length;
      }
    },
  };
  return harness;
}

/** The value of an output (for assertions). */
export function outputValue<T>(o: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));
}

/** Whether an output is marked secret. */
export function isSecretOutput<T>(o: pulumi.Output<T>): Promise<boolean> {
  return pulumi.isSecret(o);
}

/** Every leaf string in a value, with its path: for "this secret appears nowhere else" checks. */
export function stringLeaves(value: unknown, path = ""): { path: string; value: string }[] {
  if (typeof value === "string") return [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((e, i) => stringLeaves(e, `${path}[${i}]`));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, e]) => stringLeaves(e, path ? `${path}.${k}` : k));
  }
  return [];
}
