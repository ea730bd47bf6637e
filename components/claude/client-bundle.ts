// Everything the stack hands to Claude Code clients, derived from the stack's settings: the env
// block, managed-settings.json and its drop-in, the macOS profile, the Windows .reg file and the
// rollout guide. Pure: the program and the render command produce the same files.
import type { Settings } from "../settings.js";
import { publicEndpoints } from "../endpoints.js";
import { requiresIngestToken } from "../ingest-auth.js";
import { SERVICES_WITH_DATA, volumeName } from "../platform/docker-names.js";
import {
  clientAuthFor,
  formatSettingsJson,
  renderClientEnv,
  renderDropIn,
  MANAGED_SETTINGS_PATHS,
  MANAGED_SETTINGS_DROP_IN_DIRS,
  DROP_IN_FILE_NAME,
  type ClientTarget,
  type PerUserPlatform,
} from "./managed-settings.js";
import { renderMobileconfig, renderRegFile, renderRegRemovalFile } from "./mdm.js";
import { renderRolloutGuide } from "./rollout-guide.js";
import { collectedMarkdown, policyOf } from "../privacy.js";
import { allDashboards } from "../../dashboards/index.js";

export interface ClientBundle {
  /** The env block (holds the ingest token where there is one); never a per-user template. */
  env: Record<string, string>;
  /** managed-settings.json content. */
  managedSettings: string;
  /** managed-settings.d/10-telemetry.json content. */
  dropIn: string;
  /** With client.perUserIdentity, its OTEL_RESOURCE_ATTRIBUTES carries the macOS template. */
  mobileconfig: string;
  /**
   * Windows registry file as text (write it with regFileBytes for regedit); with
   * client.perUserIdentity the value is REG_EXPAND_SZ carrying the Windows template.
   */
  reg: string;
}

/** Where managed settings go on each OS, for MDM tooling. */
export const MANAGED_SETTINGS_LOCATIONS = {
  file: MANAGED_SETTINGS_PATHS,
  dropIn: Object.fromEntries(
    Object.entries(MANAGED_SETTINGS_DROP_IN_DIRS).map(([os, dir]) => [os, `${dir}${os === "windows" ? "\\" : "/"}${DROP_IN_FILE_NAME}`]),
  ),
} as const;

function clientTarget(settings: Settings, token: string | undefined): ClientTarget {
  const e = publicEndpoints(settings);
  return {
    client: settings.client,
    environment: settings.environment,
    endpoints: { grpc: e.otlpGrpc, http: e.otlpHttp },
    auth: clientAuthFor(settings.client, { token, clientCertificates: settings.kubernetes?.clientCaPem !== undefined }),
  };
}

/** `token` is the ingest token for stacks that require one (or a placeholder when rendering for review). */
export function renderClientBundle(settings: Settings, token: string | undefined): ClientBundle {
  const target = clientTarget(settings, token);
  const env = renderClientEnv(target);
  const managed = { env };
  // Only the MDM files can fill in a person: the MDM substitutes its variables, Windows expands REG_EXPAND_SZ.
  const perUser = settings.client.perUserIdentity !== undefined;
  const forMdm = (platform: PerUserPlatform) => (perUser ? { env: renderClientEnv({ ...target, perUser: platform }) } : managed);
  return {
    env,
    managedSettings: formatSettingsJson(managed),
    dropIn: renderDropIn(target).content,
    mobileconfig: renderMobileconfig(forMdm("macos"), { stackName: settings.stack }),
    reg: renderRegFile(forMdm("windows"), { expand: perUser }),
  };
}

/** The rollout guide: no secret in it, whatever the stack. */
export function renderStackRolloutGuide(settings: Settings): string {
  const target = clientTarget(settings, undefined);
  const e = publicEndpoints(settings);
  const requiresToken = requiresIngestToken(settings);
  const mtls = settings.kubernetes?.clientCaPem !== undefined;
  return renderRolloutGuide({
    stackName: settings.stack,
    target: settings.target,
    endpoints: target.endpoints,
    grafanaUrl: e.grafana,
    client: settings.client,
    authKind: mtls ? "mtls" : requiresToken ? "bearer" : "none",
    environment: settings.environment,
    tokenWithMtls: mtls && requiresToken,
    dashboards: allDashboards().map((d) => ({ title: d.title ?? String(d.uid), path: `/d/${d.uid}` })),
    collected: collectedMarkdown(policyOf(settings)),
    identityChain: settings.privacy.identityChain,
    dataOnDestroy: dataOnDestroy(settings),
  });
}

/** Docker keeps the data volumes on destroy; on Kubernetes the namespace goes, and its claims with it. */
function dataOnDestroy(settings: Settings): string {
  if (settings.target === "kubernetes") {
    return `\`pulumi destroy\` deletes the namespace \`${settings.kubernetes?.namespace}\` and with it the PersistentVolumeClaims: the collected data goes too, unless the storage class retains its volumes. Export or snapshot what you want to keep first.`;
  }
  const volumes = SERVICES_WITH_DATA.map((s) => volumeName(settings.namePrefix, s));
  return `The data volumes are kept; remove them when the data should go too: \`docker volume rm ${volumes.join(" ")}\`.`;
}

export { renderRegRemovalFile };
