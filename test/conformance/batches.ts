import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { resolveBatch, type BatchItem } from '../../src/core/batch.js';
import { NotSupportedError, ValidationError } from '../../src/core/errors.js';
import type { ClaimedJob, Store } from '../../src/stores/store.js';
import { tryError, waitUntil } from '../helpers/jobs.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

const TRANSACTIONAL_STORES = new Set(['postgres']);

/** A NewBatch as the queue builds it. */
export function newBatch(items: Iterable<BatchItem>, callbackPayload: unknown = { issue: 1 }) {
  const { tx: _tx, ...batch } = resolveBatch(
    items,
    { onComplete: { task: 'report', payload: callbackPayload, options: { queue: 'reports' } } },
    1_048_576,
  );
  return batch;
}

const members = (count: number, queue = 'mail'): BatchItem[] =>
  Array.from({ length: count }, (_, index) => ({
    task: 'send',
    payload: { to: index },
    options: { queue, attempts: 1 },
  }));

const claim = (store: Store, queue: string, limit = 100, leaseMs = 30_000) =>
  store.claim({ workerId: 'w', queues: [queue], limit, leaseMs });

const complete = (store: Store, claimed: readonly ClaimedJob[]) =>
  store.finish(claimed.map(({ lease }) => ({ type: 'complete', lease, resultJson: 'true' })));

