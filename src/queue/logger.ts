// The library's logger: pino, quiet (warn) unless told otherwise. Payloads, results and
// connection strings are never logged; ids, names and sizes are.
import { pino, type Logger } from 'pino';

import { ValidationError } from '../core/errors.js';
import { logLevelFromEnvironment } from './environment.js';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The library default level; the CLI worker uses info. */
export const DEFAULT_LOG_LEVEL = 'warn';

export function createLogger(level?: string): Logger {
  const chosen = level ?? logLevelFromEnvironment() ?? DEFAULT_LOG_LEVEL;
  if (!LEVELS.includes(chosen)) {
    throw new ValidationError(
      'logLevel',
      chosen,
      `log level "${chosen}" is not one of ${LEVELS.join(', ')}; ` +
        `set TICKETRAIL_LOG_LEVEL or the logLevel option to one of them`,
    );
  }
  const destination = pino.destination({ dest: 1, sync: true });
  // When stdout's reader is gone (EPIPE, e.g. piped into `head`), drop log lines: a failed log
  // write must never crash a worker or stop it from shutting down on a signal.
  destination.on('error', () => undefined);
  return pino({ name: 'ticketrail', level: chosen }, destination);
}

/**
 * A child logger for one part of ticketrail: `component` plus `bindings` on every line. A parent
 * that already names a component (the CLI's, or one given in the `logger` option) keeps its
 * own: pino writes a child's bindings after its parent's without merging them, so a second
 * `component` would be a repeated JSON key on every line.
 */
export function componentLogger(
  parent: Logger,
  component: string,
  bindings: Record<string, unknown> = {},
): Logger {
  const named = parent.bindings().component !== undefined;
  return parent.child(named ? bindings : { component, ...bindings });
}
