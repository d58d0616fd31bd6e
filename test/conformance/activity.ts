import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Store } from '../../src/stores/store.js';
import { newJob, tryError } from '../helpers/jobs.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

/** Claims every due job of `queue` and ends each as `end` says. */
async function finishAll(store: Store, queue: string, end: 'complete' | 'fail'): Promise<void> {
  const claimed = await store.claim({ workerId: 'w', queues: [queue], limit: 50, leaseMs: 30_000 });
  await store.finish(
    claimed.map(({ lease }) =>
      end === 'complete'
        ? { type: 'complete', lease, resultJson: 'null' }
        : { type: 'fail', lease, error: tryError(1) },
    ),
  );
}

export function activityContract(factory: StoreFactory): void {
  describe('activity reads (finished per minute, oldest due, by key)', () => {
    const current = useFreshStore(factory);

    it('counts completed and failed jobs per queue and minute since a time', async () => {
      const { store } = current();
      const startedMs = Date.now();
      await store.enqueue([newJob('a', {}, { queue: 'mail' }), newJob('a', {}, { queue: 'mail' })]);
      await store.enqueue([newJob('b', {}, { queue: 'images' })]);
      await finishAll(store, 'mail', 'complete');
      await finishAll(store, 'images', 'fail');

      const counts = await store.countFinished(startedMs - 60_000);
      const byQueue = (queue: string) => counts.filter((count) => count.queue === queue);
      const sum = (queue: string, field: 'completed' | 'failed') =>
        byQueue(queue).reduce((total, count) => total + count[field], 0);
      assert.equal(sum('mail', 'completed'), 2);
      assert.equal(sum('mail', 'failed'), 0);
      assert.equal(sum('images', 'failed'), 1);
      for (const count of counts) {
        assert.equal(count.minuteMs % 60_000, 0, `minuteMs ${count.minuteMs} starts a minute`);
        assert.ok(count.minuteMs >= startedMs - 120_000 && count.minuteMs <= Date.now());
      }
      assert.deepEqual(await store.countFinished(Date.now() + 60_000), []);
    });

    it('counts no pending or cancelled job, nor a failed one once retried', async () => {
      const { store } = current();
      const sinceMs = Date.now() - 60_000;
      const [failed] = await store.enqueue([newJob('a', {}, { queue: 'q' })]);
      await finishAll(store, 'q', 'fail');
      const [cancelled] = await store.enqueue([newJob('a', {}, { queue: 'q' })]);
      await store.cancel(cancelled.id);
      await store.enqueue([newJob('a', {}, { queue: 'q', delay: '1h' })]);
      assert.equal((await store.countFinished(sinceMs))[0]?.failed, 1);

      await store.retry(failed.id);
      assert.deepEqual(await store.countFinished(sinceMs), []);
    });

    it('gives per queue the due time of the job that has waited longest', async () => {
      const { store } = current();
      const oldMs = Date.now() - 600_000;
      await store.enqueue([
        newJob('a', {}, { queue: 'mail', runAt: new Date(oldMs + 300_000) }),
        newJob('a', {}, { queue: 'mail', runAt: new Date(oldMs), priority: -5 }),
        newJob('a', {}, { queue: 'images', runAt: new Date(oldMs + 60_000) }),
        newJob('a', {}, { queue: 'later', delay: '1h' }),
      ]);

      assert.deepEqual(await store.oldestDue(), [
        { queue: 'images', dueAtMs: oldMs + 60_000 },
        { queue: 'mail', dueAtMs: oldMs },
      ]);
      await finishAll(store, 'images', 'complete');
      assert.deepEqual(await store.oldestDue(), [{ queue: 'mail', dueAtMs: oldMs }]);
    });

    it('lists only the job holding a key', async () => {
      const { store } = current();
      const [keyed] = await store.enqueue([
        newJob('a', {}, { key: 'welcome:42' }),
        newJob('a', {}, { key: 'welcome:43' }),
        newJob('a', {}),
      ]);

      const page = await store.listJobs({ key: 'welcome:42', limit: 50 });
      assert.deepEqual(
        page.jobs.map((job) => job.id),
        [keyed.id],
      );
      assert.deepEqual((await store.listJobs({ key: 'nobody', limit: 50 })).jobs, []);
    });
  });
}
