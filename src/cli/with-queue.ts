// Opens the queue a command works on and always closes it, so that a short command never keeps
// a database handle (or the process) alive after it printed its answer.
import type { Command } from 'commander';

import { connect, type ConnectOptions, type Queue } from '../index.js';

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
