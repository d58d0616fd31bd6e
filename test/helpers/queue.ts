import { once } from 'node:events';

import { pino } from 'pino';

import type { Job } from '../../src/core/job.js';
import { Queue } from '../../src/queue/queue.js';
import type { Store } from '../../src/stores/store.js';
import type { Worker, WorkerEvents } from '../../src/worker/worker.js';

/** A queue over `store` with a silent logger. */
export function queueOver(store: Store): Queue {
  return new Queue(store, { logger: pino({ level: 'silent' }), maxPayloadBytes: 1_048_576 });
}

/** Resolves with the job when `worker` emits `event` for the job with this id. */
export function nextEvent(
  worker: Worker,
  event: 'completed' | 'failed' | 'retrying' | 'released',
  jobId: string,
): Promise<Job> {
  return new Promise((resolve) => {
    const listener = (...args: WorkerEvents[typeof event]) => {
      const job = args[0];
      if (job.id !== jobId) return;
      worker.off(event, listener);
      resolve(job);
    };
    worker.on(event, listener);
  });
}

/**
 * Resolves after `count` events of the kind. One listener counts them all: outcomes written in
 * one batch are reported in one turn, where a fresh once() per event would miss some.
 */
export function countEvents(
  worker: Worker,
  event: 'completed' | 'failed',
  count: number,
): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const listener = () => {
      if (++seen < count) return;
      worker.off(event, listener);
      resolve();
    };
    worker.on(event, listener);
  });
}
