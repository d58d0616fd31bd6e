// `ticketrail retry <id>`: makes a failed or cancelled job due now, and prints it.
import { Command } from 'commander';

import { recordId } from './flags.js';
import { printJson } from './output.js';
import { withExistingQueue } from './with-queue.js';

/** Builds the `retry` command. */
export function retryCommand(): Command {
  return new Command('retry')
    .description('make a failed or cancelled job due now with a fresh set of tries; print it')
    .argument('<id>', 'job id', recordId('job', '"ticketrail list" shows them'))
    .action(async (id: string, _flags: object, command: Command) => {
      printJson(await withExistingQueue(command, (queue) => queue.retry(id)));
    });
}
