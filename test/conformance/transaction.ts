import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { NotSupportedError } from '../../src/core/errors.js';
import { newJob } from '../helpers/jobs.js';
import { useFreshStore, type StoreFactory, type StoreHandle } from './store-factory.js';

// The stores that enqueue inside the caller's transaction. Every other store must refuse `tx`
// with NotSupportedError naming itself and the alternative, never ignore it.
const TRANSACTIONAL_STORES = new Set(['postgres']);

export function transactionContract(factory: StoreFactory): void {
  describe("enqueue in the caller's transaction (tx)", () => {
    const current = useFreshStore(factory);

    const begin = (handle: StoreHandle) => {
      assert.ok(handle.beginTransaction, `the ${handle.store.name} handle opens transactions`);
      return handle.beginTransaction();
    };

    it('refuses tx on a store that cannot enqueue in it, naming the store and the way out', async (t) => {
      const { store } = current();
      if (TRANSACTIONAL_STORES.has(store.name)) return t.skip(`${store.name} supports tx`);
      const tx = { query: () => undefined };
      await assert.rejects(store.enqueue([newJob('a')], tx), (error: unknown) => {
        assert.ok(error instanceof NotSupportedError);
        assert.equal(error.store, store.name);
        assert.match(error.message, new RegExp(`^${store.name} store does not support .*tx`));
        assert.match(error.message, /postgres:\/\//);
        return true;
      });
      assert.equal((await store.stats()).total.available, 0);
    });

    it('creates the job only when the caller commits', async (t) => {
      const handle = current();
      if (!TRANSACTIONAL_STORES.has(handle.store.name)) return t.skip('no tx on this store');
      const tx = await begin(handle);
      const [job] = await handle.store.enqueue([newJob('welcome', { userId: 7 })], tx.client);
      assert.equal(job.state, 'available');
      assert.equal(await handle.store.getJob(job.id), null, 'invisible before the commit');
      await tx.commit();
      assert.equal((await handle.store.getJob(job.id))?.state, 'available');
      assert.equal(
        (await handle.store.claim({ workerId: 'w', queues: null, limit: 5, leaseMs: 30_000 }))
          .length,
        1,
      );
    });

    it('leaves no job when the caller rolls back', async (t) => {
      const handle = current();
      if (!TRANSACTIONAL_STORES.has(handle.store.name)) return t.skip('no tx on this store');
      const tx = await begin(handle);
      const jobs = await handle.store.enqueue(
        [newJob('a', {}, { key: 'k1' }), newJob('b')],
        tx.client,
      );
      await tx.rollback();
      assert.equal(await handle.store.getJob(jobs[0].id), null);
      assert.equal((await handle.store.stats()).total.available, 0);
      const [again] = await handle.store.enqueue([newJob('a', {}, { key: 'k1' })]);
      assert.equal(again.state, 'available', 'the key is free again');
    });
  });
}
