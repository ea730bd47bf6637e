// `npm run render -- <stack> <dir>` as a person runs it, from any folder (the stack file is read
// from the working directory), and the files it wrote.
import { spawnSync } from "node:child_process";
import path from "node:path";

export { filesUnder } from "../../lib/tree.js";

const ROOT = path.resolve(import.meta.dirname, "..", "..");

export interface RenderRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The output folder, absolute. */
  out: string;
}

export function runRender(cwd: string, stack: string, out = "out"): RenderRun {
  const r = spawnSync(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(ROOT, "scripts", "render.ts"), stack, out], { cwd, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim(), out: path.resolve(cwd, out) };
}
