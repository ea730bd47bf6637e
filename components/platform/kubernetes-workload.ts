// The pod, workload, Service and scaling objects of one service, as plain @pulumi/kubernetes inputs.
// Pure functions: kubernetes.ts turns their results into resources.
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type { ServiceName } from "../images.js";
import type { KubernetesSettings } from "../settings.js";
import type { ServiceSpec } from "./spec.js";
import { fileKey, objectName, plainFiles, secretFiles, selectorLabels, serviceLabels, type KubernetesNaming } from "./kubernetes-names.js";

type PodTemplateSpec = k8s.types.input.core.v1.PodTemplateSpec;
type Container = k8s.types.input.core.v1.Container;
type Probe = k8s.types.input.core.v1.Probe;

/** Pod annotation holding the configuration hash: a new value rolls the pods. */
export const CONFIG_HASH_ANNOTATION = "checksum/config";

const CONFIG_VOLUME = "config";
const SECRET_VOLUME = "secret-files";
const TMP_VOLUME = "tmp";
export const DATA_VOLUME = "data";

export interface PodInputs {
  readonly naming: KubernetesNaming;
  readonly spec: ServiceSpec;
  /** ConfigMap with the non-secret files, when there are any. */
  readonly configMapName?: pulumi.Input<string>;
  /** Secret with the secret files and secret env, when there are any. */
  readonly secretName?: pulumi.Input<string>;
  readonly configHash: pulumi.Input<string>;
}

function httpProbe(spec: ServiceSpec, timing: Omit<Probe, "httpGet">): Probe {
  return { httpGet: { path: spec.health.path, port: spec.health.port, scheme: "HTTP" }, ...timing };
}

export function container({ spec, secretName }: PodInputs): Container {
  const secretEnv = Object.keys(spec.secretEnv ?? {});
  if (secretEnv.length && !secretName) throw new Error(`service ${spec.name}: secret environment needs a Secret`);
  const env: k8s.types.input.core.v1.EnvVar[] = [
    ...Object.entries(spec.env ?? {}).map(([name, value]) => ({ name, value })),
    // Secret values never enter the pod spec: the kubelet reads them from the Secret.
    ...secretEnv.map((name) => ({ name, valueFrom: { secretKeyRef: { name: secretName, key: name } } })),
  ];
  const mounts: k8s.types.input.core.v1.VolumeMount[] = [
    // One subPath mount per file, so the image's other files in the same directory stay visible.
    ...plainFiles(spec).map((f) => ({ name: CONFIG_VOLUME, mountPath: f.path, subPath: fileKey(f.path), readOnly: true })),
    ...secretFiles(spec).map((f) => ({ name: SECRET_VOLUME, mountPath: f.path, subPath: fileKey(f.path), readOnly: true })),
    ...(spec.readOnlyRootFilesystem ? [{ name: TMP_VOLUME, mountPath: "/tmp" }] : []),
    ...(spec.volume ? [{ name: DATA_VOLUME, mountPath: spec.volume.path }] : []),
  ];
  return {
    name: spec.name,
    image: spec.image,
    imagePullPolicy: "IfNotPresent",
    command: spec.entrypoint ? [...spec.entrypoint] : undefined,
    args: spec.args ? [...spec.args] : undefined,
    ports: spec.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: "TCP" })),
    env: env.length ? env : undefined,
    resources: {
      requests: { cpu: spec.resources.cpuRequest, memory: `${spec.resources.memoryRequestMiB}Mi` },
      limits: { cpu: spec.resources.cpuLimit, memory: `${spec.resources.memoryLimitMiB}Mi` },
    },
    // The startup probe holds liveness back while a slow start (WAL replay, ring join) is under way.
    startupProbe: httpProbe(spec, { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 60 }),
    readinessProbe: httpProbe(spec, { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }),
    livenessProbe: httpProbe(spec, { periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 }),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: spec.runAsUser,
      runAsGroup: spec.runAsUser,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: spec.readOnlyRootFilesystem,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumeMounts: mounts.length ? mounts : undefined,
  };
}

