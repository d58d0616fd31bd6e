import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { newJob, tryError } from '../helpers/jobs.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

export function finishContract(factory: StoreFactory): void {
  describe('finish', () => {
    const current = useFreshStore(factory);

    const claimAll = () =>
      current().store.claim({ workerId: 'w', queues: null, limit: 100, leaseMs: 30_000 });

    it('completes a job with its result', async () => {
      await current().store.enqueue([newJob('a')]);
      const [{ job, lease }] = await claimAll();
      assert.deepEqual(
        await current().store.finish([{ type: 'complete', lease, resultJson: '{"sent":true}' }]),
        [true],
      );
      const stored = await current().store.getJob(job.id);
      assert.equal(stored?.state, 'completed');
      assert.deepEqual(stored?.result, { sent: true });
      assert.ok(stored?.finishedAt instanceof Date);
    });

    it('stores the last progress with the outcome, and not when the lease is lost', async () => {
      await current().store.enqueue([newJob('a'), newJob('b')]);
      const [first, second] = await claimAll();
      await current().store.cancel(second.job.id);

      const applied = await current().store.finish([
        { type: 'complete', lease: first.lease, resultJson: 'null', progressJson: '{"step":2}' },
        { type: 'complete', lease: second.lease, resultJson: 'null', progressJson: '{"step":9}' },
      ]);

      assert.deepEqual(applied, [true, false]);
      assert.deepEqual((await current().store.getJob(first.job.id))?.progress, { step: 2 });
      assert.equal((await current().store.getJob(second.job.id))?.progress, null);
    });

    it('schedules a failed try for its backoff time and keeps the error', async () => {
      await current().store.enqueue([newJob('a')]);
      const [{ job, lease }] = await claimAll();
      const before = Date.now();
      await current().store.finish([
        { type: 'retry', lease, error: tryError(1), retryInMs: 60_000 },
      ]);
      const stored = await current().store.getJob(job.id);
      assert.equal(stored?.state, 'scheduled');
      assert.equal(stored?.attempt, 1);
      assert.ok(stored!.runAt.getTime() >= before + 59_000);
      assert.equal(stored?.errors.length, 1);
      assert.equal(stored?.errors[0].message, 'boom');
      assert.equal(stored?.errors[0].name, 'TypeError');
      assert.match(stored?.errors[0].stack ?? '', /at handler/);
      assert.ok(stored?.errors[0].at instanceof Date);
      assert.deepEqual(await claimAll(), []);
    });

    it('moves a job with no tries left to failed (the dead-letter state)', async () => {
      await current().store.enqueue([newJob('a', {}, { attempts: 1 })]);
      const [{ job, lease }] = await claimAll();
      await current().store.finish([{ type: 'fail', lease, error: tryError(1) }]);
      const stored = await current().store.getJob(job.id);
      assert.equal(stored?.state, 'failed');
      assert.ok(stored?.finishedAt instanceof Date);
      assert.equal(stored?.errors.length, 1);
    });

    it('puts a released job back as due without spending its try', async () => {
      await current().store.enqueue([newJob('a')]);
      const [{ job, lease }] = await claimAll();
      await current().store.finish([{ type: 'release', lease }]);
      const stored = await current().store.getJob(job.id);
      assert.equal(stored?.state, 'available');
      assert.equal(stored?.attempt, 0);
    });

    it('records a batch of mixed outcomes in one call', async () => {
      await current().store.enqueue([newJob('a'), newJob('b'), newJob('c'), newJob('d')]);
      const claimed = await claimAll();
      const applied = await current().store.finish([
        { type: 'complete', lease: claimed[0].lease, resultJson: '1' },
        { type: 'retry', lease: claimed[1].lease, error: tryError(1), retryInMs: 0 },
        { type: 'fail', lease: claimed[2].lease, error: tryError(1) },
        { type: 'release', lease: claimed[3].lease },
      ]);
      assert.deepEqual(applied, [true, true, true, true]);
      const states = await Promise.all(claimed.map(({ job }) => current().store.getJob(job.id)));
      assert.deepEqual(
        states.map((job) => job?.state),
        ['completed', 'available', 'failed', 'available'],
      );
    });

    it('keeps only the newest 25 errors of a job', async () => {
      await current().store.enqueue([newJob('a', {}, { attempts: 40 })]);
      for (let attempt = 1; attempt <= 30; attempt += 1) {
        const [{ lease }] = await claimAll();
        await current().store.finish([
          { type: 'retry', lease, error: tryError(attempt, `try ${attempt}`), retryInMs: 0 },
        ]);
      }
      const [{ job }] = await claimAll();
      const stored = await current().store.getJob(job.id);
      assert.equal(stored?.errors.length, 25);
      assert.equal(stored?.errors[0].message, 'try 6');
      assert.equal(stored?.errors[24].message, 'try 30');
      assert.equal(stored?.attempt, 31);
    });
  });
}
