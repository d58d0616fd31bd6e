import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { newJob } from '../helpers/jobs.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

const LEASE_MS = 30_000;

export function claimContract(factory: StoreFactory): void {
  describe('claim', () => {
    const current = useFreshStore(factory);

    const claim = (limit: number, queues: string[] | null = null) =>
      current().store.claim({ workerId: 'w1', queues, limit, leaseMs: LEASE_MS });

    it('takes the highest priority first, then the earliest due, then the oldest', async () => {
      const past = (ms: number) => new Date(Date.now() - ms);
      await current().store.enqueue([
        newJob('a', { n: 'low-old' }, { priority: 0, runAt: past(5_000) }),
        newJob('a', { n: 'high-late' }, { priority: 5, runAt: past(1_000) }),
        newJob('a', { n: 'high-early' }, { priority: 5, runAt: past(2_000) }),
        newJob('a', { n: 'low-new' }, { priority: 0, runAt: past(5_000) }),
        newJob('a', { n: 'negative' }, { priority: -1, runAt: past(9_000) }),
      ]);
      const claimed = await claim(10);
      assert.deepEqual(
        claimed.map(({ job }) => (job.payload as { n: string }).n),
        ['high-early', 'high-late', 'low-old', 'low-new', 'negative'],
      );
    });

    it('marks claimed jobs running, counts the try and hands out a lease', async () => {
      const [enqueued] = await current().store.enqueue([newJob('a')]);
      const [{ job, lease }] = await claim(1);
      assert.equal(job.id, enqueued.id);
      assert.equal(job.state, 'running');
      assert.equal(job.attempt, 1);
      assert.ok(job.startedAt instanceof Date);
      assert.equal(lease.jobId, job.id);
      const stored = await current().store.getJob(job.id);
      assert.equal(stored?.state, 'running');
      assert.deepEqual(await claim(1), []);
    });

    it('leaves scheduled jobs alone until they are due', async () => {
      await current().store.enqueue([newJob('a', {}, { delay: '1h' })]);
      assert.deepEqual(await claim(10), []);
    });

    it('takes only from the named queues', async () => {
      await current().store.enqueue([
        newJob('a', { q: 'emails' }, { queue: 'emails' }),
        newJob('a', { q: 'reports' }, { queue: 'reports' }),
        newJob('a', { q: 'default' }),
      ]);
      const emails = await claim(10, ['emails']);
      assert.deepEqual(
        emails.map(({ job }) => job.queue),
        ['emails'],
      );
      const rest = await claim(10, ['reports', 'default']);
      assert.deepEqual(rest.map(({ job }) => job.queue).sort(), ['default', 'reports']);
    });

    it('claims only jobs of the tasks named, from any lane, in claim order', async () => {
      const { store } = current();
      await store.enqueue([
        newJob('theirs', { n: 1 }, { priority: 9 }),
        newJob('mine', { n: 2 }),
        newJob('theirs', { n: 3 }, { queue: 'other' }),
        newJob('also-mine', { n: 4 }, { queue: 'other' }),
        newJob('mine', { n: 5 }, { group: 'g' }),
      ]);
      const request = { workerId: 'w', limit: 10, leaseMs: LEASE_MS };
      const mine = await store.claim({ ...request, queues: null, tasks: ['mine', 'also-mine'] });
      assert.deepEqual(mine.map(({ job }) => job.payload).sort(), [{ n: 2 }, { n: 4 }, { n: 5 }]);
      assert.deepEqual(await store.claim({ ...request, queues: ['default'], tasks: [] }), []);
      const theirs = await store.claim({ ...request, queues: ['default', 'other'] });
      assert.deepEqual(
        theirs.map(({ job }) => job.task),
        ['theirs', 'theirs'],
      );
      assert.ok(
        theirs.every(({ job }) => job.attempt === 1),
        'left jobs spent no try',
      );
    });

    it('keeps a task filter within a lane that has limits and groups', async () => {
      const { store } = current();
      await store.configureQueue('limited', { concurrency: 5, groupConcurrency: 1 });
      await store.enqueue([
        newJob('theirs', {}, { queue: 'limited', group: 'a' }),
        newJob('mine', {}, { queue: 'limited', group: 'a' }),
        newJob('theirs', {}, { queue: 'limited' }),
        newJob('mine', {}, { queue: 'limited', group: 'b' }),
      ]);
      const request = { workerId: 'w', limit: 10, leaseMs: LEASE_MS, tasks: ['mine'] };
      const claimed = await store.claim({ ...request, queues: ['limited'] });
      assert.deepEqual(claimed.map(({ job }) => [job.task, job.group]).sort(), [
        ['mine', 'a'],
        ['mine', 'b'],
      ]);
    });

    it('respects the limit', async () => {
      await current().store.enqueue(Array.from({ length: 10 }, () => newJob('a')));
      assert.equal((await claim(3)).length, 3);
      assert.equal((await claim(100)).length, 7);
    });

    it('never hands one job to two concurrent claimers', async () => {
      const other = await current().reopen();
      try {
        await current().store.enqueue(Array.from({ length: 200 }, (_, i) => newJob('a', { i })));
        const claimers = [current().store, other];
        const seen: string[] = [];
        await Promise.all(
          claimers.map(async (store, index) => {
            for (;;) {
              const batch = await store.claim({
                workerId: `w${index}`,
                queues: null,
                limit: 7,
                leaseMs: LEASE_MS,
              });
              if (batch.length === 0) return;
              seen.push(...batch.map(({ job }) => job.id));
            }
          }),
        );
        assert.equal(seen.length, 200);
        assert.equal(new Set(seen).size, 200);
      } finally {
        await other.close();
      }
    });

    it('gives a new lease token on every claim of the same job', async () => {
      await current().store.enqueue([newJob('a')]);
      const [first] = await claim(1);
      await current().store.finish([{ type: 'release', lease: first.lease }]);
      const [second] = await claim(1);
      assert.equal(second.job.id, first.job.id);
      assert.notEqual(second.lease.token, first.lease.token);
    });
  });
}
