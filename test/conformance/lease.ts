import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { newJob, tryError, waitUntil } from '../helpers/jobs.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

export function leaseContract(factory: StoreFactory): void {
  describe('leases', () => {
    const current = useFreshStore(factory);

    const claimOne = async (leaseMs: number) => {
      const [claimed] = await current().store.claim({
        workerId: 'w',
        queues: null,
        limit: 1,
        leaseMs,
      });
      assert.ok(claimed, 'a job was claimed');
      return claimed;
    };

    it('keeps a job held while its lease is renewed by heartbeat', async () => {
      await current().store.enqueue([newJob('a')]);
      const { job, lease } = await claimOne(300);
      const until = Date.now() + 900;
      while (Date.now() < until) {
        assert.deepEqual(await current().store.heartbeat([lease], 300), []);
        assert.equal(await current().store.reclaimExpired(), 0);
        await new Promise((resolve) => setTimeout(resolve, 60));
      }
      assert.equal((await current().store.getJob(job.id))?.state, 'running');
    });

    it('makes a job due again when its lease expires, counting the try', async () => {
      await current().store.enqueue([newJob('a')]);
      const { job } = await claimOne(50);
      await waitUntil(
        'the lease to be reclaimed',
        async () => (await current().store.reclaimExpired()) === 1,
      );
      const stored = await current().store.getJob(job.id);
      assert.equal(stored?.state, 'available');
      assert.equal(stored?.attempt, 1);
      assert.equal(stored?.errors.length, 1);
      assert.equal(stored?.errors[0].name, 'LeaseExpiredError');
      assert.equal(stored?.errors[0].attempt, 1);
    });

    it('fails a job whose lease expires on its last try', async () => {
      await current().store.enqueue([newJob('a', {}, { attempts: 1 })]);
      const { job } = await claimOne(50);
      await waitUntil(
        'the lease to be reclaimed',
        async () => (await current().store.reclaimExpired()) === 1,
      );
      const stored = await current().store.getJob(job.id);
      assert.equal(stored?.state, 'failed');
      assert.ok(stored?.finishedAt instanceof Date);
    });

    it('refuses every outcome from a lease that a newer claim replaced (fencing)', async () => {
      await current().store.enqueue([newJob('a')]);
      const stale = await claimOne(50);
      await waitUntil(
        'the lease to be reclaimed',
        async () => (await current().store.reclaimExpired()) === 1,
      );
      const fresh = await claimOne(30_000);
      assert.equal(fresh.job.id, stale.job.id);

      const lease = stale.lease;
      assert.deepEqual(
        await current().store.finish([
          { type: 'complete', lease, resultJson: '"stale"' },
          { type: 'retry', lease, error: tryError(1), retryInMs: 0 },
          { type: 'fail', lease, error: tryError(1) },
          { type: 'release', lease },
        ]),
        [false, false, false, false],
      );
      assert.deepEqual(await current().store.heartbeat([lease], 30_000), [lease]);
      assert.equal(await current().store.setProgress(lease, '50'), false);

      assert.deepEqual(
        await current().store.finish([
          { type: 'complete', lease: fresh.lease, resultJson: '"fresh"' },
        ]),
        [true],
      );
      const stored = await current().store.getJob(fresh.job.id);
      assert.equal(stored?.state, 'completed');
      assert.equal(stored?.result, 'fresh');
      assert.equal(stored?.attempt, 2);
    });

    it('stores progress for the current lease', async () => {
      await current().store.enqueue([newJob('a')]);
      const { job, lease } = await claimOne(30_000);
      assert.equal(
        await current().store.setProgress(lease, JSON.stringify({ done: 3, of: 10 })),
        true,
      );
      assert.deepEqual((await current().store.getJob(job.id))?.progress, { done: 3, of: 10 });
    });
  });
}
