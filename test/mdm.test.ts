import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { renderManagedSettings } from "../components/claude/managed-settings.js";
import {
  PREFERENCE_DOMAIN,
  expandableProblems,
  regExpandSzLines,
  regFileBytes,
  regStringEscape,
  renderMobileconfig,
  renderPreferencesPlist,
  renderRegFile,
  renderRegRemovalFile,
  uuidV5,
  xmlEscape,
} from "../components/claude/mdm.js";
import { renderClientBundle } from "../components/claude/client-bundle.js";
import { managedSettingsSchema } from "../components/claude/claude-settings-schema.js";
import { parseSettings } from "../components/settings.js";

// Values that need escaping on both formats: XML specials in an attribute, backslashes in Windows paths.
const settings = renderManagedSettings({
  client: { protocol: "grpc", resourceAttributes: { team: `a&b<c>"d'e` } },
  environment: "prod",
  endpoints: { grpc: "https://otel.example.com", http: "https://otel.example.com" },
  auth: { kind: "mtls", caFile: "C:\\certs\\ca.pem", certFile: "C:\\certs\\client.pem", keyFile: "C:\\certs\\client.key", token: "tok_0123456789abcdefXYZ" },
});

/** A strict reader for the plist subset written here (dict, array, string, integer, true, false). */
function parsePlist(xml: string): unknown {
  const head =
    /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<!DOCTYPE plist PUBLIC "-\/\/Apple\/\/DTD PLIST 1\.0\/\/EN" "http:\/\/www\.apple\.com\/DTDs\/PropertyList-1\.0\.dtd">\n<plist version="1\.0">/;
  if (!head.test(xml)) throw new Error("missing plist prologue");
  const body = xml.replace(head, "").replace(/<\/plist>\n$/, "");
  let pos = 0;
  const ws = () => {
    while (/\s/.test(body[pos] ?? "")) pos++;
  };
  const at = (s: string) => body.startsWith(s, pos);
  const text = (close: string) => {
    const end = body.indexOf(close, pos);
    if (end < 0) throw new Error(`no ${close}`);
    const raw = body.slice(pos, end);
    if (/<|&(?!(amp|lt|gt|quot|apos);)/.test(raw)) throw new Error(`unescaped markup in ${JSON.stringify(raw)}`);
    pos = end + close.length;
    return raw.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" })[e]!);
  };
  const value = (): unknown => {
    ws();
    for (const [tag, v] of [
      ["<true/>", true],
      ["<false/>", false],
      ["<dict/>", {}],
      ["<array/>", []],
    ] as const) {
      if (at(tag)) {
        pos += tag.length;
        return v;
      }
    }
    if (at("<string>")) return ((pos += 8), text("</string>"));
    if (at("<integer>")) {
      pos += 9;
      const t = text("</integer>");
      if (!/^-?\d+$/.test(t)) throw new Error(`bad integer ${t}`);
      return Number(t);
    }
    if (at("<dict>")) {
      pos += 6;
      const out: Record<string, unknown> = {};
      for (ws(); !at("</dict>"); ws()) {
        if (!at("<key>")) throw new Error(`expected <key> at ${body.slice(pos, pos + 40)}`);
        pos += 5;
        const k = text("</key>");
        if (k in out) throw new Error(`duplicate key ${k}`);
        out[k] = value();
      }
      pos += 7;
      return out;
    }
    if (at("<array>")) {
      pos += 7;
      const out: unknown[] = [];
      for (ws(); !at("</array>"); ws()) out.push(value());
      pos += 8;
      return out;
    }
    throw new Error(`unexpected ${body.slice(pos, pos + 40)}`);
  };
  const v = value();
  ws();
  if (pos !== body.length) throw new Error(`trailing content: ${body.slice(pos, pos + 40)}`);
  return v;
}

type Dict = Record<string, unknown>;
const UUID_V5 = /^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/;

