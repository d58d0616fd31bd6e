// pg-boss's worker, set up for speed the way its option docs describe: LISTEN/NOTIFY on
// (useListenNotify, and notify on the queue) so that an idle worker is woken at once, batched
// fetches whose jobs run together, burst fetching while batches come back full, and the shortest
// polling interval it accepts as the fallback. The in-process subject uses the same settings.
import { PgBoss, type ConstructorOptions, type WorkOptions } from 'pg-boss';

import type { QueueClient, WorkerSpec } from '../worker-spec.js';
import { afterWaiting } from './handler.js';

export const PG_BOSS_QUEUE = 'noop';
// The shortest base polling interval pg-boss accepts (its docs: "must be >= 0.5").
export const POLLING_INTERVAL_SECONDS = 0.5;
// pg-boss's own default pool size, the same as ticketrail's.
export const POOL_SIZE = 10;

export function pgBossOptions(connectionString: string, schema: string): ConstructorOptions {
  return {
    connectionString,
    schema,
    max: POOL_SIZE,
    application_name: schema,
    useListenNotify: true,
    schedule: false,
  };
}

/** A drain's fetches: `concurrency` jobs per batch, run together, fetched again while full. */
export function pgBossDrainOptions(concurrency: number): WorkOptions {
  return {
    batchSize: concurrency,
    burstWhenBatchFull: true,
    pollingIntervalSeconds: POLLING_INTERVAL_SECONDS,
  };
}

export async function openPgBoss(
  spec: Extract<WorkerSpec, { kind: 'pg-boss' }>,
): Promise<QueueClient> {
  const boss = new PgBoss(pgBossOptions(spec.connectionString, spec.schema));
  let onError = (_reason: string): void => {};
  boss.on('error', (error: unknown) => onError(`pg-boss reported: ${String(error)}`));
  await boss.start();
  return {
    async work(concurrency, events, handlerMs) {
      onError = (reason) => events.failed(reason);
      // A batch's jobs run together, so one wait stands for each of them waiting at once.
      const handle = afterWaiting(handlerMs, async (jobs: readonly unknown[]) => {
        for (let index = 0; index < jobs.length; index += 1) events.completed();
      });
      const id = await boss.work(PG_BOSS_QUEUE, pgBossDrainOptions(concurrency), handle);
      return { stop: () => boss.offWork(PG_BOSS_QUEUE, { id, wait: true }) };
    },
    close: () => boss.stop({ graceful: false, close: true }),
  };
}
