// Managed settings packaged for device management: a macOS configuration profile for the preference
// domain `com.anthropic.claudecode`, a plain preferences plist for MDMs that take "custom settings",
// and a Windows .reg file for HKLM\SOFTWARE\Policies\ClaudeCode (value `Settings`, the JSON as one string:
// REG_SZ, or REG_EXPAND_SZ when it carries a per-user identity such as `enduser.id=%USERNAME%`).
import { createHash } from "node:crypto";
import type { ManagedSettings } from "./claude-settings-schema.js";
import { WINDOWS_VARIABLE_RE } from "./client-settings-schema.js";

export const PREFERENCE_DOMAIN = "com.anthropic.claudecode";
export const REGISTRY_KEY = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ClaudeCode";
export const REGISTRY_VALUE = "Settings";

/** Fixed namespace for the profile's name-based UUIDs: the same stack always gets the same UUIDs. */
const UUID_NAMESPACE = "d942dfca-7aff-443b-bb1a-3ef620d18983";

/** RFC 9562 name-based UUID (version 5, SHA-1), upper case as Apple's tools write them. */
export function uuidV5(name: string, namespace = UUID_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString("hex").toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---- property list (XML) ------------------------------------------------------------------------

type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

/** Escapes text for XML character data; characters XML 1.0 cannot carry at all are refused. */
export function xmlEscape(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(text)) throw new Error(`cannot put control characters into a plist: ${JSON.stringify(text)}`);
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

function plistValue(value: PlistValue, indent: string): string {
  const inner = `${indent}\t`;
  if (typeof value === "string") return `${indent}<string>${xmlEscape(value)}</string>`;
  if (typeof value === "boolean") return `${indent}<${value}/>`;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`only whole numbers are written to the plist (got ${value})`);
    return `${indent}<integer>${value}</integer>`;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return `${indent}<array/>`;
    return [`${indent}<array>`, ...value.map((v) => plistValue(v, inner)), `${indent}</array>`].join("\n");
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return `${indent}<dict/>`;
  return [`${indent}<dict>`, ...entries.flatMap(([k, v]) => [`${inner}<key>${xmlEscape(k)}</key>`, plistValue(v, inner)]), `${indent}</dict>`].join("\n");
}

function plistDocument(root: { [key: string]: PlistValue }): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    plistValue(root, ""),
    "</plist>",
    "",
  ].join("\n");
}

function settingsAsPlist(settings: ManagedSettings): { [key: string]: PlistValue } {
  return { env: { ...settings.env } };
}

export interface MobileconfigOptions {
  /** Stack name: seeds the UUIDs and the default identifier. */
  stackName: string;
  /** Reverse-DNS identifier of the profile, e.g. com.example.claude-code-telemetry. */
  identifier?: string;
  organization?: string;
  displayName?: string;
  description?: string;
  /** Keep people from removing the profile themselves (default true: it is policy). */
  removalDisallowed?: boolean;
}

/**
 * A configuration profile (.mobileconfig, unsigned XML) carrying the managed settings as forced
 * preferences of `com.anthropic.claudecode` (payload type com.apple.ManagedClient.preferences).
 */
