// The platform-neutral description of one service, and the Platform interface that turns it into
// Docker or Kubernetes resources. Services describe themselves; only platforms know Docker or Kubernetes.
import type * as pulumi from "@pulumi/pulumi";
import type { ServiceName } from "../images.js";

export interface ServicePort {
  /** Short name, also the Kubernetes port name (≤ 15 chars). */
  readonly name: string;
  readonly port: number;
  /** `grpc` makes the Kubernetes ingress speak gRPC to the backend. */
  readonly protocol: "http" | "grpc";
  /**
   * For clients and people on other machines (OTLP, Grafana's login page). Docker publishes it on
   * docker.bindAddress; ports without it (Prometheus, Loki: no login of their own) on 127.0.0.1
   * whatever the bind address. Which ports Docker publishes, and where, is its own setting
   * (docker.ports, see docker-ports.ts).
   */
  readonly network?: boolean;
  /** Reachable from outside the cluster through the ingress, where the service has a host (Kubernetes). */
  readonly public?: boolean;
  /**
   * URL path prefixes the ingress routes to this port (Kubernetes only; default `/`). Needed when a
   * service has a gRPC and an HTTP public port on one host: gRPC paths are `/<package>.<Service>`.
   */
  readonly ingressPaths?: readonly string[];
  /**
   * Who may connect to this port (Kubernetes NetworkPolicy). Absent: any service of the stack, or
   * for a public port only the ingress controller. `[]`: only the service itself. A public port that
   * has an ingress always admits the ingress controller as well.
   */
  readonly ingressFrom?: readonly PortPeer[];
}

/** A peer allowed to connect to a port: another service of the stack, or the cluster's ingress controller. */
export type PortPeer = ServiceName | "ingress-controller";

export interface ConfigFile {
  /** Absolute path inside the container. */
  readonly path: string;
  readonly content: pulumi.Input<string>;
  /** Holds secret material: a Kubernetes Secret instead of a ConfigMap, a secret input on Docker. */
  readonly secret?: boolean;
}

export interface HttpCheck {
  readonly port: number;
  readonly path: string;
}

export interface ServiceSpec {
  readonly name: ServiceName;
  readonly image: string;
  /**
   * Replaces the image's entrypoint (Docker `Entrypoint`, Kubernetes `command`); `args` follow it.
   * For a start-up step the image itself does not do, which must end by exec'ing its entrypoint.
   */
  readonly entrypoint?: readonly string[];
  readonly args?: readonly string[];
  readonly ports: readonly ServicePort[];
  readonly files: readonly ConfigFile[];
  /** Plain environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Secret environment: a Kubernetes Secret, a secret input on Docker. */
  readonly secretEnv?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Persistent data directory; a named volume on Docker, a PVC on Kubernetes (sized by kubernetes.storage). */
  readonly volume?: { readonly path: string };
  /** Readiness: the HTTP endpoint that answers 200 when the service is ready. */
  readonly health: HttpCheck;
  /** A Docker HEALTHCHECK command, for images that ship a tool to run it (distroless ones do not). */
  readonly dockerHealthCommand?: readonly string[];
  readonly resources: {
    readonly cpuRequest: string;
    readonly memoryRequestMiB: number;
    readonly cpuLimit: string;
    readonly memoryLimitMiB: number;
  };
  /** User the image runs as, e.g. "65534" or "472"; used for the pod securityContext. */
  readonly runAsUser: number;
  /** Whether the image runs with a read-only root filesystem (writable dirs are volumes). */
  readonly readOnlyRootFilesystem: boolean;
  /**
   * Stateless services scale horizontally between min and max replicas (collector); stateful ones
   * are single StatefulSets. A platform that runs one container per service (Docker) ignores it.
   */
  readonly scaling?: { readonly min: number; readonly max: number; readonly targetCpuPercent: number };
  /** Hash of everything that needs a restart when it changes (Docker re-creates, Kubernetes rolls). */
  readonly configHash?: pulumi.Input<string>;
}

/** What a platform hands back for a deployed service. */
export interface DeployedService {
  /** host:port others in the stack use to reach the service, by port name. */
  readonly internalEndpoints: Readonly<Record<string, string>>;
  /** Resources to depend on: the service is up (and, where waited for, healthy) when they are. */
  readonly ready: pulumi.Output<unknown>;
}

export interface Platform {
  /** How services in the stack reach each other: host name of a service. */
  hostOf(service: ServiceName): string;
  deploy(spec: ServiceSpec, parent: pulumi.Resource): DeployedService;
}
