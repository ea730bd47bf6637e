// KubernetesPlatform: turns a platform-neutral ServiceSpec into Kubernetes objects with
// @pulumi/kubernetes. The objects' shapes come from pure builders (kubernetes-workload/-ingress/
// -network.ts); this file creates the resources, each a child of the service's component.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { ServiceName } from "../images.js";
import type { KubernetesSettings } from "../settings.js";
import type { DeployedService, Platform, ServiceSpec } from "./spec.js";
import { checkSpec, fileKey, objectName, plainFiles, secretFiles, serviceHost, serviceLabels, stackLabels, type KubernetesNaming } from "./kubernetes-names.js";
import {
  autoscalerSpec,
  deploymentSpec,
  disruptionBudgetSpec,
  metadata,
  serviceSpec,
  statefulSetSpec,
  volumeClaim,
  type PodInputs,
} from "./kubernetes-workload.js";
import {
  CLIENT_CA_KEY,
  clientCaSecretName,
  ingressAnnotations,
  ingressSpec,
  planIngresses,
  hasHostSetting,
  requiresClientCertificates,
} from "./kubernetes-ingress.js";
import { acmeSolverSpec, defaultDenySpec, servicePolicySpec } from "./kubernetes-network.js";

export interface KubernetesPlatformArgs {
  /** The stack's `kubernetes` settings. */
  readonly settings: KubernetesSettings;
  /** Prefix of every object name (`${prefix}-${service}`): the stack's `namePrefix`. */
  readonly namePrefix: string;
  /** Parent of the provider, the namespace and the namespace-wide policies (the stack component). */
  readonly parent: pulumi.Resource;
  /** A provider to use instead of the ambient one or one created for `settings.context`. */
  readonly provider?: k8s.Provider;
  /** Further arguments for the provider created here (e.g. `kubeconfig`); one is created when given. */
  readonly providerArgs?: Omit<k8s.ProviderArgs, "context">;
}

export class KubernetesPlatform implements Platform {
  readonly naming: KubernetesNaming;
  readonly provider: k8s.Provider | undefined;
  readonly namespace: k8s.core.v1.Namespace;
  private readonly settings: KubernetesSettings;
  /** The namespace's name as an output, so every namespaced object waits for the namespace. */
  private readonly namespaceName: pulumi.Output<string>;

  constructor(args: KubernetesPlatformArgs) {
    const { settings, parent } = args;
    this.settings = settings;
    this.naming = { prefix: args.namePrefix, namespace: settings.namespace };
    const prefix = this.naming.prefix;
    if (settings.grafanaHost && settings.grafanaHost === settings.otlpHost) {
      // The OTLP host may demand client certificates and routes `/`: Grafana needs its own host.
      throw new Error("kubernetes.grafanaHost must differ from kubernetes.otlpHost");
    }

    this.provider =
      args.provider ??
      (settings.context || args.providerArgs ? new k8s.Provider(`${prefix}-k8s`, { ...args.providerArgs, context: settings.context }, { parent }) : undefined);
    const opts = { parent, provider: this.provider };

    this.namespace = new k8s.core.v1.Namespace(
      `${prefix}-namespace`,
      {
        metadata: {
          name: settings.namespace,
          labels: {
            ...stackLabels(this.naming),
            // Every pod here meets the "restricted" Pod Security Standard; have the API server hold us to it.
            // (cert-manager's HTTP-01 solver pods, created here during issuance, comply since cert-manager 1.9.1.)
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
          },
        },
      },
      opts,
    );
    this.namespaceName = this.namespace.metadata.name;

    const policyMeta = (name: string) => ({ name, namespace: this.namespaceName, labels: stackLabels(this.naming) });
    new k8s.networking.v1.NetworkPolicy(`${prefix}-default-deny`, { metadata: policyMeta(`${prefix}-default-deny`), spec: defaultDenySpec() }, opts);
    new k8s.networking.v1.NetworkPolicy(
      `${prefix}-acme-http01-solver`,
      { metadata: policyMeta(`${prefix}-acme-http01-solver`), spec: acmeSolverSpec(settings) },
      opts,
    );
  }

  hostOf(service: ServiceName): string {
    return serviceHost(this.naming, service);
  }

