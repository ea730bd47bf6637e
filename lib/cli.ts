// What the commands share about a wrong command line: one error class, told apart from failures of
// the work itself, and one way to end with a one-line message (exit code 2, never a stack trace).

/** The command line is wrong: the message says what to change. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Prints `<command>: <message>` on stderr and ends the process (2 by default: a usage error). */
export function exitWithMessage(command: string, message: string, code = 2): never {
  process.stderr.write(`${command}: ${message}\n`);
  process.exit(code);
}

/** The line that follows a usage error, pointing at the command's --help. */
export function helpHint(command: string): string {
  return `Run 'npm run ${command} -- --help' for usage.`;
}
