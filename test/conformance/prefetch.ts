// Workers that claim ahead of their free slots (the prefetch option): held jobs keep their
// leases, run one at a time per free slot, go back untouched on stop, and drop out when
// cancelled.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';

import type { Queue } from '../../src/queue/queue.js';
import { waitUntil } from '../helpers/jobs.js';
import { countEvents, queueOver } from '../helpers/queue.js';
import { useFreshStore, type StoreFactory } from './store-factory.js';

const fast = { pollInterval: 20, lease: 2_000 };

export function prefetchContract(factory: StoreFactory): void {
  describe('worker with prefetch', () => {
    const current = useFreshStore(factory);
    let queue: Queue;
    beforeEach(() => {
      queue = queueOver(current().store);
    });
    afterEach(async () => {
      await queue.close();
    });

    it('runs every job once and never more at once than its concurrency', async () => {
      const jobs = await queue.enqueueMany(
        Array.from({ length: 60 }, (_, i) => ({ task: 'short', payload: { i } })),
      );
      const runs = new Map<string, number>();
      let running = 0;
      let peak = 0;
      const worker = queue.work(
        {
          short: async (_payload, ctx) => {
            runs.set(ctx.job.id, (runs.get(ctx.job.id) ?? 0) + 1);
            running += 1;
            peak = Math.max(peak, running);
            await new Promise((resolve) => setTimeout(resolve, 2));
            running -= 1;
          },
        },
        { ...fast, concurrency: 3, prefetch: 12 },
      );
      await countEvents(worker, 'completed', 60);
      await worker.stop();

      assert.equal(peak, 3);
      assert.deepEqual(
        jobs.map((job) => runs.get(job.id)),
        jobs.map(() => 1),
      );
    });

    it('puts held jobs back on stop() without running them or spending a try', async () => {
      let release: () => void = () => undefined;
      const blocked = new Promise<void>((resolve) => (release = resolve));
      const started: string[] = [];
      const jobs = await queue.enqueueMany(
        Array.from({ length: 5 }, (_, i) => ({ task: 'gate', payload: { i } })),
      );
      const worker = queue.work(
        {
          gate: async (_payload, ctx) => {
            started.push(ctx.job.id);
            await blocked;
          },
        },
        { ...fast, concurrency: 1, prefetch: 4 },
      );
      await waitUntil('the first job to start', () => started.length === 1);
      const held = await queue.listJobs({ state: 'running' });
      assert.equal(held.jobs.length, 5, 'held jobs show as running');

      const stopping = worker.stop({ graceMs: 5_000 });
      release();
      await stopping;

      assert.deepEqual(started, [jobs[0].id]);
      for (const job of jobs.slice(1)) {
        const stored = await queue.getJob(job.id);
        assert.equal(stored?.state, 'available');
        assert.equal(stored?.attempt, 0);
      }
      assert.equal((await queue.getJob(jobs[0].id))?.state, 'completed');
    });

    it('never runs a held job that was cancelled', async () => {
      let release: () => void = () => undefined;
      const blocked = new Promise<void>((resolve) => (release = resolve));
      const started: string[] = [];
      const [first, second] = await queue.enqueueMany([
        { task: 'gate', payload: 1 },
        { task: 'gate', payload: 2 },
      ]);
      const worker = queue.work(
        {
          gate: async (_payload, ctx) => {
            started.push(ctx.job.id);
            if (ctx.job.id === first.id) await blocked;
          },
        },
        { pollInterval: 20, lease: 150, concurrency: 1, prefetch: 1 },
      );
      await waitUntil('the first job to start', () => started.length === 1);
      await queue.cancel(second.id);
      // A heartbeat (every 50 ms at this lease) finds the held job's lease gone.
      await new Promise((resolve) => setTimeout(resolve, 200));
      release();
      await waitUntil('the first job to complete', async () => {
        return (await queue.getJob(first.id))?.state === 'completed';
      });
      await worker.stop();

      assert.deepEqual(started, [first.id]);
      assert.equal((await queue.getJob(second.id))?.state, 'cancelled');
    });
  });
}
