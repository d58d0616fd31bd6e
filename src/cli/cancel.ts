// `ticketrail cancel <id>`: cancels a job that has not finished, and prints it.
import { Command } from 'commander';

import { recordId } from './flags.js';
import { printJson } from './output.js';
import { withExistingQueue } from './with-queue.js';

/** Builds the `cancel` command. */
export function cancelCommand(): Command {
  return new Command('cancel')
    .description('cancel a waiting, scheduled, available or running job; print it')
    .argument('<id>', 'job id', recordId('job', '"ticketrail list" shows them'))
    .addHelpText(
      'after',
      "\nA running job's ctx.signal aborts (on SQLite, in another process: at its worker's next " +
        'heartbeat); its result is ignored.',
    )
    .action(async (id: string, _flags: object, command: Command) => {
      printJson(await withExistingQueue(command, (queue) => queue.cancel(id)));
    });
}
