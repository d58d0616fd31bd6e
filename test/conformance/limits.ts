// Lane settings every store must enforce across workers: pause, concurrency and rate limits,
// and throttled tries given back (RateLimitedError).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RateLimitedError } from '../../src/core/errors.js';
import type { ClaimedJob, Store } from '../../src/stores/store.js';
import { newJob, waitUntil } from '../helpers/jobs.js';
import { nextEvent, queueOver } from '../helpers/queue.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

const claimFrom = (store: Store, queues: string[] | null, limit = 100): Promise<ClaimedJob[]> =>
  store.claim({ workerId: 'w', queues, limit, leaseMs: 30_000 });

const inLane = (queue: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({ ...newJob('t', { i }), queue }));

export function limitsContract(factory: StoreFactory): void {
  describe('lane settings: pause, concurrency, rate', () => {
    const current = useFreshStore(factory);

    it('keeps accepting jobs in a paused lane, starts none, and resumes', async () => {
      const { store } = current();
      const queue = queueOver(store);
      await queue.pause('emails');
      await store.enqueue([...inLane('emails', 3), ...inLane('reports', 2)]);

      const fromAll = await claimFrom(store, null);
      const fromNamed = await claimFrom(store, ['emails']);
      assert.deepEqual(
        fromAll.map(({ job }) => job.queue),
        ['reports', 'reports'],
      );
      assert.equal(fromNamed.length, 0);
      assert.deepEqual(await queue.queueConfigs(), [
        {
          name: 'emails',
          paused: true,
          concurrency: null,
          rate: null,
          groupConcurrency: null,
          groupRate: null,
          keepCompleted: null,
          keepFailed: null,
        },
      ]);

      await queue.resume('emails');
      assert.equal((await claimFrom(store, null)).length, 3);
    });

    it('never has more jobs of a lane running than its concurrency', async () => {
      const { store } = current();
      await queueOver(store).configure('ai', { concurrency: 2 });
      await store.enqueue(inLane('ai', 5));

      const first = await claimFrom(store, null);
      const second = await claimFrom(store, ['ai']);
      assert.equal(first.length, 2);
      assert.equal(second.length, 0);

      await store.finish([{ type: 'complete', lease: first[0].lease, resultJson: 'null' }]);
      assert.equal((await claimFrom(store, ['ai'])).length, 1);
    });

    it('holds a concurrency limit across two stores claiming at once', async () => {
      const { store } = current();
      const other = await current().reopen();
      try {
        await queueOver(store).configure('ai', { concurrency: 3 });
        await store.enqueue(inLane('ai', 20));
        const claims = await Promise.all(
          Array.from({ length: 6 }, (_, i) => claimFrom(i % 2 === 0 ? store : other, null, 2)),
        );
        assert.equal(claims.flat().length, 3);
      } finally {
        await other.close();
      }
    });

    it('starts at most rate.max jobs in any window of rate.per', async () => {
      const { store } = current();
      await queueOver(store).configure('sms', { rate: { max: 3, per: 300 } });
      await store.enqueue(inLane('sms', 10));

      const first = await claimFrom(store, null);
      const second = await claimFrom(store, ['sms']);
      assert.equal(first.length, 3);
      assert.equal(second.length, 0);

      const third = await waitUntil(
        'the window to pass',
        async () => {
          const claimed = await claimFrom(store, null);
          return claimed.length > 0 ? claimed : null;
        },
        { everyMs: 20 },
      );
      assert.equal(third.length, 3);
      const startedMs = third[0].job.startedAt!.getTime();
      assert.ok(startedMs - first[0].job.startedAt!.getTime() >= 300);
      // Regression: the log swapped its old entry for the new one and was not saved.
      assert.equal((await claimFrom(store, null)).length, 0, 'the window is full again');
    });

    it('keeps the other settings when one changes, and removes a limit set to null', async () => {
      const queue = queueOver(current().store);
      await queue.configure('ai', { concurrency: 2 });
      await queue.configure('ai', { rate: { max: 10, per: '1s' } });
      await queue.pause('ai');
      const both = await queue.configure('ai', { concurrency: null });

      assert.deepEqual(both, {
        name: 'ai',
        paused: true,
        concurrency: null,
        rate: { max: 10, perMs: 1_000 },
        groupConcurrency: null,
        groupRate: null,
        keepCompleted: null,
        keepFailed: null,
      });
      assert.deepEqual(await queue.queueConfigs(), [both]);
    });

    it('claims a configured lane freely once its limits are removed', async () => {
      const { store } = current();
      const queue = queueOver(store);
      await queue.configure('ai', { concurrency: 1 });
      await queue.configure('ai', { concurrency: null });
      await store.enqueue(inLane('ai', 4));

      assert.equal((await claimFrom(store, null)).length, 4);
    });

    it('puts a released try back after its delay without spending it', async () => {
      const { store } = current();
      const [job] = await store.enqueue([newJob('t')]);
      const [{ lease }] = await claimFrom(store, null);
      const before = Date.now();

      await store.finish([{ type: 'release', lease, delayMs: 60_000 }]);

      const stored = await store.getJob(job.id);
      assert.equal(stored?.state, 'scheduled');
      assert.equal(stored?.attempt, 0);
      assert.ok(stored!.runAt.getTime() >= before + 59_000);
    });

    it('runs a throttled job again after its retry-after, without spending a try', async () => {
      const queue = queueOver(current().store);
      const job = await queue.enqueue('call-api', null, { attempts: 1 });
      let calls = 0;
      const worker = queue.work(
        {
          'call-api': async () => {
            calls += 1;
            if (calls < 3) throw new RateLimitedError(20, 'HTTP 429');
            return 'answered';
          },
        },
        { pollInterval: 10 },
      );
      const completed = await nextEvent(worker, 'completed', job.id);
      await worker.stop();

      assert.equal(calls, 3);
      assert.equal(completed.attempt, 1);
      const stored = await queue.getJob(job.id);
      assert.equal(stored?.state, 'completed');
      assert.deepEqual(stored?.errors, []);
    });
  });
}
