// Picks the platform a stack's target names; the only place that knows both.
import type * as pulumi from "@pulumi/pulumi";
import type { Settings } from "./settings.js";
import type { Platform } from "./platform/spec.js";
import { DockerPlatform } from "./platform/docker.js";
import { KubernetesPlatform } from "./platform/kubernetes.js";

export function platformFor(settings: Settings): (parent: pulumi.Resource) => Platform {
  if (settings.target === "kubernetes") {
    return (parent) => new KubernetesPlatform({ settings: settings.kubernetes, namePrefix: settings.namePrefix, parent });
  }
  return (parent) => new DockerPlatform(settings, parent);
}