describe("macOS configuration profile", () => {
  const xml = renderMobileconfig(settings, { stackName: "enterprise", identifier: "com.example.claude-telemetry", organization: "Example & Co" });
  const profile = parsePlist(xml) as Dict;

  it("is a Configuration profile with one managed-preferences payload for the Claude Code domain", () => {
    expect(profile.PayloadType).toBe("Configuration");
    expect(profile.PayloadVersion).toBe(1);
    expect(profile.PayloadIdentifier).toBe("com.example.claude-telemetry");
    expect(profile.PayloadOrganization).toBe("Example & Co");
    expect(profile.PayloadScope).toBe("System");
    const content = profile.PayloadContent as Dict[];
    expect(content).toHaveLength(1);
    const payload = content[0]!;
    expect(payload.PayloadType).toBe("com.apple.ManagedClient.preferences");
    expect(payload.PayloadVersion).toBe(1);
    expect(String(payload.PayloadIdentifier).startsWith("com.example.claude-telemetry.")).toBe(true);
    const domains = payload.PayloadContent as Dict;
    expect(Object.keys(domains)).toEqual([PREFERENCE_DOMAIN]);
    const forced = (domains[PREFERENCE_DOMAIN] as Dict).Forced as Dict[];
    expect(forced).toHaveLength(1);
    // The managed settings come back exactly, escapes included.
    expect(forced[0]!.mcx_preference_settings).toEqual(settings);
  });

  it("escapes XML specials and never writes them raw", () => {
    expect(xml).toContain("a&amp;b&lt;c&gt;&quot;d&apos;e");
    expect(xml).not.toContain(`a&b<c>`);
    expect(() => xmlEscape("bell\u0007")).toThrow(/control characters/);
  });

  it("has deterministic UUIDs derived from the stack name", () => {
    const payload = (profile.PayloadContent as Dict[])[0]!;
    const ids = [profile.PayloadUUID, payload.PayloadUUID] as string[];
    for (const id of ids) expect(id).toMatch(UUID_V5);
    expect(ids[0]).not.toBe(ids[1]);
    const again = parsePlist(renderMobileconfig(settings, { stackName: "enterprise" })) as Dict;
    expect(again.PayloadUUID).toBe(ids[0]);
    const other = parsePlist(renderMobileconfig(settings, { stackName: "local" })) as Dict;
    expect(other.PayloadUUID).not.toBe(ids[0]);
    expect(renderMobileconfig(settings, { stackName: "enterprise" })).toBe(renderMobileconfig(settings, { stackName: "enterprise" }));
  });

  it("computes RFC 9562 version-5 UUIDs", () => {
    // The RFC's DNS namespace example: uuid5(NAMESPACE_DNS, "www.example.com").
    expect(uuidV5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe("2ED6657D-E927-568B-95E1-2665A8AEA6A2");
  });

  it("refuses an identifier that is not reverse-DNS", () => {
    expect(() => renderMobileconfig(settings, { stackName: "x", identifier: "has space" })).toThrow(/reverse-DNS/);
  });

  it("writes the bare preferences plist for custom-settings uploads", () => {
    expect(parsePlist(renderPreferencesPlist(settings))).toEqual(settings);
  });

  it("is read back identically by Python's plistlib (skipped without python3, failing in CI)", (ctx) => {
    const probe = spawnSync("python3", ["-c", "import plistlib"]);
    if (probe.status !== 0) {
      if (process.env.CI === "true") throw new Error("python3 with plistlib is needed for this test in CI");
      ctx.skip("python3 with plistlib is not installed");
    }
    const out = execFileSync("python3", ["-c", "import json,plistlib,sys; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))"], { input: xml });
    expect(JSON.parse(out.toString())).toEqual(profile);
  });
});

/** Reads a .reg file's `"Settings"="..."` value back: `\\` → `\`, `\"` → `"`. */
function readRegValue(reg: string): { key: string; value: string } {
  const lines = reg.split("\r\n");
  const key = lines.find((l) => l.startsWith("["))!;
  const line = lines.find((l) => l.startsWith('"Settings"='))!;
  const m = /^"Settings"="((?:[^"\\]|\\.)*)"$/.exec(line);
  if (!m) throw new Error(`not a .reg string value: ${line}`);
  return { key, value: m[1]!.replace(/\\(.)/g, (_, c: string) => c) };
}

