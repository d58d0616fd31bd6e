// BullMQ's Worker, set up the way its docs advise: a connection of its own with
// maxRetriesPerRequest: null, counted by its `completed` events, which fire once Redis holds the
// completion. Jobs are added with removeOnComplete by the bench, so Redis does not fill up.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

import type { QueueClient, WorkerSpec } from '../worker-spec.js';
import { afterWaiting } from './handler.js';

export const BULLMQ_QUEUE = 'noop';

export async function openBullmq(
  spec: Extract<WorkerSpec, { kind: 'bullmq' }>,
): Promise<QueueClient> {
  const connection = new Redis(spec.redisUrl, { maxRetriesPerRequest: null });
  await connection.ping();
  return {
    async work(concurrency, events, handlerMs) {
      const noop = afterWaiting(handlerMs, async () => {});
      const worker = new Worker(BULLMQ_QUEUE, noop, {
        connection,
        prefix: spec.prefix,
        concurrency,
      });
      worker.on('completed', () => events.completed());
      worker.on('failed', () => events.failed('a noop job failed'));
      worker.on('error', (error) => events.failed(`the worker errored: ${error.message}`));
      await worker.waitUntilReady();
      return { stop: () => worker.close() };
    },
    close: async () => {
      connection.disconnect();
    },
  };
}
