import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { NotFoundError, StateError } from '../../src/core/errors.js';
import { newJob, tryError } from '../helpers/jobs.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

export function cancelRetryContract(factory: StoreFactory): void {
  describe('cancel and retry', () => {
    const current = useFreshStore(factory);

    const claimAll = () =>
      current().store.claim({ workerId: 'w', queues: null, limit: 100, leaseMs: 30_000 });

    it('cancels an available job so that no worker takes it', async () => {
      const [job] = await current().store.enqueue([newJob('a')]);
      const cancelled = await current().store.cancel(job.id);
      assert.equal(cancelled.state, 'cancelled');
      assert.ok(cancelled.finishedAt instanceof Date);
      assert.deepEqual(await claimAll(), []);
      assert.equal((await current().store.cancel(job.id)).state, 'cancelled');
    });

    it('cancels a running job: its lease is lost and its outcome refused', async () => {
      await current().store.enqueue([newJob('a')]);
      const [{ job, lease }] = await claimAll();
      await current().store.cancel(job.id);
      assert.deepEqual(await current().store.heartbeat([lease], 30_000), [lease]);
      assert.deepEqual(
        await current().store.finish([{ type: 'complete', lease, resultJson: 'null' }]),
        [false],
      );
      assert.equal((await current().store.getJob(job.id))?.state, 'cancelled');
    });

    it('refuses to cancel a finished job and names its state', async () => {
      await current().store.enqueue([newJob('a')]);
      const [{ job, lease }] = await claimAll();
      await current().store.finish([{ type: 'complete', lease, resultJson: 'null' }]);
      await assert.rejects(current().store.cancel(job.id), (error: unknown) => {
        assert.ok(error instanceof StateError);
        assert.match(error.message, /completed/);
        return true;
      });
    });

    it('retries a failed job with fresh tries and keeps its past errors', async () => {
      await current().store.enqueue([newJob('a', {}, { attempts: 1 })]);
      const [{ job, lease }] = await claimAll();
      await current().store.finish([{ type: 'fail', lease, error: tryError(1) }]);
      const retried = await current().store.retry(job.id);
      assert.equal(retried.state, 'available');
      assert.equal(retried.attempt, 0);
      assert.equal(retried.finishedAt, null);
      assert.equal(retried.errors.length, 1);
      assert.equal((await claimAll()).length, 1);
    });

    it('retries a cancelled job', async () => {
      const [job] = await current().store.enqueue([newJob('a')]);
      await current().store.cancel(job.id);
      assert.equal((await current().store.retry(job.id)).state, 'available');
    });

    it('refuses to retry a job that is not failed or cancelled', async () => {
      const [job] = await current().store.enqueue([newJob('a')]);
      await assert.rejects(current().store.retry(job.id), StateError);
    });

    it('reports unknown and malformed ids as not found', async () => {
      assert.equal(await current().store.getJob('999999'), null);
      assert.equal(await current().store.getJob('not-an-id'), null);
      assert.equal(await current().store.getJob("1' OR '1'='1"), null);
      await assert.rejects(current().store.cancel('999999'), NotFoundError);
      await assert.rejects(current().store.retry('nope'), NotFoundError);
    });
  });
}
