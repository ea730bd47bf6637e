// npm run render-diff -- <base-dir> <head-dir>: what a change does to the generated files, as
// markdown for a pull-request comment. Both folders are `npm run render` output (of the base branch
// and of the change), for one stack or several side by side (<dir>/<stack>/...).
import { existsSync, statSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { compareTrees, renderDiffMarkdown } from "../lib/render-diff.js";
import { readTree } from "../lib/tree.js";

const USAGE = `usage: npm run render-diff -- <base-dir> <head-dir> [--title <text>] [--max-lines-per-file <n>] [--output <file>]
  <base-dir>, <head-dir>   folders written by npm run render (e.g. out/base and out/head)
  --title                  heading of the comment (default "Generated files")
  --max-lines-per-file     longest diff shown for one file (default 400)
  --output                 write the markdown to this file instead of standard output`;

function main(argv: string[]): number {
  let values: { title?: string; "max-lines-per-file"?: string; output?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { title: { type: "string" }, "max-lines-per-file": { type: "string" }, output: { type: "string" }, help: { type: "boolean" } },
    }));
  } catch (e) {
    console.error(`render-diff: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 2) {
    console.error(`render-diff: give the base and the head folder\n${USAGE}`);
    return 2;
  }
  for (const dir of positionals) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      console.error(`render-diff: ${dir} is not a folder (write it with npm run render -- <stack> ${dir})`);
      return 2;
    }
  }
  const maxLines = values["max-lines-per-file"] === undefined ? undefined : Number(values["max-lines-per-file"]);
  if (maxLines !== undefined && !(Number.isInteger(maxLines) && maxLines > 0)) {
    console.error(`render-diff: --max-lines-per-file must be a whole number above 0, not ${values["max-lines-per-file"]}`);
    return 2;
  }
  const [base, head] = positionals as [string, string];
  const markdown = renderDiffMarkdown(compareTrees(readTree(base), readTree(head)), { title: values.title, maxLinesPerFile: maxLines });
  if (values.output) writeFileSync(values.output, markdown);
  else process.stdout.write(markdown);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
