// `ticketrail list`: the newest jobs, as an aligned table for people or JSON lines for scripts.
// LIMIT: there is no --cursor flag, so it shows at most the newest 1000 matching jobs; older ones
// are reached by narrowing with --state, --task or --queue, or through queue.listJobs() pages.
import { Command, Option } from 'commander';

import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../core/defaults.js';
import { JOB_STATES } from '../core/job.js';
import type { Job, JobState } from '../index.js';
import { integer } from './flags.js';
import { clip, formatTable, formatTime, printJson, type Column } from './output.js';
import { withQueue } from './with-queue.js';

interface ListFlags {
  state?: JobState;
  task?: string;
  queue?: string;
  limit?: number;
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
    .option('--json', 'one JSON line per job, for scripts')
    .action(async (flags: ListFlags, command: Command) => {
      const page = await withQueue(command, (queue) =>
        queue.listJobs({
          state: flags.state,
          task: flags.task,
          queue: flags.queue,
          limit: flags.limit,
        }),
      );
      if (flags.json) {
        for (const job of page.jobs) printJson(job);
        return;
      }
      printTable(page.jobs, page.nextCursor !== null);
    });
}

function printTable(jobs: readonly Job[], more: boolean): void {
  if (jobs.length === 0) {
    process.stdout.write('no jobs match\n');
    return;
  }
  process.stdout.write(formatTable(COLUMNS, jobs.map(row)));
  if (more) {
    const hint =
      jobs.length < MAX_LIST_LIMIT ? 'raise --limit' : 'narrow with --state, --task or --queue';
    process.stdout.write(`showing the newest ${jobs.length}; ${hint} to see more\n`);
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