describe("Windows .reg file", () => {
  const reg = renderRegFile(settings);

  it("has the version header, CRLF line ends and the policy key", () => {
    expect(reg.split("\r\n")[0]).toBe("Windows Registry Editor Version 5.00");
    expect(reg.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
    expect(readRegValue(reg).key).toBe("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ClaudeCode]");
  });

  it("holds the settings JSON, escaped so that it parses back to the same settings", () => {
    const { value } = readRegValue(reg);
    expect(JSON.parse(value)).toEqual(settings);
    // Each backslash of a Windows path is doubled by JSON and again by .reg.
    expect(reg).toContain("C:\\\\\\\\certs\\\\\\\\ca.pem");
  });

  it("escapes backslashes and quotes, refuses line breaks", () => {
    expect(regStringEscape('a\\b"c')).toBe('a\\\\b\\"c');
    expect(() => regStringEscape("a\nb")).toThrow(/line breaks/);
  });

  it("encodes as UTF-16LE with a byte order mark", () => {
    const bytes = regFileBytes(reg);
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xfe]);
    expect(bytes.subarray(2).toString("utf16le")).toBe(reg);
  });

  it("has a removal file that deletes the value", () => {
    const removal = renderRegRemovalFile();
    expect(removal.split("\r\n")).toEqual(expect.arrayContaining(["[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ClaudeCode]", '"Settings"=-']));
  });
});

// ---- per-user identity ----------------------------------------------------------------------------

/** A registry value as a .reg file of format 5.00 holds it, read the way regedit imports it. */
type RegValue = { type: "REG_SZ"; value: string } | { type: "REG_EXPAND_SZ"; value: string; lines: string[] };

/** Reads the bytes regFileBytes wrote: BOM, UTF-16LE, CRLF; `\` continues a hex value on the next line. */
function readRegBytes(bytes: Buffer): { key: string; values: Map<string, RegValue>; text: string } {
  expect([bytes[0], bytes[1]]).toEqual([0xff, 0xfe]);
  const text = bytes.subarray(2).toString("utf16le");
  const lines = text.split("\r\n");
  expect(lines[0]).toBe("Windows Registry Editor Version 5.00");
  let key = "";
  const values = new Map<string, RegValue>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "" || line.startsWith(";")) continue;
    if (line.startsWith("[")) {
      key = line;
      continue;
    }
    const sz = /^"([^"]+)"="((?:[^"\\]|\\.)*)"$/.exec(line);
    if (sz) {
      values.set(sz[1]!, { type: "REG_SZ", value: sz[2]!.replace(/\\(.)/g, (_, c: string) => c) });
      continue;
    }
    const hex = /^"([^"]+)"=hex\(2\):(.*)$/.exec(line);
    if (!hex) throw new Error(`not a value line: ${line.slice(0, 60)}`);
    const raw = [line];
    let data = hex[2]!;
    while (data.endsWith("\\")) {
      const next = lines[++i]!;
      expect(next.startsWith("  "), "a continuation line starts with two spaces").toBe(true);
      raw.push(next);
      data = data.slice(0, -1) + next.slice(2);
    }
    expect(data).toMatch(/^[0-9a-f]{2}(,[0-9a-f]{2})*$/);
    const buf = Buffer.from(data.split(",").map((h) => parseInt(h, 16)));
    expect(buf.length % 2).toBe(0);
    const chars = buf.toString("utf16le");
    expect(chars.endsWith("\u0000"), "REG_EXPAND_SZ data ends with a NUL").toBe(true);
    values.set(hex[1]!, { type: "REG_EXPAND_SZ", value: chars.slice(0, -1), lines: raw });
  }
  return { key, values, text };
}

/** What ExpandEnvironmentStrings does with a user's environment: known %NAME% replaced, others left. */
function expandAs(value: string, environment: Record<string, string>): string {
  return value.replace(/%([^%]+)%/g, (whole, name: string) => {
    const hit = Object.keys(environment).find((k) => k.toUpperCase() === name.toUpperCase());
    return hit === undefined ? whole : environment[hit]!;
  });
}