  deploy(spec: ServiceSpec, parent: pulumi.Resource): DeployedService {
    checkSpec(this.naming, spec);
    const { naming, settings } = this;
    const name = objectName(naming, spec.name);
    const opts: pulumi.CustomResourceOptions = { parent, provider: this.provider };
    const meta = (suffix = "") => metadata(naming, spec, this.namespaceName, suffix);
    // Fixed names: a replaced ConfigMap or Secret must be deleted before its successor is created.
    const replaceOpts = { ...opts, deleteBeforeReplace: true };

    let configMapName: pulumi.Output<string> | undefined;
    const files = plainFiles(spec);
    if (files.length) {
      const data = Object.fromEntries(files.map((f) => [fileKey(f.path), f.content]));
      configMapName = new k8s.core.v1.ConfigMap(name, { metadata: meta(), data }, replaceOpts).metadata.name;
    }

    let secretName: pulumi.Output<string> | undefined;
    const secretData: Record<string, pulumi.Output<string>> = {};
    // The Secret resource marks stringData secret as a whole; each value is wrapped too, so it stays
    // secret wherever else its Output travels, whatever the caller passed.
    for (const f of secretFiles(spec)) secretData[fileKey(f.path)] = pulumi.secret(f.content);
    for (const [k, v] of Object.entries(spec.secretEnv ?? {})) secretData[k] = pulumi.secret(v);
    if (Object.keys(secretData).length) {
      secretName = new k8s.core.v1.Secret(name, { metadata: meta(), type: "Opaque", stringData: secretData }, replaceOpts).metadata.name;
    }

    const pod: PodInputs = { naming, spec, configMapName, secretName, configHash: spec.configHash ?? plainConfigHash(spec) };
    const workload = spec.volume
      ? new k8s.apps.v1.StatefulSet(name, { metadata: meta(), spec: statefulSetSpec(pod, volumeClaim(settings, spec.name)) }, opts)
      : new k8s.apps.v1.Deployment(name, { metadata: meta(), spec: deploymentSpec(pod) }, opts);

    const service = new k8s.core.v1.Service(name, { metadata: meta(), spec: serviceSpec(naming, spec) }, opts);

    if (spec.scaling) {
      new k8s.autoscaling.v2.HorizontalPodAutoscaler(name, { metadata: meta(), spec: autoscalerSpec(naming, spec) }, opts);
      new k8s.policy.v1.PodDisruptionBudget(name, { metadata: meta(), spec: disruptionBudgetSpec(naming, spec) }, opts);
    }

    this.deployIngresses(spec, opts);

    new k8s.networking.v1.NetworkPolicy(name, { metadata: meta(), spec: servicePolicySpec(naming, settings, spec) }, opts);

    const host = this.hostOf(spec.name);
    return {
      internalEndpoints: Object.fromEntries(spec.ports.map((p) => [p.name, `${host}:${p.port}`])),
      ready: pulumi.all([workload.id, service.id]).apply(() => true),
    };
  }

  private deployIngresses(spec: ServiceSpec, opts: pulumi.CustomResourceOptions): void {
    const { naming, settings } = this;
    // A public port of a service that can have no host is a mistake; an unset optional host is not.
    const unrouted = hasHostSetting(spec.name) ? [] : spec.ports.filter((p) => p.public);
    if (unrouted.length) {
      pulumi.log.warn(`${spec.name}: public port(s) ${unrouted.map((p) => p.name).join(", ")} get no Ingress: no host is configured for this service`);
    }
    const plans = planIngresses(naming, settings, spec);
    if (plans.length === 0) return;

    const labels = serviceLabels(naming, spec.name);
    let caSecret: k8s.core.v1.Secret | undefined;
    if (requiresClientCertificates(settings, spec.name)) {
      const caName = clientCaSecretName(naming, spec.name);
      // Public CA certificates, not secret material; ingress-nginx reads them from a Secret.
      caSecret = new k8s.core.v1.Secret(
        caName,
        { metadata: { name: caName, namespace: this.namespaceName, labels }, type: "Opaque", stringData: { [CLIENT_CA_KEY]: settings.clientCaPem! } },
        { ...opts, deleteBeforeReplace: true },
      );
    }
    for (const plan of plans) {
      new k8s.networking.v1.Ingress(
        plan.name,
        {
          metadata: { name: plan.name, namespace: this.namespaceName, labels, annotations: ingressAnnotations(naming, settings, spec.name, plan) },
          spec: ingressSpec(naming, settings, spec.name, plan),
        },
        // The CA Secret first, so the controller never sees the Ingress without it.
        caSecret ? { ...opts, dependsOn: [caSecret] } : opts,
      );
    }
  }
}

/** Hash of the non-secret files and plain env, when the spec brings no configHash of its own. */
function plainConfigHash(spec: ServiceSpec): pulumi.Output<string> {
  return pulumi.all(plainFiles(spec).map((f) => pulumi.all([f.path, f.content]))).apply((files) =>
    createHash("sha256")
      .update(JSON.stringify({ files: [...files].sort(([a], [b]) => a.localeCompare(b)), env: Object.entries(spec.env ?? {}).sort() }))
      .digest("hex"),
  );
}
