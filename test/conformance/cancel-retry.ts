import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { NotFoundError, StateError } from '../../src/core/errors.js';
import { newJob } from '../helpers/jobs.js';
import type { StoreFactory, StoreHandle } from './store-factory.js';

export function cancelRetryContract(factory: StoreFactory): void {
  describe('cancel and retry', () => {
    let handle: StoreHandle;
    beforeEach(async () => {
      handle = await factory();
    });
    afterEach(async () => {
      await handle.close();
    });

    const claimAll = () =>
      handle.store.claim({ workerId: 'w', queues: null, limit: 100, leaseMs: 30_000 });

    it('cancels an available job so that no worker takes it', async () => {
      const [job] = await handle.store.enqueue([newJob('a')]);
      const cancelled = await handle.store.cancel(job.id);
      assert.equal(cancelled.state, 'cancelled');
      assert.ok(cancelled.finishedAt instanceof Date);
      assert.deepEqual(await claimAll(), []);
      assert.equal((await handle.store.cancel(job.id)).state, 'cancelled');
    });

    it('cancels a running job: its lease is lost and its outcome refused', async () => {
      await handle.store.enqueue([newJob('a')]);
      const [{ job, lease }] = await claimAll();
      await handle.store.cancel(job.id);
      assert.deepEqual(await handle.store.heartbeat([lease], 30_000), [lease]);
      assert.deepEqual(
        await handle.store.finish([{ type: 'complete', lease, resultJson: 'null' }]),
        [false],
      );
      assert.equal((await handle.store.getJob(job.id))?.state, 'cancelled');
    });

    it('refuses to cancel a finished job and names its state', async () => {
      await handle.store.enqueue([newJob('a')]);
      const [{ job, lease }] = await claimAll();
      await handle.store.finish([{ type: 'complete', lease, resultJson: 'null' }]);
      await assert.rejects(handle.store.cancel(job.id), (error: unknown) => {
        assert.ok(error instanceof StateError);
        assert.match(error.message, /completed/);
        return true;
      });
    });

    it('retries a failed job with fresh tries and keeps its past errors', async () => {
      await handle.store.enqueue([newJob('a', {}, { attempts: 1 })]);
      const [{ job, lease }] = await claimAll();
      const error = { attempt: 1, name: 'Error', message: 'x', stack: null, atMs: Date.now() };
      await handle.store.finish([{ type: 'fail', lease, error }]);
      const retried = await handle.store.retry(job.id);
      assert.equal(retried.state, 'available');
      assert.equal(retried.attempt, 0);
      assert.equal(retried.finishedAt, null);
      assert.equal(retried.errors.length, 1);
      assert.equal((await claimAll()).length, 1);
    });

    it('retries a cancelled job', async () => {
      const [job] = await handle.store.enqueue([newJob('a')]);
      await handle.store.cancel(job.id);
      assert.equal((await handle.store.retry(job.id)).state, 'available');
    });

    it('refuses to retry a job that is not failed or cancelled', async () => {
      const [job] = await handle.store.enqueue([newJob('a')]);
      await assert.rejects(handle.store.retry(job.id), StateError);
    });

    it('reports unknown and malformed ids as not found', async () => {
      assert.equal(await handle.store.getJob('999999'), null);
      assert.equal(await handle.store.getJob('not-an-id'), null);
      assert.equal(await handle.store.getJob("1' OR '1'='1"), null);
      await assert.rejects(handle.store.cancel('999999'), NotFoundError);
      await assert.rejects(handle.store.retry('nope'), NotFoundError);
    });
  });
}