export function renderMobileconfig(settings: ManagedSettings, opts: MobileconfigOptions): string {
  const identifier = opts.identifier ?? `claude-code-telemetry.${opts.stackName}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(identifier)) throw new Error(`profile identifier must be reverse-DNS style (got ${JSON.stringify(identifier)})`);
  const organization = opts.organization ?? "Claude Code telemetry";
  const payload: { [key: string]: PlistValue } = {
    PayloadType: "com.apple.ManagedClient.preferences",
    PayloadVersion: 1,
    PayloadIdentifier: `${identifier}.preferences`,
    PayloadUUID: uuidV5(`${opts.stackName}/managed-preferences`),
    PayloadDisplayName: "Claude Code telemetry settings",
    PayloadContent: { [PREFERENCE_DOMAIN]: { Forced: [{ mcx_preference_settings: settingsAsPlist(settings) }] } },
  };
  return plistDocument({
    PayloadType: "Configuration",
    PayloadVersion: 1,
    PayloadIdentifier: identifier,
    PayloadUUID: uuidV5(`${opts.stackName}/profile`),
    PayloadDisplayName: opts.displayName ?? `Claude Code telemetry (${opts.stackName})`,
    PayloadDescription: opts.description ?? "Sends Claude Code usage metrics and events to the organisation's private telemetry stack.",
    PayloadOrganization: organization,
    PayloadScope: "System",
    PayloadRemovalDisallowed: opts.removalDisallowed ?? true,
    PayloadContent: [payload],
  });
}

/** The preference domain's keys alone, for MDMs that upload a plist as "custom settings" for a domain. */
export function renderPreferencesPlist(settings: ManagedSettings): string {
  return plistDocument(settingsAsPlist(settings));
}

// ---- Windows registry ----------------------------------------------------------------------------

/** Escapes a REG_SZ value for a .reg file: backslash and double quote are the only escapes. */
export function regStringEscape(value: string): string {
  if (/[\r\n]/.test(value) || value.includes("\u0000")) throw new Error("a .reg string value cannot hold line breaks or NUL characters");
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
}

function regFile(lines: string[]): string {
  // regedit expects CRLF line ends and a blank line after the last value.
  return ["Windows Registry Editor Version 5.00", "", ...lines, "", ""].join("\r\n");
}

/** regedit's layout of hex values: a line is broken after the comma that reaches this many characters. */
const REG_HEX_LINE = 77;

/**
 * `"name"=hex(2):..` as regedit writes a REG_EXPAND_SZ value: the UTF-16LE bytes of the text and a
 * terminating NUL, two hex digits each, comma-separated, lines continued with `\` and two spaces.
 */
export function regExpandSzLines(name: string, text: string): string[] {
  if (text.includes("\u0000")) throw new Error("a registry string value cannot hold NUL characters");
  const bytes = Buffer.concat([Buffer.from(text, "utf16le"), Buffer.from([0, 0])]);
  const lines: string[] = [];
  let line = `"${regStringEscape(name)}"=hex(2):`;
  bytes.forEach((b, i) => {
    line += b.toString(16).padStart(2, "0");
    if (i === bytes.length - 1) return;
    line += ",";
    if (line.length >= REG_HEX_LINE) {
      lines.push(`${line}\\`);
      line = "  ";
    }
  });
  lines.push(line);
  return lines;
}

/**
 * Why these settings cannot be written as REG_EXPAND_SZ: Windows expands every `%NAME%` of the
 * value, so a '%' may only appear in the variables of OTEL_RESOURCE_ATTRIBUTES (the per-user
 * identity), and at least one must be there.
 */
export function expandableProblems(settings: ManagedSettings): string[] {
  const problems: string[] = [];
  let variables = 0;
  for (const [key, value] of Object.entries(settings.env)) {
    if (key.includes("%")) problems.push(`env key ${key}: must not contain '%'`);
    if (key === "OTEL_RESOURCE_ATTRIBUTES") {
      variables += (value.match(WINDOWS_VARIABLE_RE) ?? []).length;
      if (value.replace(WINDOWS_VARIABLE_RE, "").includes("%")) problems.push(`env.${key}: may hold '%' only in %NAME% variables`);
    } else if (value.includes("%")) {
      problems.push(`env.${key}: must not contain '%' (Windows would expand it)`);
    }
  }
  if (variables === 0) problems.push("env.OTEL_RESOURCE_ATTRIBUTES: holds no %NAME% variable, so there is nothing to expand (write REG_SZ)");
  return problems;
}

export interface RegFileOptions {
  /**
   * Write `Settings` as REG_EXPAND_SZ: the `%NAME%` variables (the per-user identity) expand in the
   * environment of the user whose Claude Code reads the value.
   */
  expand?: boolean;
}

/** A .reg file writing the managed settings as one line of JSON into HKLM\SOFTWARE\Policies\ClaudeCode\Settings. */
export function renderRegFile(settings: ManagedSettings, opts: RegFileOptions = {}): string {
  const json = JSON.stringify(settings);
  if (!opts.expand) {
    return regFile([
      "; Claude Code managed settings (telemetry). Import as administrator: reg import <file>",
      `[${REGISTRY_KEY}]`,
      `"${REGISTRY_VALUE}"="${regStringEscape(json)}"`,
    ]);
  }
  const problems = expandableProblems(settings);
  if (problems.length > 0) throw new Error(`cannot write the settings as REG_EXPAND_SZ:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  regStringEscape(json); // one line, no NUL
  return regFile([
    "; Claude Code managed settings (telemetry). Import as administrator: reg import <file>",
    `; ${REGISTRY_VALUE} is REG_EXPAND_SZ: %NAME% expands for the user running Claude Code. The value, before expansion:`,
    `; ${json}`,
    `[${REGISTRY_KEY}]`,
    ...regExpandSzLines(REGISTRY_VALUE, json),
  ]);
}

/** A .reg file that deletes the `Settings` value again (roll back). */
export function renderRegRemovalFile(): string {
  return regFile(["; Removes the Claude Code managed settings value.", `[${REGISTRY_KEY}]`, `"${REGISTRY_VALUE}"=-`]);
}

/** .reg files of format 5.00 are UTF-16 little endian with a byte order mark. */
export function regFileBytes(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
}
