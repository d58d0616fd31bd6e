// Opens the queue a command works on and always closes it, so that a short command never keeps
// a database handle (or the process) alive after it printed its answer.
import { existsSync } from 'node:fs';

import type { Command } from 'commander';

import { DEFAULT_URL } from '../core/defaults.js';
import { connect, NotFoundError, type ConnectOptions, type Queue } from '../index.js';
import { sqliteFile } from '../queue/connect.js';
import { urlFromEnvironment } from '../queue/environment.js';

/** The global --db value, if given; otherwise connect() reads TICKETRAIL_URL, then its default. */
export function databaseUrl(command: Command): string | undefined {
  return command.optsWithGlobals<{ db?: string }>().db;
}

/** Connects to the command's database, runs `use`, then closes the queue whatever happened. */
export async function withQueue<T>(
  command: Command,
  use: (queue: Queue) => Promise<T>,
  options?: ConnectOptions,
): Promise<T> {
  const queue = await connect(databaseUrl(command), options);
  try {
    return await use(queue);
  } finally {
    await queue.close();
  }
}

/**
 * As withQueue, for commands that read or change jobs already stored: a SQLite file that does
 * not exist is refused rather than created, so that a mistyped path says so instead of showing
 * an empty database (and leaving a new file behind).
 */
export async function withExistingQueue<T>(
  command: Command,
  use: (queue: Queue) => Promise<T>,
): Promise<T> {
  const given = databaseUrl(command);
  const fromEnvironment = given === undefined ? urlFromEnvironment() : undefined;
  const url = given ?? fromEnvironment ?? DEFAULT_URL;
  const file = sqliteFile(url, 'connect()');
  if (file !== null && file !== ':memory:' && !existsSync(file)) {
    const source =
      given !== undefined
        ? '--db'
        : fromEnvironment !== undefined
          ? 'TICKETRAIL_URL'
          : `the default, ${DEFAULT_URL}`;
    throw new NotFoundError(
      `no SQLite database at ${file} (from ${source}); check the path, or pass --db with the ` +
        `URL your app and workers use (a new database is made by "ticketrail migrate", or by ` +
        `the first enqueue or worker)`,
    );
  }
  return withQueue(command, use);
}
