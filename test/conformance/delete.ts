import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { NotFoundError, StateError } from '../../src/core/errors.js';
import { newJob, tryError } from '../helpers/jobs.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

export function deleteContract(factory: StoreFactory): void {
  describe('delete', () => {
    const current = useFreshStore(factory);

    const claimAll = () =>
      current().store.claim({ workerId: 'w', queues: null, limit: 100, leaseMs: 30_000 });

    it('deletes a due job so that no worker takes it, and returns it as it was', async () => {
      const [job] = await current().store.enqueue([newJob('a', { n: 1 })]);
      const deleted = await current().store.deleteJob(job.id);
      assert.equal(deleted.id, job.id);
      assert.equal(deleted.state, 'available');
      assert.deepEqual(deleted.payload, { n: 1 });
      assert.equal(await current().store.getJob(job.id), null);
      assert.deepEqual(await claimAll(), []);
      assert.deepEqual((await current().store.listJobs({ limit: 10 })).jobs, []);
    });

    it('deletes scheduled, completed, failed and cancelled jobs', async () => {
      const [later, done, dead, stopped] = await current().store.enqueue([
        newJob('later', {}, { delay: '1h' }),
        newJob('done'),
        newJob('dead', {}, { attempts: 1 }),
        newJob('stopped', {}, { delay: '1h' }),
      ]);
      const claimed = await claimAll();
      const lease = (id: string) => claimed.find((c) => c.job.id === id)!.lease;
      await current().store.finish([
        { type: 'complete', lease: lease(done.id), resultJson: '1' },
        { type: 'fail', lease: lease(dead.id), error: tryError(1) },
      ]);
      await current().store.cancel(stopped.id);

      const states = [];
      for (const job of [later, done, dead, stopped]) {
        states.push((await current().store.deleteJob(job.id)).state);
      }
      assert.deepEqual(states, ['scheduled', 'completed', 'failed', 'cancelled']);
      assert.equal(
        Object.values((await current().store.stats()).total).reduce((a, b) => a + b),
        0,
      );
    });

    it('refuses to delete a running job, saying to cancel it first, and keeps it', async () => {
      await current().store.enqueue([newJob('a')]);
      const [{ job, lease }] = await claimAll();
      await assert.rejects(current().store.deleteJob(job.id), (error: unknown) => {
        assert.ok(error instanceof StateError);
        assert.match(error.message, /running; cancel it first/);
        return true;
      });
      assert.equal((await current().store.getJob(job.id))?.state, 'running');
      assert.deepEqual(
        await current().store.finish([{ type: 'complete', lease, resultJson: 'null' }]),
        [true],
      );
    });

    it("never gives a deleted job's id to a new job, even when it was the newest", async () => {
      const { store } = current();
      const old = await store.enqueue([newJob('a'), newJob('b'), newJob('c')]);
      for (const job of old) await store.deleteJob(job.id);
      const [single] = await store.enqueue([newJob('d')]);
      const many = await store.enqueue([newJob('e'), newJob('f', {}, { key: 'k' }), newJob('g')]);
      const taken = new Set(old.map((job) => job.id));
      for (const job of [single, ...many]) {
        assert.ok(!taken.has(job.id), `new job ${job.id} took a deleted job's id`);
        assert.ok(BigInt(job.id) > BigInt(old[2].id));
      }
    });

    it('frees the idempotency key of the deleted job for a new one', async () => {
      const [first] = await current().store.enqueue([newJob('a', { n: 1 }, { key: 'k' })]);
      await current().store.deleteJob(first.id);
      const [second] = await current().store.enqueue([newJob('a', { n: 2 }, { key: 'k' })]);
      assert.deepEqual(second.payload, { n: 2 });
      assert.equal(second.key, 'k');
      assert.equal((await current().store.listJobs({ key: 'k', limit: 5 })).jobs.length, 1);
    });

    it('reports unknown, malformed and already deleted ids as not found', async () => {
      const [job] = await current().store.enqueue([newJob('a')]);
      await current().store.deleteJob(job.id);
      await assert.rejects(current().store.deleteJob(job.id), NotFoundError);
      await assert.rejects(current().store.deleteJob('999999'), NotFoundError);
      await assert.rejects(current().store.deleteJob("1' OR '1'='1"), NotFoundError);
    });
  });
}
