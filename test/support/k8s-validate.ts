// Validates Kubernetes objects (e.g. the inputs recorded by the Pulumi mock harness) against the
// OpenAPI schemas shipped in `kubernetes-models`: the model class for the object's apiVersion/kind is
// constructed and `.validate()` is called. An apiVersion/kind the package does not know is reported
// as a problem too, so a typo in either cannot pass unnoticed.
//
// Limit: the schemas accept unknown fields (as the API server's non-strict decoding does), so a
// misspelt field name is caught by the @pulumi/kubernetes input types at compile time, not here.
import * as models from "kubernetes-models";
import type { RecordedResource } from "./pulumi-mocks.js";

interface ModelClass {
  apiVersion: string;
  kind: string;
  new (data: unknown): { validate(): void };
}

function isModelClass(v: unknown): v is ModelClass {
  return typeof v === "function" && typeof (v as Partial<ModelClass>).apiVersion === "string" && typeof (v as Partial<ModelClass>).kind === "string";
}

let registry: Map<string, ModelClass> | undefined;

/** Every model class of the package, keyed `apiVersion/kind` (e.g. `apps/v1/Deployment`). */
export function modelRegistry(): Map<string, ModelClass> {
  if (registry) return registry;
  const found = new Map<string, ModelClass>();
  // Named groups nest group → version → class; the core group is exported as `v1` → class.
  const walk = (ns: unknown, depth: number): void => {
    for (const v of Object.values((ns ?? {}) as Record<string, unknown>)) {
      if (isModelClass(v)) found.set(`${v.apiVersion}/${v.kind}`, v);
      else if (depth > 0 && v && typeof v === "object") walk(v, depth - 1);
    }
  };
  walk(models, 2);
  registry = found;
  return registry;
}

/** Problems found in one object; empty when it validates. */
export function validateK8sObject(obj: Record<string, unknown>): string[] {
  const apiVersion = obj.apiVersion;
  const kind = obj.kind;
  if (typeof apiVersion !== "string" || typeof kind !== "string") return ["object has no apiVersion/kind"];
  const Model = modelRegistry().get(`${apiVersion}/${kind}`);
  if (!Model) return [`${apiVersion} ${kind}: no schema in kubernetes-models (unknown apiVersion/kind)`];
  try {
    new Model(obj).validate();
    return [];
  } catch (err) {
    return [`${apiVersion} ${kind}: ${(err as Error).message}`];
  }
}

/** Type tokens of Kubernetes resources, as opposed to the provider and components. */
export function isKubernetesObject(r: RecordedResource): boolean {
  return r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:");
}

/** Problems of every recorded Kubernetes object, prefixed with its type and logical name. */
export function validateRecorded(resources: readonly RecordedResource[]): string[] {
  return resources.filter(isKubernetesObject).flatMap((r) => validateK8sObject(r.inputs).map((p) => `${r.type} ${r.name}: ${p}`));
}
