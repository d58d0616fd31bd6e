// `ticketrail worker <handlers-module>`: runs jobs in this process until SIGTERM or SIGINT.
//
// The first signal stops the worker gracefully: it claims nothing more, lets running jobs finish
// within the grace period, then aborts them and puts their jobs back as due without spending a
// try; then the queue closes and the process exits 0. A second signal exits at once with 130;
// jobs still running then are taken again by a worker once their leases expire.
import { Command } from 'commander';

import {
  DEFAULT_CONCURRENCY,
  DEFAULT_LEASE_MS,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_SHUTDOWN_GRACE_MS,
} from '../core/defaults.js';
import {
  connect,
  shutdownOnSignal,
  type Queue,
  type Worker,
  type WorkerOptions,
} from '../index.js';
import { logLevelFromEnvironment } from '../queue/environment.js';
import { collect, duration, integer } from './flags.js';
import { loadHandlers } from './handlers-module.js';
import { reportFailure } from './report-failure.js';
import { databaseUrl } from './with-queue.js';

/** The worker logs its lifecycle (start, stop, retries) unless TICKETRAIL_LOG_LEVEL says else. */
export const WORKER_LOG_LEVEL = 'info';

interface WorkerFlags {
  concurrency?: number;
  queue?: string[];
  lease?: number;
  grace?: number;
  poll?: number;
  prefetch?: number;
}

const EXAMPLES = `
The module's default export maps task names to handlers, e.g. in handlers.mjs:
  export default {
    'send-welcome-email': async ({ userId }, ctx) => mailer.send(userId, { signal: ctx.signal }),
  };

Examples:
  $ ticketrail worker ./handlers.mjs --concurrency 20
  $ ticketrail worker ./src/handlers.ts --queue emails --queue reports --grace 30s`;

/** Builds the `worker` command. */
export function workerCommand(): Command {
  return new Command('worker')
    .description('run jobs with the handlers of a module until SIGTERM or SIGINT')
    .argument(
      '<handlers-module>',
      'a .js, .mjs or .ts file whose default export maps tasks to handlers',
    )
    .option(
      '--concurrency <n>',
      `handlers running at once (default: ${DEFAULT_CONCURRENCY})`,
      integer(1),
    )
    .option(
      '--queue <queue>',
      'serve only this lane; repeat for several (default: every lane)',
      collect,
    )
    .option(
      '--lease <duration>',
      `how long a claimed job is held without a heartbeat (default: ${DEFAULT_LEASE_MS} ms)`,
      duration,
    )
    .option(
      '--grace <duration>',
      `on stop, how long running jobs may finish before they are aborted and put back ` +
        `(default: ${DEFAULT_SHUTDOWN_GRACE_MS} ms)`,
      duration,
    )
    .option(
      '--poll <duration>',
      `how often an idle worker looks for due work (default: ${DEFAULT_POLL_INTERVAL_MS} ms)`,
      duration,
    )
    .option(
      '--prefetch <n>',
      'jobs claimed ahead of free slots, for many short jobs (default: 0)',
      integer(0),
    )
    .addHelpText('after', EXAMPLES)
    .action(async (modulePath: string, flags: WorkerFlags, command: Command) => {
      const handlers = await loadHandlers(modulePath);
      const url = databaseUrl(command);
      const queue = await connect(url, { logLevel: logLevelFromEnvironment() ?? WORKER_LOG_LEVEL });
      let worker: Worker;
      try {
        worker = queue.work(handlers, workerOptions(flags));
      } catch (error) {
        await queue.close();
        throw error;
      }
      await runUntilSignal(queue, worker, url);
    });
}

// Only the flags given become options, so that the library applies its own defaults.
function workerOptions(flags: WorkerFlags): WorkerOptions {
  const options: WorkerOptions = {};
  if (flags.concurrency !== undefined) options.concurrency = flags.concurrency;
  if (flags.queue !== undefined) options.queues = flags.queue;
  if (flags.lease !== undefined) options.lease = flags.lease;
  if (flags.grace !== undefined) options.shutdownGrace = flags.grace;
  if (flags.poll !== undefined) options.pollInterval = flags.poll;
  if (flags.prefetch !== undefined) options.prefetch = flags.prefetch;
  return options;
}

// The first signal stops the worker and closes the queue (shutdownOnSignal); errors then are one
// line on stderr, as for every command.
function runUntilSignal(queue: Queue, worker: Worker, url: string | undefined): Promise<never> {
  return shutdownOnSignal({ worker, queue }, { onError: (error) => reportFailure(error, url) });
}
