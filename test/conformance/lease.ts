import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';

import type { TryError } from '../../src/stores/store.js';
import { newJob, waitUntil } from '../helpers/jobs.js';
import type { StoreFactory, StoreHandle } from './store-factory.js';

const tryError = (attempt: number): TryError => ({
  attempt,
  name: 'Error',
  message: 'boom',
  stack: null,
  atMs: Date.now(),
});

export function leaseContract(factory: StoreFactory): void {
  describe('leases', () => {
    let handle: StoreHandle;
    beforeEach(async () => {
      handle = await factory();
    });
    afterEach(async () => {
      await handle.close();
    });

    const claimOne = async (leaseMs: number) => {
      const [claimed] = await handle.store.claim({ workerId: 'w', queues: null, limit: 1, leaseMs });
      assert.ok(claimed, 'a job was claimed');
      return claimed;
    };

    it('keeps a job held while its lease is renewed by heartbeat', async () => {
      await handle.store.enqueue([newJob('a')]);
      const { job, lease } = await claimOne(300);
      const until = Date.now() + 900;
      while (Date.now() < until) {
        assert.deepEqual(await handle.store.heartbeat([lease], 300), []);
        assert.equal(await handle.store.reclaimExpired(), 0);
        await new Promise((resolve) => setTimeout(resolve, 60));
      }
      assert.equal((await handle.store.getJob(job.id))?.state, 'running');
    });

    it('makes a job due again when its lease expires, counting the try', async () => {
      await handle.store.enqueue([newJob('a')]);
      const { job } = await claimOne(50);
      await waitUntil('the lease to be reclaimed', async () => (await handle.store.reclaimExpired()) === 1);
      const stored = await handle.store.getJob(job.id);
      assert.equal(stored?.state, 'available');
      assert.equal(stored?.attempt, 1);
      assert.equal(stored?.errors.length, 1);
      assert.equal(stored?.errors[0].name, 'LeaseExpiredError');
      assert.equal(stored?.errors[0].attempt, 1);
    });

    it('fails a job whose lease expires on its last try', async () => {
      await handle.store.enqueue([newJob('a', {}, { attempts: 1 })]);
      const { job } = await claimOne(50);
      await waitUntil('the lease to be reclaimed', async () => (await handle.store.reclaimExpired()) === 1);
      const stored = await handle.store.getJob(job.id);
      assert.equal(stored?.state, 'failed');
      assert.ok(stored?.finishedAt instanceof Date);
    });

    it('refuses every outcome from a lease that a newer claim replaced (fencing)', async () => {
      await handle.store.enqueue([newJob('a')]);
      const stale = await claimOne(50);
      await waitUntil('the lease to be reclaimed', async () => (await handle.store.reclaimExpired()) === 1);
      const fresh = await claimOne(30_000);
      assert.equal(fresh.job.id, stale.job.id);

      const lease = stale.lease;
      assert.deepEqual(
        await handle.store.finish([
          { type: 'complete', lease, resultJson: '"stale"' },
          { type: 'retry', lease, error: tryError(1), retryInMs: 0 },
          { type: 'fail', lease, error: tryError(1) },
          { type: 'release', lease },
        ]),
        [false, false, false, false],
      );
      assert.deepEqual(await handle.store.heartbeat([lease], 30_000), [lease]);
      assert.equal(await handle.store.setProgress(lease, '50'), false);

      assert.deepEqual(
        await handle.store.finish([{ type: 'complete', lease: fresh.lease, resultJson: '"fresh"' }]),
        [true],
      );
      const stored = await handle.store.getJob(fresh.job.id);
      assert.equal(stored?.state, 'completed');
      assert.equal(stored?.result, 'fresh');
      assert.equal(stored?.attempt, 2);
    });

    it('stores progress for the current lease', async () => {
      await handle.store.enqueue([newJob('a')]);
      const { job, lease } = await claimOne(30_000);
      assert.equal(await handle.store.setProgress(lease, JSON.stringify({ done: 3, of: 10 })), true);
      assert.deepEqual((await handle.store.getJob(job.id))?.progress, { done: 3, of: 10 });
    });
  });
}
