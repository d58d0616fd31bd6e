import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ValidationError } from '../../src/core/errors.js';
import { newJob } from '../helpers/jobs.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

export function listStatsContract(factory: StoreFactory): void {
  describe('list and stats', () => {
    const current = useFreshStore(factory);

    it('pages through every job newest first, each exactly once', async () => {
      const jobs = await current().store.enqueue(
        Array.from({ length: 23 }, (_, i) => newJob('a', { i })),
      );
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page += 1) {
        const result = await current().store.listJobs({ limit: 5, cursor });
        seen.push(...result.jobs.map((job) => job.id));
        if (result.nextCursor === null) break;
        cursor = result.nextCursor;
      }
      assert.deepEqual(seen, jobs.map((job) => job.id).reverse());
    });

    it('reads many jobs by id at once, leaving out ids that name no job', async () => {
      const jobs = await current().store.enqueue([newJob('a', { n: 1 }), newJob('b', { n: 2 })]);
      const read = await current().store.getJobs([
        jobs[1].id,
        '999999999',
        'not-an-id',
        jobs[0].id,
        jobs[1].id,
      ]);
      assert.deepEqual(
        read.map((job) => [job.id, job.task, job.payload]).sort(),
        [
          [jobs[0].id, 'a', { n: 1 }],
          [jobs[1].id, 'b', { n: 2 }],
        ].sort(),
      );
      assert.deepEqual(
        read.map((job) => job.state),
        ['available', 'available'],
      );
      assert.deepEqual(await current().store.getJobs([]), []);
      await assert.rejects(
        current().store.getJobs(Array.from({ length: 1_001 }, (_, i) => String(i + 1))),
        (error: unknown) =>
          error instanceof ValidationError &&
          error.field === 'ids' &&
          /at most 1000 job ids, got 1001/.test(error.message),
      );
    });

    it('filters by state, task and queue', async () => {
      await current().store.enqueue([
        newJob('email', {}, { queue: 'mail' }),
        newJob('email', {}, { queue: 'mail', delay: '1h' }),
        newJob('resize', {}, { queue: 'images' }),
        newJob('resize', {}, { queue: 'images' }),
      ]);
      const list = async (filter: object) =>
        (await current().store.listJobs({ limit: 50, ...filter })).jobs.length;
      assert.equal(await list({ state: 'scheduled' }), 1);
      assert.equal(await list({ state: 'available' }), 3);
      assert.equal(await list({ task: 'email' }), 2);
      assert.equal(await list({ queue: 'images' }), 2);
      assert.equal(await list({ queue: 'images', state: 'scheduled' }), 0);
      assert.equal(await list({ task: 'email', state: 'available', queue: 'mail' }), 1);
    });

    it('counts jobs per state, overall and per queue', async () => {
      await current().store.enqueue([
        newJob('a', {}, { queue: 'mail' }),
        newJob('a', {}, { queue: 'mail', delay: '1h' }),
        newJob('a', {}, { queue: 'images' }),
      ]);
      const [{ lease }] = await current().store.claim({
        workerId: 'w',
        queues: ['images'],
        limit: 1,
        leaseMs: 30_000,
      });
      await current().store.finish([{ type: 'complete', lease, resultJson: 'null' }]);
      const stats = await current().store.stats();
      assert.deepEqual(stats.total, {
        waiting: 0,
        scheduled: 1,
        available: 1,
        running: 0,
        completed: 1,
        failed: 0,
        cancelled: 0,
      });
      assert.equal(stats.queues.mail.scheduled, 1);
      assert.equal(stats.queues.mail.available, 1);
      assert.equal(stats.queues.images.completed, 1);
    });
  });
}
