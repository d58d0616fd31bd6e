// `ticketrail retry-failed`: replays the dead-letter list. Every failed job (or those of one task
// or lane) becomes due now with a fresh set of tries; prints how many, as JSON.
import { Command } from 'commander';

import { printJson } from './output.js';
import { withExistingQueue } from './with-queue.js';

interface RetryFailedFlags {
  task?: string;
  queue?: string;
}

const EXAMPLES = `
Examples:
  $ ticketrail list --state failed --task deliver-webhook    # the dead-letter list of a task
  $ ticketrail retry-failed --task deliver-webhook           # replay all of it
  $ ticketrail retry-failed --queue reports`;

/** Builds the `retry-failed` command. */
export function retryFailedCommand(): Command {
  return new Command('retry-failed')
    .description(
      'retry every failed job (the dead-letter list), or those of one task or lane, with a ' +
        'fresh set of tries; print {"retried": n}',
    )
    .option('--task <task>', 'only failed jobs of this task')
    .option('--queue <queue>', 'only failed jobs of this lane')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: RetryFailedFlags, command: Command) => {
      const retried = await withExistingQueue(command, (queue) =>
        queue.retryFailed({ task: flags.task, queue: flags.queue }),
      );
      printJson({ retried });
    });
}
