// The verdict table verify prints: one row per check, secrets masked wherever they might appear.
//
// Statuses:
//   PASS  the check holds
//   WARN  nothing is broken, but something may deserve a look (e.g. a panel with no data that can
//         legitimately be empty on a fresh stack)
//   FAIL  the stack is broken here: verify exits 1
//   SKIP  not checked (not configured, or it depends on a check that already failed)

export type Status = "PASS" | "WARN" | "FAIL" | "SKIP";

export interface CheckRow {
  /** What was checked, e.g. "Prometheus ready". */
  name: string;
  status: Status;
  detail: string;
}

export const row = (name: string, status: Status, detail: string): CheckRow => ({ name, status, detail });

/** Replaces every secret (and its URL-encoded form) with ****. */
export function maskSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (!s) continue;
    for (const form of new Set([s, encodeURIComponent(s), Buffer.from(s).toString("base64")])) out = out.split(form).join("****");
  }
  return out;
}

const MAX_DETAIL = 220;

/** The table, column widths fitted to the content; long details are cut (the full text is never needed to act). */
export function formatTable(rows: readonly CheckRow[], secrets: readonly (string | undefined)[] = []): string {
  const cells = [["CHECK", "RESULT", "DETAIL"], ...rows.map((r) => [r.name, r.status, r.detail.replace(/\s+/g, " ").trim()])].map((c) =>
    c.map((x) => maskSecrets(x, secrets)),
  );
  const width = (i: number) => Math.max(...cells.map((c) => (c[i] as string).length));
  const [w0, w1] = [Math.min(width(0), 70), width(1)];
  return cells
    .map(([name, status, detail]) => {
      const d = (detail as string).length > MAX_DETAIL ? `${(detail as string).slice(0, MAX_DETAIL - 1)}…` : (detail as string);
      return `${(name as string).padEnd(w0)}  ${(status as string).padEnd(w1)}  ${d}`.trimEnd();
    })
    .join("\n");
}

export function summary(rows: readonly CheckRow[]): string {
  const count = (s: Status) => rows.filter((r) => r.status === s).length;
  const counts = `${count("PASS")} passed, ${count("WARN")} warnings, ${count("FAIL")} failed, ${count("SKIP")} skipped`;
  const failed = rows.filter((r) => r.status === "FAIL").map((r) => r.name);
  return failed.length === 0 ? `OK: ${counts}` : `FAILED: ${counts}\nFailing: ${failed.join("; ")}`;
}

/** 1 when any check failed or nothing was checked at all. */
export function exitCode(rows: readonly CheckRow[]): number {
  return rows.some((r) => r.status === "FAIL") || rows.every((r) => r.status === "SKIP") ? 1 : 0;
}
