// What a change does to the generated files: two `npm run render` trees (the base branch's and the
// pull request's) compared file by file, as markdown for a review comment. Pure: trees in, text out.
// Rendered files hold placeholders instead of secrets, so nothing here can reveal one.
import { structuredPatch } from "diff";

/** A rendered tree: relative path (with `/`) → content. */
export type Tree = ReadonlyMap<string, Buffer>;

export type Change = "added" | "removed" | "changed";

export interface FileChange {
  path: string;
  change: Change;
  added: number;
  removed: number;
  /** Unified diff hunks, or undefined for a binary file. */
  hunks?: string;
}

export interface DiffOptions {
  /** Lines of context around each change. */
  context?: number;
  /** Longest diff shown for one file, in lines; the rest is counted, not shown. */
  maxLinesPerFile?: number;
  /** Longest markdown text; GitHub refuses comments over 65,536 characters. */
  maxChars?: number;
  /** Heading of the comment. */
  title?: string;
}

/** Text of a rendered file: UTF-16LE with a byte-order mark (the .reg file) or UTF-8; undefined when binary. */
export function fileText(content: Buffer): string | undefined {
  if (content[0] === 0xff && content[1] === 0xfe) return content.subarray(2).toString("utf16le");
  return content.includes(0) ? undefined : content.toString("utf8");
}

function hunksOf(path: string, before: string, after: string, context: number): { hunks: string; added: number; removed: number } {
  const patch = structuredPatch(`a/${path}`, `b/${path}`, before, after, undefined, undefined, { context });
  let added = 0;
  let removed = 0;
  const lines: string[] = [];
  for (const h of patch.hunks) {
    lines.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`);
    for (const l of h.lines) {
      if (l.startsWith("+")) added++;
      else if (l.startsWith("-")) removed++;
      lines.push(l);
    }
  }
  return { hunks: lines.join("\n"), added, removed };
}

/** Every file that differs between the trees, sorted by path. */
export function compareTrees(base: Tree, head: Tree, context = 3): FileChange[] {
  const paths = [...new Set([...base.keys(), ...head.keys()])].sort();
  const changes: FileChange[] = [];
  for (const path of paths) {
    const [b, h] = [base.get(path), head.get(path)];
    if (b && h && b.equals(h)) continue;
    const change: Change = !b ? "added" : !h ? "removed" : "changed";
    const [bt, ht] = [b ? fileText(b) : "", h ? fileText(h) : ""];
    if (bt === undefined || ht === undefined) {
      changes.push({ path, change, added: 0, removed: 0 });
      continue;
    }
    changes.push({ path, change, ...hunksOf(path, bt, ht, context) });
  }
  return changes;
}

/** A fence longer than any run of backticks in the text, so the text cannot close it. */
function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return "`".repeat(longest + 1);
}

/** The review comment: a table of changed files, then each diff in a collapsed section. */
export function renderDiffMarkdown(changes: readonly FileChange[], opts: DiffOptions = {}): string {
  const title = opts.title ?? "Generated files";
  if (changes.length === 0) return `### ${title}\n\nNo change in the generated files.\n`;
  const maxLines = opts.maxLinesPerFile ?? 400;
  const maxChars = opts.maxChars ?? 60_000;
  const head = [
    `### ${title}`,
    "",
    `${changes.length} file${changes.length === 1 ? "" : "s"} differ${changes.length === 1 ? "s" : ""} (secrets appear as placeholders such as \`<ingest-token>\`).`,
    "",
    "| file | change | lines |",
    "|---|---|---|",
    ...changes.map((c) => `| \`${c.path}\` | ${c.change} | ${c.hunks === undefined ? "binary" : `+${c.added} −${c.removed}`} |`),
    "",
  ];
  const out = [head.join("\n")];
  let length = out[0]!.length;
  let left = 0;
  for (const [i, c] of changes.entries()) {
    if (c.hunks === undefined || c.hunks === "") continue;
    const lines = c.hunks.split("\n");
    const shown = lines.slice(0, maxLines).join("\n");
    const cut = lines.length > maxLines ? `\n… ${lines.length - maxLines} more diff lines not shown` : "";
    const f = fence(shown);
    const section = `<details><summary><code>${c.path}</code> (${c.change}, +${c.added} −${c.removed})</summary>\n\n${f}diff\n${shown}\n${f}${cut}\n\n</details>\n`;
    if (length + section.length > maxChars) {
      left = changes.slice(i).filter((x) => x.hunks).length;
      break;
    }
    out.push(section);
    length += section.length;
  }
  if (left > 0)
    out.push(
      `… the diffs of ${left} more file${left === 1 ? "" : "s"} are not shown here (too long for one comment): run \`npm run render\` on both branches to see them.\n`,
    );
  return out.join("\n");
}
