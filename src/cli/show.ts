// `ticketrail show <id>`: prints one job, with its payload, result and errors, as one JSON line;
// `ticketrail batch <id>` prints one batch and its counters the same way.
import { Command } from 'commander';

import { NotFoundError } from '../index.js';
import { recordId } from './flags.js';
import { printJson } from './output.js';
import { withExistingQueue } from './with-queue.js';

/** Builds the `show` command. */
export function showCommand(): Command {
  return new Command('show')
    .description('print a job as one JSON line')
    .argument(
      '<id>',
      'job id, as enqueue and list print it',
      recordId('job', '"ticketrail list" shows them'),
    )
    .action(async (id: string, _flags: object, command: Command) => {
      const job = await withExistingQueue(command, (queue) => queue.getJob(id));
      if (job === null) {
        throw new NotFoundError(
          `no job has id ${id} (never enqueued, or deleted or pruned since; a lane with ` +
            `keepCompleted { count: 0 } removes jobs as they complete); "ticketrail list" ` +
            `shows the ids of jobs`,
        );
      }
      printJson(job);
    });
}

/** Builds the `batch` command. */
export function batchCommand(): Command {
  return new Command('batch')
    .description('print a batch (its counters and callback job) as one JSON line')
    .argument('<id>', 'batch id, as enqueueBatch returned it', recordId('batch', "a job's batchId"))
    .action(async (id: string, _flags: object, command: Command) => {
      const batch = await withExistingQueue(command, (queue) => queue.getBatch(id));
      if (batch === null) throw new NotFoundError(`no batch has id ${id}`);
      printJson(batch);
    });
}
