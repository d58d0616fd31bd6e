// How the CLI tells a person that a command failed: one line on stderr and exit code 1. Expected
// failures (bad input, a missing job, a refused state change, an unreachable database) show
// their message only; anything else is a bug in ticketrail and shows its stack as well. Nothing
// written here may reveal a password from a database URL.
import { TicketrailError } from '../index.js';

/** Prints `error` for a person and sets exit code 1. `databaseUrl` is hidden if it appears. */
export function reportFailure(error: unknown, databaseUrl?: string): void {
  process.exitCode = 1;
  if (error instanceof TicketrailError) {
    process.stderr.write(`error: ${oneLine(hideSecrets(error.message, databaseUrl))}\n`);
    return;
  }
  const shown = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(
    `error: unexpected failure (a bug in ticketrail; please report it with these lines): ` +
      `${hideSecrets(shown, databaseUrl)}\n`,
  );
}

/** Joins a message's lines, so that a failure is one line however its parts were written. */
export function oneLine(message: string): string {
  return message.trim().replace(/\s*\r?\n\s*/g, ' ');
}

/** Masks passwords: the given URL wherever it appears, and any `user:password@` or `password=`. */
export function hideSecrets(text: string, databaseUrl?: string): string {
  let hidden = text;
  if (databaseUrl !== undefined && /:\/\/|password=/i.test(databaseUrl)) {
    hidden = hidden.split(databaseUrl).join('<database URL>');
  }
  return hidden
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:)[^\s@/]*@/gi, '$1***@')
    .replace(/\b(password|passwd|pwd)=[^&\s]*/gi, '$1=***');
}
