// ticketrail's worker in a worker process: connect() once, then queue.work() per drain, counted
// by its `completed` events, which fire once the store has recorded the completion.
import { connect } from '../../../src/index.js';
import type { QueueClient, WorkerSpec } from '../worker-spec.js';
import { afterWaiting } from './handler.js';

/**
 * How ticketrail's README advises draining many short jobs: claim ahead of free slots, in large
 * batches, holding up to 500 jobs in the worker, as graphile-worker's batched setting does with
 * its local queue of 500. The in-process subjects use it too.
 */
export function drainOptions(concurrency: number): {
  concurrency: number;
  claimBatch: number;
  prefetch: number;
} {
  return { concurrency, claimBatch: 500, prefetch: Math.max(0, 500 - concurrency) };
}

export async function openTicketrail(
  spec: Extract<WorkerSpec, { kind: 'ticketrail' }>,
): Promise<QueueClient> {
  const queue = await connect(spec.url, { logLevel: 'warn' });
  return {
    async work(concurrency, events, handlerMs) {
      const noop = afterWaiting(handlerMs, async () => null);
      const worker = queue.work({ noop }, drainOptions(concurrency));
      worker.on('completed', () => events.completed());
      worker.on('failed', () => events.failed('a noop job failed'));
      worker.on('retrying', () => events.failed('a noop job is retrying'));
      return { stop: () => worker.stop() };
    },
    close: () => queue.close(),
  };
}
