// How the CLI tells a person that a command failed: one line on stderr and exit code 1. Expected
// failures (bad input, a missing job, a refused state change, an unreachable database) show
// their message only; anything else is a bug in ticketrail and shows its stack as well. Nothing
// written here may reveal a password from a database URL.
import { TicketrailError } from '../index.js';
import { urlFromEnvironment } from '../queue/environment.js';

/**
 * Prints `error` for a person and sets exit code 1. The --db URL given (`databaseUrl`) and
 * TICKETRAIL_URL are hidden wherever they appear.
 */
export function reportFailure(error: unknown, databaseUrl?: string): void {
  process.exitCode = 1;
  const hide = (text: string): string =>
    hideSecrets(hideSecrets(text, databaseUrl), urlFromEnvironment());
  if (error instanceof TicketrailError) {
    process.stderr.write(`error: ${oneLine(hide(error.message))}\n`);
    return;
  }
  const shown = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(
    `error: unexpected failure (a bug in ticketrail; please report it with these lines): ` +
      `${hide(shown)}\n`,
  );
}

/** Joins a message's lines, so that a failure is one line however its parts were written. */
export function oneLine(message: string): string {
  return message.trim().replace(/\s*\r?\n\s*/g, ' ');
}

/**
 * Masks passwords: the given URL wherever it appears, and the secret of any `user:secret@` or
 * `password=secret`. The literal placeholder `password` is kept, so that a hint such as
 * "use postgres://user:password@host/db" still reads as one.
 */
export function hideSecrets(text: string, databaseUrl?: string): string {
  let hidden = text;
  if (databaseUrl !== undefined && holdsSecret(databaseUrl)) {
    hidden = hidden.split(databaseUrl).join('<database URL>');
  }
  const masked = (secret: string): string => (secret.toLowerCase() === 'password' ? secret : '***');
  return hidden
    .replace(
      /([a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:)([^\s@/]*)@/gi,
      (_, head: string, secret: string) => `${head}${masked(secret)}@`,
    )
    .replace(
      /\b(password|passwd|pwd)=([^&\s]*)/gi,
      (_, name: string, secret: string) => `${name}=${masked(secret)}`,
    );
}

/**
 * Whether a URL carries a password (user:secret@ or a password parameter); one that cannot be
 * parsed counts as carrying one. A URL without one is shown, so that a message about it can say
 * what is wrong with it.
 */
function holdsSecret(url: string): boolean {
  if (/\b(password|passwd|pwd)=/i.test(url)) return true;
  try {
    return new URL(url).password !== '';
  } catch {
    return true;
  }
}
