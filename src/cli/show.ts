// `ticketrail show <id>`: prints one job, with its payload, result and errors, as one JSON line.
import { Command } from 'commander';

import { NotFoundError } from '../index.js';
import { printJson } from './output.js';
import { withQueue } from './with-queue.js';

/** Builds the `show` command. */
export function showCommand(): Command {
  return new Command('show')
    .description('print a job as one JSON line')
    .argument('<id>', 'job id, as enqueue and list print it')
    .action(async (id: string, _flags: object, command: Command) => {
      const job = await withQueue(command, (queue) => queue.getJob(id));
      if (job === null) {
        throw new NotFoundError(`no job has id ${id}; "ticketrail list" shows the ids of jobs`);
      }
      printJson(job);
    });
}
