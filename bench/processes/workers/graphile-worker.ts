// graphile-worker's runner, configured as its docs describe: `concurrency` jobs at once on a pool
// of max(10, concurrency + 2) connections (its advice for maxPoolSize), LISTEN/NOTIFY wake-ups
// (always on), and, batched, the settings of its performance page: a local queue of 500 jobs
// fetched per query and completions batched with completeJobBatchDelay: 0. The in-process
// subject uses the same settings.
import { Logger, run, type RunnerOptions } from 'graphile-worker';

import type { QueueClient, WorkerSpec } from '../worker-spec.js';
import { afterWaiting } from './handler.js';

export const GRAPHILE_TASK = 'noop';
// Only for jobs due later and retries; new jobs wake the worker through LISTEN/NOTIFY.
export const POLL_INTERVAL_MS = 500;
// The performance page's local queue size, for very fast tasks at high throughput.
export const LOCAL_QUEUE_SIZE = 500;

export interface GraphileRunOptions {
  connectionString: string;
  schema: string;
  batched: boolean;
  concurrency: number;
  logger: Logger;
  handle: (payload: unknown) => Promise<void>;
}

export function graphileRunnerOptions(options: GraphileRunOptions): RunnerOptions {
  return {
    connectionString: options.connectionString,
    schema: options.schema,
    concurrency: options.concurrency,
    maxPoolSize: Math.max(10, options.concurrency + 2),
    pollInterval: POLL_INTERVAL_MS,
    noHandleSignals: true,
    logger: options.logger,
    crontab: '',
    taskList: { [GRAPHILE_TASK]: async (payload) => options.handle(payload) },
    preset: options.batched
      ? {
          worker: {
            localQueue: { size: LOCAL_QUEUE_SIZE },
            completeJobBatchDelay: 0,
            failJobBatchDelay: 0,
          },
        }
      : {},
  };
}

/** Errors it logs fail the drain; the bench checks the jobs table for completions. */
export async function openGraphileWorker(
  spec: Extract<WorkerSpec, { kind: 'graphile-worker' }>,
): Promise<QueueClient> {
  let onError = (_reason: string): void => {};
  const logger = new Logger(() => (level, message) => {
    if (level === 'error') onError(`graphile-worker logged: ${message.split('\n')[0]}`);
  });
  return {
    async work(concurrency, events, handlerMs) {
      onError = (reason) => events.failed(reason);
      const runner = await run(
        graphileRunnerOptions({
          ...spec,
          concurrency,
          logger,
          handle: afterWaiting(handlerMs, async () => events.completed()),
        }),
      );
      return { stop: () => runner.stop() };
    },
    close: async () => {},
  };
}
