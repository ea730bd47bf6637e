// A folder's files, by relative path with `/` separators: what `npm run render` wrote.
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

/** Every file under `dir`, relative, sorted. */
export function filesUnder(dir: string, base = dir): string[] {
  return readdirSync(dir)
    .flatMap((n) =>
      statSync(path.join(dir, n)).isDirectory() ? filesUnder(path.join(dir, n), base) : [path.relative(base, path.join(dir, n)).split(path.sep).join("/")],
    )
    .sort();
}

/** Every file under `dir` with its content. */
export function readTree(dir: string): Map<string, Buffer> {
  return new Map(filesUnder(dir).map((f) => [f, readFileSync(path.join(dir, ...f.split("/")))]));
}
