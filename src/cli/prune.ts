// `ticketrail prune`: removes finished jobs and old events past their retention now, as workers
// do in the background, and prints how many went; --dry-run only counts them.
import { Command } from 'commander';

import type { PruneOptions } from '../index.js';
import { retention, type RetentionFlag } from './flags.js';
import { printJson } from './output.js';
import { withExistingQueue } from './with-queue.js';

interface PruneFlags {
  queue?: string;
  keepCompleted?: RetentionFlag;
  keepFailed?: RetentionFlag;
  keepEvents?: RetentionFlag;
  dryRun?: boolean;
}

const HELP = `
Without --keep-* flags, each lane's settings apply (ticketrail configure <queue> --keep-completed
..., "*" for the default of every lane; built in: completed 7 days, failed and cancelled 30 days;
events 1 day and at most 1,000,000). Jobs that are not completed, failed or cancelled are never
removed, nor are jobs whose key is still held (keyTtl) or whose children have not finished.
Prints {"completed":n,"failed":n,"cancelled":n,"events":n,"dryRun":false}.

Examples:
  $ ticketrail prune --dry-run
  $ ticketrail prune --queue emails --keep-completed age=1h
  $ ticketrail prune --keep-failed count=100 --keep-events age=6h`;

/** Builds the `prune` command. */
export function pruneCommand(): Command {
  return new Command('prune')
    .description('remove finished jobs and old events past their retention now')
    .option('--queue <queue>', 'only this lane (events are then left alone)')
    .option(
      '--keep-completed <rule>',
      'instead of the settings: age=7d, count=1000, or both',
      retention,
    )
    .option('--keep-failed <rule>', 'the same, for failed and cancelled jobs', retention)
    .option('--keep-events <rule>', 'the same, for the event log', retention)
    .option('--dry-run', 'count what would be removed; remove nothing')
    .addHelpText('after', HELP)
    .action(async (flags: PruneFlags, command: Command) => {
      const options: PruneOptions = { queue: flags.queue, dryRun: flags.dryRun === true };
      for (const field of ['keepCompleted', 'keepFailed', 'keepEvents'] as const) {
        const rule = flags[field];
        if (rule === 'default') continue; // the stored setting applies anyway
        if (rule !== undefined) options[field] = rule;
      }
      printJson(await withExistingQueue(command, (queue) => queue.prune(options)));
    });
}
