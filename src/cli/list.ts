// `ticketrail list`: the newest jobs, as an aligned table for people or JSON lines for scripts,
// a page at a time: the next page is `--cursor` with the value the previous page printed.
import { Command, Option } from 'commander';

import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../core/defaults.js';
import { JOB_STATES } from '../core/job.js';
import type { Job, JobState } from '../index.js';
import { integer } from './flags.js';
import { clip, formatTable, formatTime, printJson, type Column } from './output.js';
import { withExistingQueue } from './with-queue.js';

interface ListFlags {
  state?: JobState;
  task?: string;
  queue?: string;
  limit?: number;
  cursor?: string;
  json?: boolean;
}

const COLUMNS: Column[] = [
  { heading: 'ID', alignRight: true },
  { heading: 'STATE' },
  { heading: 'TASK' },
  { heading: 'QUEUE' },
  { heading: 'TRIES', alignRight: true },
  { heading: 'PRIORITY', alignRight: true },
  { heading: 'RUN AT' },
  { heading: 'LAST ERROR' },
];

const ERROR_WIDTH = 60;

/** Builds the `list` command. */
export function listCommand(): Command {
  return new Command('list')
    .description('list the newest jobs: a table, or one JSON line per job with --json')
    .addOption(new Option('--state <state>', 'only jobs in this state').choices(JOB_STATES))
    .option('--task <task>', 'only jobs of this task')
    .option('--queue <queue>', 'only jobs of this lane')
    .option(
      '--limit <n>',
      `most jobs to show, up to ${MAX_LIST_LIMIT} (default: ${DEFAULT_LIST_LIMIT})`,
      integer(1),
    )
    .option('--cursor <cursor>', 'the next page: the cursor the previous page printed')
    .option('--json', 'one JSON line per job, for scripts (the next cursor goes to stderr)')
    .action(async (flags: ListFlags, command: Command) => {
      const page = await withExistingQueue(command, (queue) =>
        queue.listJobs({
          state: flags.state,
          task: flags.task,
          queue: flags.queue,
          limit: flags.limit,
          cursor: flags.cursor,
        }),
      );
      if (flags.json) {
        for (const job of page.jobs) printJson(job);
        if (page.nextCursor !== null)
          process.stderr.write(`next page: --cursor ${page.nextCursor}\n`);
        return;
      }
      printTable(page.jobs, page.nextCursor);
    });
}

function printTable(jobs: readonly Job[], nextCursor: string | null): void {
  if (jobs.length === 0) {
    process.stdout.write('no jobs match\n');
    return;
  }
  process.stdout.write(formatTable(COLUMNS, jobs.map(row)));
  if (nextCursor !== null) {
    process.stdout.write(`showing ${jobs.length}; next page: --cursor ${nextCursor}\n`);
  }
}

function row(job: Job): string[] {
  const lastError = job.errors.at(-1);
  return [
    job.id,
    job.state,
    job.task,
    job.queue,
    `${job.attempt}/${job.maxAttempts}`,
    String(job.priority),
    formatTime(job.runAt),
    lastError === undefined ? '' : clip(`${lastError.name}: ${lastError.message}`, ERROR_WIDTH),
  ];
}
