// Field types the stack settings are made of, each with a message in the project's words, the
// metadata a field carries (secret, the default the settings table shows) and the helper for checks
// across fields. The sections are in settings-services.ts and settings-platforms.ts.
import { z } from "zod";

declare module "zod" {
  interface GlobalMeta {
    /** The field holds secret material (see `secret`). */
    secret?: boolean;
    /** The settings table's default column, where the default is not a value of the schema (e.g. "the stack name"). */
    shownDefault?: string;
  }
}

/** Prometheus/Loki duration: units y w d h m s ms, largest first, e.g. `15d`, `1d12h`, `90s`. */
export const DURATION_RE = /^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/;
export const duration = (what = "a duration") =>
  z.string().refine((s) => s !== "" && s !== "0" && DURATION_RE.test(s), {
    message: `must be ${what} such as 15d, 12h, 1w or 90s (units y, w, d, h, m, s, ms, largest first)`,
  });

/** Prometheus byte size (`--storage.tsdb.retention.size`): a whole number with B, KB, MB, GB, TB or PB. */
export const byteSize = z.string().regex(/^[1-9]\d*(B|KB|MB|GB|TB|PB)$/, { message: "must be a size such as 512MB or 10GB (units B, KB, MB, GB, TB, PB)" });

/** Kubernetes quantity for storage requests, e.g. `20Gi`. */
export const quantity = z.string().regex(/^[1-9]\d*(Ki|Mi|Gi|Ti|Pi|K|M|G|T|P)?$/, { message: "must be a Kubernetes quantity such as 20Gi or 500Mi" });

export const port = z
  .number({ message: "must be a port number" })
  .int({ message: "must be a whole port number" })
  .min(1, { message: "must be a port between 1 and 65535" })
  .max(65535, { message: "must be a port between 1 and 65535" });

/** Whether `v` is a value `port` accepts (cross-field checks read raw input). */
export const isPort = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 65535;

export const url = (schemes: readonly string[] = ["http", "https"]) =>
  z.string().refine(
    (s) => {
      try {
        const u = new URL(s);
        return schemes.includes(u.protocol.replace(/:$/, "")) && u.hostname !== "";
      } catch {
        return false;
      }
    },
    { message: `must be an absolute ${schemes.join(" or ")} URL` },
  );

export const HOSTNAME_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
export const hostname = z.string().regex(HOSTNAME_RE, {
  message: "must be a DNS host name in lower case, such as otel.example.com (no scheme, no port)",
});

export const IPV4_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
export const ipv4 = z.string().regex(IPV4_RE, { message: "must be an IPv4 address such as 127.0.0.1" });

/** 127.0.0.0/8: reachable from this machine only. */
export const isLoopbackIpv4 = (ip: string): boolean => IPV4_RE.test(ip) && ip.startsWith("127.");

/** DNS-1123 label: Kubernetes names, Docker name prefixes. */
export const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { message: "must be lower-case letters, digits and '-', at most 63 characters" });

/** An image reference pinned to an exact tag or digest; `latest` and untagged references are refused. */
export const pinnedImage = z
  .string()
  .regex(/^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(@sha256:[a-f0-9]{64})?$/, {
    message: "must be an image reference such as prom/prometheus:v3.13.5",
  })
  .refine((s) => /:[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(s.replace(/@sha256:.*/, "")) || s.includes("@sha256:"), {
    message: "must be pinned to an exact tag or digest",
  })
  .refine((s) => !/:latest(@|$)/.test(s), { message: "must not use the 'latest' tag: pin an exact version" });

/** Marks a field that holds secret material: its value is never repeated in a problem message. */
export const secret = <T extends z.ZodType>(schema: T): T => schema.meta({ secret: true }) as T;

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The value at `path` inside maps and lists, or undefined where the path leaves them. */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const k of path) v = isRecord(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

export type Report = (path: readonly (string | number)[], message: string) => void;
export type CrossCheck = (value: Record<string, unknown>, report: Report) => void;

const CROSS_CHECKS = new WeakMap<z.core.$ZodType, CrossCheck>();

/** The cross-field check attached to this schema by crossCheck, if any. */
export const crossCheckOf = (schema: z.core.$ZodType): CrossCheck | undefined => CROSS_CHECKS.get(schema);

/**
 * A check across fields of one object. zod skips it once a field failed in certain ways (a wrong
 * type, a fraction for a whole number), so parseSettings also runs it on the raw input: a person
 * sees every problem in one pass. It therefore sees the input as given (a field may be absent, raw
 * or of the wrong type) and must test each value it reads, leaving a bad field to its own message.
 */
export function crossCheck<T extends z.ZodType>(schema: T, check: CrossCheck): T {
  const checked = schema.superRefine(
    (value, ctx) => {
      if (!isRecord(value)) return;
      check(value, (path, message) => ctx.addIssue({ code: "custom", path: [...path], message }));
    },
    { when: () => true },
  ) as T;
  CROSS_CHECKS.set(checked, check);
  return checked;
}