/** OTEL_RESOURCE_ATTRIBUTES as OpenTelemetry reads it: k=v pairs, percent-decoded. */
function attributeList(list: string): Record<string, string> {
  return Object.fromEntries(
    list.split(",").map((pair) => {
      const parts = pair.split("=");
      if (parts.length !== 2) throw new Error(`not key=value: ${pair}`);
      return [decodeURIComponent(parts[0]!), decodeURIComponent(parts[1]!)];
    }),
  );
}

const TOKEN = "tok_" + "Pq81ZmW4rT0xLk2NbV7c";
const enterprise = (client: Record<string, unknown>, privacy: Record<string, unknown> = {}) =>
  parseSettings(
    {
      target: "kubernetes",
      kubernetes: { otlpHost: "otel.example.com", clusterIssuer: "le" },
      client: { resourceAttributes: { team: "platform" }, ...client },
      privacy,
    },
    "enterprise",
  );

describe("per-user identity in the MDM files", () => {
  const bundle = renderClientBundle(enterprise({ perUserIdentity: {} }), TOKEN);
  const reg = readRegBytes(regFileBytes(bundle.reg));

  it("writes Settings as REG_EXPAND_SZ carrying enduser.id=%USERNAME%, which expands to a valid block for each user", () => {
    expect(reg.key).toBe("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ClaudeCode]");
    const value = reg.values.get("Settings");
    expect(value?.type).toBe("REG_EXPAND_SZ");
    const raw = JSON.parse(value!.value) as { env: Record<string, string> };
    expect(raw.env.OTEL_RESOURCE_ATTRIBUTES).toContain("enduser.id=%USERNAME%");
    // Apart from the identity it is the block every other file carries.
    expect({ ...raw.env, OTEL_RESOURCE_ATTRIBUTES: bundle.env.OTEL_RESOURCE_ATTRIBUTES }).toEqual(bundle.env);
    expect(raw.env.OTEL_EXPORTER_OTLP_HEADERS).toBe(`Authorization=Bearer ${TOKEN}`);

    for (const [user, id] of [
      ["jdoe", "jdoe"],
      ["Anna.Berg", "Anna.Berg"],
    ]) {
      const expanded = JSON.parse(expandAs(value!.value, { USERNAME: user!, USERPROFILE: `C:\\Users\\${user}` }));
      const check = managedSettingsSchema.safeParse(expanded);
      expect(check.success, JSON.stringify(check.error?.issues)).toBe(true);
      expect(attributeList(expanded.env.OTEL_RESOURCE_ATTRIBUTES)).toEqual({ environment: "enterprise", team: "platform", "enduser.id": id });
    }
  });

  it("lays the hex data out as regedit writes it, with a readable copy in a comment", () => {
    const value = reg.values.get("Settings");
    if (value?.type !== "REG_EXPAND_SZ") throw new Error("expected REG_EXPAND_SZ");
    expect(value.lines.length).toBeGreaterThan(10);
    for (const line of value.lines.slice(0, -1)) {
      expect(line.endsWith(",\\")).toBe(true);
      expect(line.length).toBeLessThanOrEqual(80);
    }
    // 18 characters of `"Settings"=hex(2):` and 20 bytes, then 25 bytes on every full continuation line.
    expect(value.lines[0]).toMatch(/^"Settings"=hex\(2\):([0-9a-f]{2},){20}\\$/);
    expect(value.lines[1]).toMatch(/^ {2}([0-9a-f]{2},){25}\\$/);
    expect(value.lines.at(-1)).toMatch(/^ {2}([0-9a-f]{2},)*00,00$/);
    const comment = reg.text.split("\r\n").find((l) => l.startsWith("; {"));
    expect(comment?.slice(2)).toBe(value.value);
  });

  it("round-trips any text through the hex layout, breaking lines only after a comma", () => {
    for (const text of ["", "a", "é€😀", "x".repeat(333)]) {
      const lines = regExpandSzLines("Settings", text);
      const file = regFileBytes(["Windows Registry Editor Version 5.00", "", "[K]", ...lines, "", ""].join("\r\n"));
      expect(readRegBytes(file).values.get("Settings")).toMatchObject({ type: "REG_EXPAND_SZ", value: text });
    }
  });

  it("puts the macOS template into the profile, which the MDM's substitution turns into a valid block", () => {
    const profile = parsePlist(bundle.mobileconfig) as Dict;
    const domains = (profile.PayloadContent as Dict[])[0]!.PayloadContent as Dict;
    const env = ((((domains[PREFERENCE_DOMAIN] as Dict).Forced as Dict[])[0]!.mcx_preference_settings as Dict).env ?? {}) as Record<string, string>;
    expect(env.OTEL_RESOURCE_ATTRIBUTES).toBe("environment=enterprise,team=platform,enduser.id=$EMAIL");
    const substituted = { env: { ...env, OTEL_RESOURCE_ATTRIBUTES: env.OTEL_RESOURCE_ATTRIBUTES!.replace("$EMAIL", "jdoe@example.com") } };
    expect(managedSettingsSchema.safeParse(substituted).success).toBe(true);
    expect(attributeList(substituted.env.OTEL_RESOURCE_ATTRIBUTES)["enduser.id"]).toBe("jdoe@example.com");
  });

  it("takes the attribute and both templates from the settings", () => {
    const custom = renderClientBundle(
      enterprise(
        { perUserIdentity: { attribute: "enduser.login", windows: "%USERDOMAIN%.%USERNAME%@example.com", macos: "{{mail}}" } },
        { identityChain: ["user.email", "enduser.login", "user.id"] },
      ),
      TOKEN,
    );
    const value = readRegBytes(regFileBytes(custom.reg)).values.get("Settings")!;
    const expanded = JSON.parse(expandAs(value.value, { USERNAME: "jdoe", USERDOMAIN: "CORP" }));
    expect(attributeList(expanded.env.OTEL_RESOURCE_ATTRIBUTES)["enduser.login"]).toBe("CORP.jdoe@example.com");
    expect(custom.mobileconfig).toContain("enduser.login={{mail}}");
  });

  it("keeps managed-settings.json, the drop-in and the env block free of any template", () => {
    for (const text of [bundle.managedSettings, bundle.dropIn, JSON.stringify(bundle.env)]) {
      expect(text).not.toContain("enduser.id");
      expect(text).not.toContain("%");
    }
    expect(bundle.env.OTEL_RESOURCE_ATTRIBUTES).toBe("environment=enterprise,team=platform");
  });

  it("writes REG_SZ as before, and no template anywhere, without the setting", () => {
    const plain = renderClientBundle(enterprise({}), TOKEN);
    const value = readRegBytes(regFileBytes(plain.reg)).values.get("Settings");
    expect(value?.type).toBe("REG_SZ");
    expect(plain.reg).not.toContain("hex(2)");
    expect(JSON.parse(value!.value)).toEqual({ env: plain.env });
    expect(plain.mobileconfig).not.toContain("enduser.id");
    expect(plain.reg).toBe(renderRegFile({ env: plain.env }));
  });

  it("refuses to write REG_EXPAND_SZ when anything but the identity holds a '%', or nothing would expand", () => {
    const env = { ...bundle.env, OTEL_RESOURCE_ATTRIBUTES: "environment=x,enduser.id=%USERNAME%" };
    expect(expandableProblems({ env })).toEqual([]);
    expect(expandableProblems({ env: { ...env, NODE_EXTRA_CA_CERTS: "%ProgramData%\\ca.pem" } })).toEqual([
      "env.NODE_EXTRA_CA_CERTS: must not contain '%' (Windows would expand it)",
    ]);
    expect(expandableProblems({ env: { ...env, OTEL_RESOURCE_ATTRIBUTES: "environment=x,enduser.id=100%" } })).toEqual([
      "env.OTEL_RESOURCE_ATTRIBUTES: may hold '%' only in %NAME% variables",
      "env.OTEL_RESOURCE_ATTRIBUTES: holds no %NAME% variable, so there is nothing to expand (write REG_SZ)",
    ]);
    expect(() => renderRegFile({ env: bundle.env }, { expand: true })).toThrow(
      /cannot write the settings as REG_EXPAND_SZ:\n {2}- env\.OTEL_RESOURCE_ATTRIBUTES: holds no %NAME% variable/,
    );
  });
});
