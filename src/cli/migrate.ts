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
      else if (result.from === result.to) {
        process.stdout.write(`schema is up to date at version ${result.to}\n`);
      } else {
        const before = result.from === 0 ? 'a new schema' : `version ${result.from}`;
        process.stdout.write(`schema upgraded from ${before} to version ${result.to}\n`);
      }
    });
}
