// npm run render -- <stack> <dir>: writes every generated file of a stack into <dir>, without the
// Pulumi CLI, Docker or a cluster. Secrets are replaced by placeholders.
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parseSettings, SettingsError } from "../components/settings.js";
import { renderStackFiles } from "../components/render-files.js";
import { readStackSettings, StackFileError } from "../lib/stack-file.js";

function main(argv: string[]): number {
  const [stack, dir] = argv;
  if (!stack || !dir || argv.length > 2) {
    console.error("usage: npm run render -- <stack> <output-dir>   (e.g. npm run render -- local out/local)");
    return 2;
  }
  const stackFile = resolve(`Pulumi.${stack}.yaml`);
  if (!existsSync(stackFile)) {
    console.error(`No stack file ${stackFile}: known stacks are the Pulumi.<stack>.yaml files in this folder.`);
    return 2;
  }
  let files: Map<string, string | Buffer>;
  try {
    const { raw, problems } = readStackSettings(stackFile);
    files = renderStackFiles(parseSettings(raw, stack, problems));
  } catch (err) {
    if (err instanceof SettingsError) {
      console.error(`${relative(process.cwd(), stackFile)}: ${err.message}`);
      return 1;
    }
    if (err instanceof StackFileError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  for (const [path, content] of files) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  console.log(`Rendered ${files.size} files for stack '${stack}' into ${dir}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
