// `ticketrail delete <id>`: deletes a job that is not running, and prints it as it was.
import { Command } from 'commander';

import { recordId } from './flags.js';
import { printJson } from './output.js';
import { withExistingQueue } from './with-queue.js';

/** Builds the `delete` command. */
export function deleteCommand(): Command {
  return new Command('delete')
    .description('delete a job in any state but running; print it as it was')
    .argument('<id>', 'job id', recordId('job', '"ticketrail list" shows them'))
    .addHelpText(
      'after',
      '\nA running job is refused: cancel it first. Its idempotency key is free again at once.',
    )
    .action(async (id: string, _flags: object, command: Command) => {
      printJson(await withExistingQueue(command, (queue) => queue.deleteJob(id)));
    });
}
