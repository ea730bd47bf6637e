import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { renderManagedSettings } from "../components/claude/managed-settings.js";
import {
  PREFERENCE_DOMAIN,
  regFileBytes,
  regStringEscape,
  renderMobileconfig,
  renderPreferencesPlist,
  renderRegFile,
  renderRegRemovalFile,
  uuidV5,
  xmlEscape,
} from "../components/claude/mdm.js";

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