export function batchesContract(factory: StoreFactory): void {
  describe('batches', () => {
    const current = useFreshStore(factory);

    it('stores the jobs of a batch with its id and its callback waiting', async () => {
      const { store } = current();
      const batch = await store.enqueueBatch(newBatch(members(3)));
      assert.equal(batch.total, 3);
      assert.deepEqual([batch.completed, batch.failed, batch.cancelled], [0, 0, 0]);
      assert.equal(batch.state, 'running');
      assert.equal(batch.finishedAt, null);
      assert.ok(batch.createdAt instanceof Date);
      const callback = await store.getJob(batch.callbackJobId!);
      assert.equal(callback?.state, 'waiting');
      assert.equal(callback?.batchId, null, 'the callback is not a job of its batch');
      assert.deepEqual(await claim(store, 'reports'), [], 'no worker takes a waiting job');
      const claimed = await claim(store, 'mail');
      assert.equal(claimed.length, 3);
      assert.ok(claimed.every(({ job }) => job.batchId === batch.id));
      assert.deepEqual((await store.stats()).total.waiting, 1);
      assert.deepEqual(await store.getBatch(batch.id), batch);
    });

    it('counts each way a job ends and runs the callback once with the summary', async () => {
      const { store } = current();
      const batch = await store.enqueueBatch(newBatch(members(4), { issue: 7 }));
      const [a, b, c] = await claim(store, 'mail', 3);
      await complete(store, [a]);
      await store.finish([{ type: 'retry', lease: b.lease, error: tryError(1), retryInMs: 0 }]);
      assert.equal((await store.getBatch(batch.id))?.failed, 0, 'a try with tries left');
      const [again] = await claim(store, 'mail', 1);
      await store.finish([{ type: 'fail', lease: again.lease, error: tryError(2) }]);
      await store.cancel(c.job.id);
      assert.deepEqual(await claim(store, 'reports'), [], 'one job has not ended yet');
      const last = (await claim(store, 'mail'))[0];
      await complete(store, [last]);

      const finished = await store.getBatch(batch.id);
      assert.deepEqual(
        [finished?.total, finished?.completed, finished?.failed, finished?.cancelled],
        [4, 2, 1, 1],
      );
      assert.equal(finished?.state, 'finished');
      assert.ok(finished?.finishedAt instanceof Date);
      const [callback] = await claim(store, 'reports');
      assert.equal(callback.job.id, batch.callbackJobId);
      assert.deepEqual(callback.job.payload, {
        batch: { id: batch.id, total: 4, completed: 2, failed: 1, cancelled: 1 },
        payload: { issue: 7 },
      });
      assert.deepEqual(await claim(store, 'reports'), []);
    });

    it('counts many jobs of one batch finished in one call', async () => {
      const { store } = current();
      const batch = await store.enqueueBatch(newBatch(members(5)));
      const claimed = await claim(store, 'mail');
      await store.finish([
        ...claimed.slice(0, 3).map(({ lease }) => ({
          type: 'complete' as const,
          lease,
          resultJson: 'null',
        })),
        ...claimed.slice(3).map(({ lease }) => ({
          type: 'fail' as const,
          lease,
          error: tryError(1),
        })),
      ]);
      const finished = await store.getBatch(batch.id);
      assert.deepEqual([finished?.completed, finished?.failed], [3, 2]);
      assert.equal((await store.getJob(batch.callbackJobId!))?.state, 'available');
    });

    it('counts a job failed for good by an expired lease', async () => {
      const { store } = current();
      const batch = await store.enqueueBatch(newBatch(members(1)));
      await claim(store, 'mail', 1, 20);
      await waitUntil('the lease to be reclaimed', async () => (await store.reclaimExpired()) > 0);
      const finished = await store.getBatch(batch.id);
      assert.equal(finished?.failed, 1);
      assert.equal(finished?.state, 'finished');
      assert.equal((await store.getJob(batch.callbackJobId!))?.state, 'available');
    });

    it('moves a retried job out of its counter, without running the callback again', async () => {
      const { store } = current();
      const batch = await store.enqueueBatch(newBatch(members(2)));
      const [a, b] = await claim(store, 'mail');
      await complete(store, [a]);
      await store.finish([{ type: 'fail', lease: b.lease, error: tryError(1) }]);
      const [callback] = await claim(store, 'reports');
      await complete(store, [callback]);

      await store.retry(b.job.id);
      const retried = await store.getBatch(batch.id);
      assert.deepEqual([retried?.completed, retried?.failed], [1, 0]);
      assert.equal(retried?.state, 'finished', 'a finished batch stays finished');
      await complete(store, await claim(store, 'mail'));
      assert.deepEqual([(await store.getBatch(batch.id))?.completed], [2]);
      assert.equal((await store.getJob(batch.callbackJobId!))?.state, 'completed');
      assert.deepEqual(await claim(store, 'reports'), [], 'the callback does not run twice');
    });

    it('takes a deleted job out of its batch, which may then finish without it', async () => {
      const { store } = current();
      const batch = await store.enqueueBatch(newBatch(members(2)));
      const [a] = await claim(store, 'mail', 1);
      await complete(store, [a]);
      const pending = (await store.listJobs({ state: 'available', queue: 'mail', limit: 5 }))
        .jobs[0];
      await store.deleteJob(pending.id);
      const finished = await store.getBatch(batch.id);
      assert.deepEqual([finished?.total, finished?.completed, finished?.state], [1, 1, 'finished']);
      assert.equal((await store.getJob(batch.callbackJobId!))?.state, 'available');
    });

    it('finishes an empty batch at once', async () => {
      const { store } = current();
      const batch = await store.enqueueBatch(newBatch([]));
      assert.deepEqual([batch.total, batch.state], [0, 'finished']);
      const [callback] = await claim(store, 'reports');
      assert.deepEqual(callback.job.payload, {
        batch: { id: batch.id, total: 0, completed: 0, failed: 0, cancelled: 0 },
        payload: { issue: 1 },
      });
    });

    it('tracks a batch without a callback', async () => {
      const { store } = current();
      const { tx: _tx, ...plain } = resolveBatch(members(2), undefined, 1_048_576);
      const batch = await store.enqueueBatch(plain);
      assert.equal(batch.callbackJobId, null);
      await complete(store, await claim(store, 'mail'));
      assert.equal((await store.getBatch(batch.id))?.state, 'finished');
      assert.equal((await store.stats()).total.waiting, 0);
    });

    it('stores nothing when an item is invalid, even after many chunks', async () => {
      const { store } = current();
      function* items(): Generator<BatchItem> {
        yield* members(4_500);
        yield { task: 'send', options: { queue: 'not a lane!' } };
      }
      await assert.rejects(store.enqueueBatch(newBatch(items())), (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.equal(error.field, 'items[4500].options.queue');
        return true;
      });
      const stats = await store.stats();
      assert.equal(stats.total.available + stats.total.waiting, 0);
    });

    it('enqueues 20,000 jobs in one batch and counts them all', async () => {
      const { store } = current();
      const batch = await store.enqueueBatch(newBatch(members(20_000)));
      assert.equal(batch.total, 20_000);
      assert.equal((await store.stats()).queues.mail.available, 20_000);
    });

    it('runs one callback when two stores end the last two jobs at the same moment', async () => {
      const handle = current();
      const other = await handle.reopen();
      try {
        for (let round = 0; round < 10; round += 1) {
          const batch = await handle.store.enqueueBatch(newBatch(members(2, `m${round}`)));
          const [a] = await claim(handle.store, `m${round}`, 1);
          const [b] = await claim(other, `m${round}`, 1);
          await Promise.all([complete(handle.store, [a]), complete(other, [b])]);
          const finished = await handle.store.getBatch(batch.id);
          assert.equal(finished?.completed, 2, `round ${round}: no counter update lost`);
          const callbacks = await claim(handle.store, 'reports');
          assert.equal(callbacks.length, 1, `round ${round}: one callback`);
          await complete(handle.store, callbacks);
        }
      } finally {
        await other.close();
      }
    });

    it('reads an unknown or malformed batch id as none', async () => {
      const { store } = current();
      assert.equal(await store.getBatch('999999'), null);
      assert.equal(await store.getBatch('batch-1'), null);
    });

    it('creates the batch only when the caller commits (tx), or refuses tx', async (t) => {
      const handle = current();
      if (!TRANSACTIONAL_STORES.has(handle.store.name)) {
        await assert.rejects(
          handle.store.enqueueBatch(newBatch(members(1)), { query: () => undefined }),
          NotSupportedError,
        );
        return t.skip(`${handle.store.name} refuses tx`);
      }
      const rolledBack = await handle.beginTransaction!();
      const lost = await handle.store.enqueueBatch(newBatch(members(2)), rolledBack.client);
      await rolledBack.rollback();
      assert.equal(await handle.store.getBatch(lost.id), null);

      const committed = await handle.beginTransaction!();
      const batch = await handle.store.enqueueBatch(newBatch(members(2)), committed.client);
      assert.equal(await handle.store.getBatch(batch.id), null, 'invisible before the commit');
      await committed.commit();
      assert.equal((await handle.store.getBatch(batch.id))?.total, 2);
      assert.equal((await claim(handle.store, 'mail')).length, 2);
    });
  });
}
