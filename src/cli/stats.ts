// `ticketrail stats`: how many jobs are in each state, per queue and overall.
import { Command } from 'commander';

import { JOB_STATES } from '../core/job.js';
import type { QueueStats, StateCounts } from '../index.js';
import { formatTable, printJson, type Column } from './output.js';
import { withExistingQueue } from './with-queue.js';

const COLUMNS: Column[] = [
  { heading: 'QUEUE' },
  ...JOB_STATES.map((state) => ({ heading: state.toUpperCase(), alignRight: true })),
];

/** Builds the `stats` command. */
export function statsCommand(): Command {
  return new Command('stats')
    .description('count jobs per state and queue: a table, or one JSON line with --json')
    .option('--json', 'one JSON line: { total, queues }, for scripts')
    .action(async (flags: { json?: boolean }, command: Command) => {
      const stats = await withExistingQueue(command, (queue) => queue.stats());
      if (flags.json) printJson(stats);
      else process.stdout.write(formatTable(COLUMNS, rows(stats)));
    });
}

function rows(stats: QueueStats): string[][] {
  const line = (name: string, counts: StateCounts): string[] => [
    name,
    ...JOB_STATES.map((state) => String(counts[state])),
  ];
  const queues = Object.keys(stats.queues).sort();
  return [
    ...queues.map((name) => line(name, stats.queues[name])),
    line('(all queues)', stats.total),
  ];
}