export function podTemplate(p: PodInputs): PodTemplateSpec {
  const { spec, naming } = p;
  const volumes: k8s.types.input.core.v1.Volume[] = [];
  if (p.configMapName) volumes.push({ name: CONFIG_VOLUME, configMap: { name: p.configMapName } });
  if (p.secretName && secretFiles(spec).length) {
    volumes.push({ name: SECRET_VOLUME, secret: { secretName: p.secretName, defaultMode: 0o440 } });
  }
  if (spec.readOnlyRootFilesystem) volumes.push({ name: TMP_VOLUME, emptyDir: { sizeLimit: "1Gi" } });
  return {
    metadata: {
      labels: serviceLabels(naming, spec.name),
      annotations: { [CONFIG_HASH_ANNOTATION]: p.configHash },
    },
    spec: {
      // None of the services talks to the Kubernetes API.
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: spec.runAsUser,
        runAsGroup: spec.runAsUser,
        // Makes the persistent volume writable for the image's user.
        fsGroup: spec.runAsUser,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
      },
      containers: [container(p)],
      volumes: volumes.length ? volumes : undefined,
      // Scaled services: replicas on different nodes where possible, so one node loss keeps ingest up.
      topologySpreadConstraints: spec.scaling
        ? [
            {
              maxSkew: 1,
              topologyKey: "kubernetes.io/hostname",
              whenUnsatisfiable: "ScheduleAnyway",
              labelSelector: { matchLabels: selectorLabels(naming, spec.name) },
            },
          ]
        : undefined,
    },
  };
}

type ObjectMeta = k8s.types.input.meta.v1.ObjectMeta;

export function metadata(naming: KubernetesNaming, spec: ServiceSpec, namespace: pulumi.Input<string>, suffix = ""): ObjectMeta {
  return { name: objectName(naming, spec.name) + suffix, namespace, labels: serviceLabels(naming, spec.name) };
}

/** Stateless: a Deployment, replicas from `scaling.min` (the autoscaler takes over from there). */
export function deploymentSpec(p: PodInputs): k8s.types.input.apps.v1.DeploymentSpec {
  return {
    replicas: p.spec.scaling?.min ?? 1,
    revisionHistoryLimit: 5,
    selector: { matchLabels: selectorLabels(p.naming, p.spec.name) },
    // A new pod is ready before an old one goes: no ingest gap during a rollout.
    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    template: podTemplate(p),
  };
}

/** The claim of a service's data volume: the stack's storage class, the size kubernetes.storage gives the service. */
export interface VolumeClaim {
  readonly storageClass?: string;
  readonly size: string;
}

export function volumeClaim(settings: KubernetesSettings, service: ServiceName): VolumeClaim {
  const sizes: Partial<Record<ServiceName, string>> = settings.storage;
  const size = sizes[service];
  if (!size) throw new Error(`service ${service}: its volume has no size in kubernetes.storage`);
  return { storageClass: settings.storageClass, size };
}

/** Stateful: one replica whose data directory is a PersistentVolumeClaim from the template. */
export function statefulSetSpec(p: PodInputs, claim: VolumeClaim): k8s.types.input.apps.v1.StatefulSetSpec {
  const volume = p.spec.volume;
  if (!volume) throw new Error(`service ${p.spec.name}: a StatefulSet needs spec.volume`);
  return {
    replicas: 1,
    revisionHistoryLimit: 5,
    serviceName: objectName(p.naming, p.spec.name),
    selector: { matchLabels: selectorLabels(p.naming, p.spec.name) },
    updateStrategy: { type: "RollingUpdate" },
    // Data outlives the StatefulSet: deleting the stack keeps the claims (delete them by hand).
    persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
    template: podTemplate(p),
    volumeClaimTemplates: [
      {
        metadata: { name: DATA_VOLUME, labels: serviceLabels(p.naming, p.spec.name) },
        spec: {
          accessModes: ["ReadWriteOnce"],
          storageClassName: claim.storageClass,
          resources: { requests: { storage: claim.size } },
        },
      },
    ],
  };
}

export function serviceSpec(naming: KubernetesNaming, spec: ServiceSpec): k8s.types.input.core.v1.ServiceSpec {
  return {
    type: "ClusterIP",
    selector: selectorLabels(naming, spec.name),
    ports: spec.ports.map((p) => ({
      name: p.name,
      port: p.port,
      targetPort: p.name,
      protocol: "TCP",
      // The standard value for cleartext HTTP/2, which is what gRPC without TLS speaks.
      appProtocol: p.protocol === "grpc" ? "kubernetes.io/h2c" : "http",
    })),
  };
}

export function autoscalerSpec(naming: KubernetesNaming, spec: ServiceSpec): k8s.types.input.autoscaling.v2.HorizontalPodAutoscalerSpec {
  const scaling = spec.scaling!;
  return {
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: objectName(naming, spec.name) },
    minReplicas: scaling.min,
    maxReplicas: scaling.max,
    metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: scaling.targetCpuPercent } } }],
  };
}

/**
 * With two or more replicas, keep at least one serving during node drains; with one replica
 * `minAvailable: 1` would block every drain, so allow that one to move instead.
 */
export function disruptionBudgetSpec(naming: KubernetesNaming, spec: ServiceSpec): k8s.types.input.policy.v1.PodDisruptionBudgetSpec {
  const selector = { matchLabels: selectorLabels(naming, spec.name) };
  return (spec.scaling?.min ?? 1) >= 2 ? { minAvailable: 1, selector } : { maxUnavailable: 1, selector };
}
