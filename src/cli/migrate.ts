// `ticketrail migrate`: creates or upgrades the database schema ahead of a deploy, so that
// workers starting afterwards find it ready. connect() does the same on its own; both are safe
// while other processes run.
import { Command } from 'commander';

import { DEFAULT_URL } from '../core/defaults.js';
import { migrate } from '../queue/connect.js';
import { urlFromEnvironment } from '../queue/environment.js';
import { printJson } from './output.js';
import { databaseUrl } from './with-queue.js';

/** Builds the `migrate` command. */
export function migrateCommand(): Command {
  return new Command('migrate')
    .description('create or upgrade the schema of the database; existing jobs are kept')
    .option('--json', 'one JSON line: { from, to }, the schema versions before and after')
    .action(async (flags: { json?: boolean }, command: Command) => {
      const result = await migrate(databaseUrl(command) ?? urlFromEnvironment() ?? DEFAULT_URL);
      if (flags.json) printJson(result);
      else process.stdout.write(`${outcome(result)}\n`);
    });
}

// Version 0 is a database without ticketrail's tables: they were created, not upgraded.
function outcome({ from, to }: { from: number; to: number }): string {
  if (from === to) return `schema is up to date at version ${to}`;
  if (from === 0) return `created the schema at version ${to}`;
  return `schema upgraded from version ${from} to version ${to}`;
}
